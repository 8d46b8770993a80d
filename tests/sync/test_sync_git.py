"""The git layer on real repositories: fetch, diff with renames, checkout, history."""

from __future__ import annotations

import pytest

from kbportal.sync.git import ChangeSet, Git, GitError, parse_name_status
from kbportal.sync.history import file_history, scan_repo
from kbportal.sync.service import article_changes, is_article_path


def test_fetch_diff_and_checkout(repos):
    repos.editor.write(
        {
            "billing/refunds.md": "# Refunds\n",
            "billing/old.md": "# Old\n",
            "faq/a.md": "# A\n\nlong enough text to keep the rename similar\n",
        }
    )
    first = repos.editor.push("first")
    repos.clone_portal()
    git = Git(repos.portal)
    assert git.is_repo() and git.head() == first

    repos.editor.write({"billing/refunds.md": "# Refunds\n\nNew policy.\n", "new.md": "# N\n"})
    repos.editor.rm("billing/old.md")
    repos.editor.mv("faq/a.md", "faq/b.md")
    second = repos.editor.push("second")

    assert git.fetch("origin", "main") == second
    changes = git.diff(first, second)
    assert sorted(changes.changed) == ["billing/refunds.md", "new.md"]
    assert changes.removed == ["billing/old.md"]
    assert changes.renamed == {"faq/a.md": "faq/b.md"}
    git.checkout(second)
    assert (repos.portal / "faq/b.md").exists() and not (repos.portal / "faq/a.md").exists()


def test_articles_in_a_subfolder_report_paths_relative_to_it(repos):
    repos.editor.write({"articles/en/x.md": "# X\n", "README.md": "readme\n"})
    first = repos.editor.push("first")
    repos.clone_portal()
    repos.editor.write({"articles/en/x.md": "# X2\n", "README.md": "changed\n"})
    second = repos.editor.push("second")
    git = Git(repos.portal / "articles")
    assert git.prefix() == "articles/"
    git.fetch("origin", "main")
    assert git.diff(first, second).changed == ["en/x.md"]


def test_errors_are_clear(repos, tmp_path):
    repos.editor.write({"a.md": "# A\n"})
    repos.editor.push("first")
    repos.clone_portal()
    git = Git(repos.portal)
    with pytest.raises(GitError, match="fetch"):
        git.fetch("origin", "no-such-branch")
    assert not Git(tmp_path / "missing").is_repo()


def test_parse_name_status_handles_odd_names():
    out = "M\0a b.md\0R095\0old\nname.md\0новое.md\0C100\0x.md\0y.md\0D\0gone.md\0"
    changes = parse_name_status(out)
    assert changes.changed == ["a b.md", "y.md"]
    assert changes.renamed == {"old\nname.md": "новое.md"}
    assert changes.removed == ["gone.md"]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("billing/refunds.md", True),
        ("img/shot.PNG", True),
        ("billing/_category.yml", True),
        ("README", False),
        (".github/workflows/check.yml", False),
        ("_drafts/x.md", False),
        ("billing/_partial.md", False),
        ("scripts/build.py", False),
        ("a/.hidden.md", False),
    ],
)
def test_is_article_path(path, expected):
    assert is_article_path(path) is expected


def test_article_changes_turns_renames_across_the_boundary_into_add_or_remove():
    changes = ChangeSet(
        changed=["README.md", "a.md"],
        removed=["ci.yml"],
        renamed={"a.txt": "b.md", "c.md": "c.txt", "d.md": "e/d.md"},
    )
    out = article_changes(changes)
    assert out.changed == ["a.md", "b.md"]  # a root README is for the repository, not customers
    assert out.removed == ["c.md"]
    assert out.renamed == {"d.md": "e/d.md"}


def test_history_per_file_and_in_one_pass(repos):
    repos.editor.write({"a.md": "# A\n\n" + "text " * 50, "b.md": "# B\n"})
    repos.editor.push("add a and b", author="Ann")
    repos.editor.write({"a.md": "# A\n\n" + "text " * 50 + "more\n"})
    repos.editor.push("edit a", author="Boris")
    repos.editor.mv("a.md", "guides/a.md")
    repos.editor.push("move a", author="Chen")
    repos.clone_portal()

    commits = file_history(repos.portal, "guides/a.md")
    assert [c.subject for c in commits] == ["move a", "edit a", "add a and b"]
    assert [c.author for c in commits] == ["Chen", "Boris", "Ann"]
    assert len(commits[0].sha) == 40 and commits[0].date.tzinfo is not None

    info = scan_repo(repos.portal).files
    assert info["guides/a.md"].authors == ("Chen", "Boris", "Ann")  # follows the move
    assert info["b.md"].authors == ("Ann",)
    assert info["guides/a.md"].updated >= info["b.md"].updated

    assert scan_repo(repos.portal).renames == {"a.md": "guides/a.md"}


def test_rename_chains_resolve_to_the_current_path(repos):
    body = "# Doc\n\n" + "stable words " * 40
    repos.editor.write({"one.md": body})
    repos.editor.push("1")
    repos.editor.mv("one.md", "two.md")
    repos.editor.push("2")
    repos.editor.mv("two.md", "x/three.md")
    repos.editor.push("3")
    repos.clone_portal()
    assert scan_repo(repos.portal).renames == {"one.md": "x/three.md", "two.md": "x/three.md"}


def test_history_outside_git_is_empty(tmp_path):
    assert file_history(tmp_path, "a.md") == []
    assert scan_repo(tmp_path).files == {}


def test_deleted_and_recreated_paths_do_not_inherit_history(repos):
    repos.editor.write({"a.md": "# First A\n", "gone.md": "# Gone\n" + "words " * 40})
    repos.editor.push("old a", author="Ann")
    repos.editor.rm("a.md")
    repos.editor.mv("gone.md", "later.md")
    repos.editor.push("drop a, move gone", author="Boris")
    repos.editor.rm("later.md")
    repos.editor.write({"a.md": "# Brand new A\n"})
    repos.editor.push("new a", author="Chen")
    repos.clone_portal()
    scan_info = scan_repo(repos.portal).files
    assert scan_info["a.md"].authors == ("Chen",)
    assert "later.md" not in scan_info
    assert scan_repo(repos.portal).renames == {}


def test_git_metadata_for_few_files_and_for_everything(repos, tmp_path):
    from kbportal.content.models import Article
    from kbportal.sync.metadata import GitMetadata

    repos.editor.write({"a.md": "# A\n", "b.md": "# B\n"})
    repos.editor.push("add", author="Ann")
    repos.editor.write({"a.md": "# A2\n"})
    repos.editor.push("edit a", author="Boris")
    repos.clone_portal()
    few, full = GitMetadata(repos.portal, ["a.md"]), GitMetadata(repos.portal)
    for meta in (few, full):
        assert meta.authors_for("a.md") == ("Boris", "Ann")
        assert meta.updated_for("a.md") is not None
    assert full.authors_for("b.md") == ("Ann",) and few.authors_for("b.md") == ()
    article = Article(locale="en", slug="a", path="a.md", title="A", html="")
    assert full.enrich(article).authors == ("Boris", "Ann")
    outside = GitMetadata(tmp_path / "plain")
    assert not outside.available and outside.updated_for("a.md") is None
