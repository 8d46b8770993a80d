"""Issue 7 §1: internal content cannot escape by front matter, symlinks or duplicate keys."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from kbportal.content.loader import load_knowledge_base

# The shell reproduction, run as written (in `tmp_path`), so the test is the report.
REPRODUCTION = r"""
mkdir -p a/en/internal a/en/billing; printf 'visibility: internal\n' > a/en/internal/_category.yml
echo '# Refunds' > a/en/billing/refunds.md
printf -- '---\ntitle: Secret A\ncategory: billing\n---\n\nsecretalpha\n' > a/en/internal/x.md
printf -- '---\ntitle: Secret B\nlocale: ru\n---\n\nsecretbravo\n' > a/en/internal/y.md
printf -- '---\ntitle: Secret C\n---\n\nsecretcharlie\n' > a/en/internal/z.md
ln -s ../internal/z.md a/en/billing/z-link.md
printf -- '---\nvisibility: internal\ntitle: Secret D\nvisibility: public\n---\n\nsecretdelta\n' > a/en/billing/d.md
"""  # noqa: E501 - the issue's commands, verbatim


@pytest.fixture
def reproduction(tmp_path: Path) -> Path:
    """The issue's articles folder, made by its own shell commands."""
    subprocess.run(["sh", "-ec", REPRODUCTION], cwd=tmp_path, check=True)
    return tmp_path / "a"


def public_texts(kb) -> str:
    return " ".join(a.html for a in kb.articles.values() if a.is_public)


def test_no_secret_is_public(reproduction: Path) -> None:
    kb = load_knowledge_base(reproduction)
    public = public_texts(kb)
    for word in ("secretalpha", "secretbravo", "secretcharlie", "secretdelta"):
        assert word not in public
    assert [a.key for a in kb.articles.values() if a.is_public] == ["en/billing/refunds"]


def test_category_and_locale_move_the_listing_not_the_visibility(reproduction: Path) -> None:
    kb = load_knowledge_base(reproduction)
    moved = kb.by_path("en/internal/x.md")
    assert moved is not None and moved.category == "billing" and moved.visibility == "internal"
    russian = kb.by_path("en/internal/y.md")
    assert russian is not None and russian.locale == "ru" and russian.visibility == "internal"


def test_each_escape_is_an_error_with_file_and_line(reproduction: Path) -> None:
    kb = load_knowledge_base(reproduction)
    found = {(p.path, p.line, p.code, p.severity) for p in kb.problems}
    assert ("en/internal/x.md", 3, "visibility-escape", "error") in found  # category: billing
    assert ("en/internal/y.md", 3, "visibility-escape", "error") in found  # locale: ru
    assert ("en/billing/z-link.md", 1, "unsafe-symlink", "error") in found
    assert ("en/billing/d.md", 4, "duplicate-key", "error") in found  # the second visibility


def test_refused_files_are_skipped(reproduction: Path) -> None:
    kb = load_knowledge_base(reproduction)
    assert kb.by_path("en/billing/z-link.md") is None
    assert kb.by_path("en/billing/d.md") is None


def test_kbportal_check_fails_on_the_reproduction(reproduction: Path, tmp_path: Path) -> None:
    env = {**os.environ, "KBPORTAL_ARTICLES_DIR": str(reproduction)}
    env["KBPORTAL_DATA_DIR"] = str(tmp_path / "data")
    done = subprocess.run(
        [str(Path(os.sys.executable).with_name("kbportal")), "check"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1
    out = done.stdout
    assert "en/internal/x.md:3: error [visibility-escape]" in out
    assert "en/internal/y.md:3: error [visibility-escape]" in out
    assert "en/billing/z-link.md:1: error [unsafe-symlink]" in out
    assert "en/billing/d.md:4: error [duplicate-key]" in out


def test_symlink_out_of_the_tree_is_reported(make_articles, tmp_path: Path) -> None:
    outside = tmp_path / "outside.md"
    outside.write_text("# Outside\n\nsecretecho\n")
    root = make_articles({"en/a.md": "# A\n"})
    (root / "en" / "b.md").symlink_to(outside)
    (root / "en" / "pic.png").symlink_to(outside)
    kb = load_knowledge_base(root)
    codes = {(p.path, p.code) for p in kb.problems}
    assert {("en/b.md", "unsafe-symlink"), ("en/pic.png", "unsafe-symlink")} <= codes
    assert "secretecho" not in public_texts(kb)


def test_symlink_to_a_public_article_still_works(make_articles) -> None:
    root = make_articles({"en/billing/refunds.md": "# Refunds\n\nmoney back\n"})
    (root / "en" / "billing" / "alias.md").symlink_to("refunds.md")
    kb = load_knowledge_base(root)
    linked = kb.by_path("en/billing/alias.md")
    assert linked is not None and linked.is_public
    assert not [p for p in kb.problems if p.severity == "error"]


def test_symlink_inside_an_internal_folder_is_internal(make_articles) -> None:
    root = make_articles(
        {
            "en/internal/_category.yml": "visibility: internal\n",
            "en/billing/refunds.md": "# Refunds\n",
        }
    )
    (root / "en" / "internal" / "copy.md").symlink_to("../billing/refunds.md")
    kb = load_knowledge_base(root)
    copy = kb.by_path("en/internal/copy.md")
    assert copy is not None and copy.visibility == "internal"


def test_symlinked_folder_is_reported_not_followed(make_articles) -> None:
    root = make_articles(
        {"en/internal/_category.yml": "visibility: internal\n", "en/internal/s.md": "# S\n"}
    )
    (root / "en" / "open").symlink_to("internal", target_is_directory=True)
    kb = load_knowledge_base(root)
    assert ("en/open", "unsafe-symlink") in {(p.path, p.code) for p in kb.problems}
    assert all(not a.is_public for a in kb.articles.values())


def test_symlink_to_an_internal_front_matter_target_is_refused(make_articles) -> None:
    root = make_articles({"en/a.md": "---\nvisibility: internal\n---\n\nsecretfoxtrot\n"})
    (root / "en" / "b.md").symlink_to("a.md")
    kb = load_knowledge_base(root)
    assert kb.by_path("en/b.md") is None
    assert ("en/b.md", "unsafe-symlink") in {(p.path, p.code) for p in kb.problems}


def test_audience_alone_makes_an_article_internal(make_articles) -> None:
    kb = load_knowledge_base(make_articles({"en/a.md": "---\naudience: [l2]\n---\n\nsecret\n"}))
    article = kb.articles["en/a"]
    assert article.visibility == "internal" and article.audience == ("l2",)


def test_duplicate_audience_is_an_error(make_articles) -> None:
    text = "---\nvisibility: internal\naudience: [l2]\naudience: []\n---\n\nsecret\n"
    kb = load_knowledge_base(make_articles({"en/a.md": text}))
    assert not kb.articles
    assert [(p.line, p.code) for p in kb.problems] == [(4, "duplicate-key")]


def test_duplicate_key_in_a_category_file_hides_the_folder(make_articles) -> None:
    root = make_articles(
        {
            "en/x/_category.yml": "visibility: internal\ntitle: X\nvisibility: public\n",
            "en/x/a.md": "# A\n\nsecretgolf\n",
        }
    )
    kb = load_knowledge_base(root)
    assert "secretgolf" not in public_texts(kb)
    (problem,) = [p for p in kb.problems if p.code == "bad-category-file"]
    assert (problem.path, problem.line) == ("en/x/_category.yml", 3)


def test_deeply_nested_category_file_is_a_problem_not_a_crash(make_articles) -> None:
    deep = "title: " + "[" * 500 + "]" * 500 + "\n"
    root = make_articles({"en/x/_category.yml": deep, "en/x/a.md": "# A\n", "en/b.md": "# B\n"})
    kb = load_knowledge_base(root)
    (problem,) = [p for p in kb.problems if p.code == "bad-category-file"]
    assert problem.path == "en/x/_category.yml" and problem.line == 1
    assert kb.articles["en/b"].is_public and kb.articles["en/x/a"].visibility == "internal"


def test_deeply_nested_front_matter_is_a_problem(make_articles) -> None:
    text = "---\ntags: " + "[" * 500 + "]" * 500 + "\n---\n\nbody\n"
    kb = load_knowledge_base(make_articles({"en/a.md": text, "en/b.md": "# B\n"}))
    assert [p.code for p in kb.problems] == ["bad-front-matter"]
    assert list(kb.articles) == ["en/b"]


def test_publish_update_and_sync_paths_refuse_the_escapes(reproduction: Path, tmp_path: Path):
    """The incremental path (one changed file at a time) applies the same rules as a full load."""
    from kbportal import publish
    from kbportal.config import load_config
    from kbportal.search.types import SearchQuery
    from kbportal.viewer import PUBLIC

    later = {}
    for rel in ("en/internal/x.md", "en/internal/y.md", "en/billing/z-link.md", "en/billing/d.md"):
        path = reproduction / rel
        later[rel] = os.readlink(path) if path.is_symlink() else path.read_text()
        path.unlink()
    config = load_config({"ARTICLES_DIR": reproduction, "DATA_DIR": tmp_path / "data"}, {})
    try:
        publish.build(config)
        for rel, value in later.items():
            path = reproduction / rel
            if rel.endswith("z-link.md"):
                path.symlink_to(value)
            else:
                path.write_text(value)
        report = publish.update(config, list(later), [])
        assert not report.full
        codes = {(p.path, p.code) for p in report.problems}
        assert {
            ("en/internal/x.md", "visibility-escape"),
            ("en/internal/y.md", "visibility-escape"),
            ("en/billing/z-link.md", "unsafe-symlink"),
            ("en/billing/d.md", "duplicate-key"),
        } <= codes
        kb = publish.kb_for(config)
        for word in ("secretalpha", "secretbravo", "secretcharlie", "secretdelta"):
            for locale in ("en", "ru"):
                assert not kb.search(SearchQuery(word, locale=locale, viewer=PUBLIC)).hits
        assert [a.slug for a in kb.articles_in("en", "billing", PUBLIC)] == ["billing/refunds"]
    finally:
        publish.close_all()


def test_a_symlink_follows_its_target_becoming_internal(make_articles, tmp_path: Path):
    from kbportal import publish
    from kbportal.config import load_config
    from kbportal.viewer import PUBLIC

    root = make_articles({"en/a.md": "# A\n\nhotelword\n"})
    (root / "en" / "b.md").symlink_to("a.md")
    config = load_config({"ARTICLES_DIR": root, "DATA_DIR": tmp_path / "data"}, {})
    try:
        publish.build(config)
        assert publish.kb_for(config).article("en", "b", PUBLIC) is not None
        (root / "en" / "a.md").write_text("---\nvisibility: internal\n---\n\nhotelword\n")
        publish.update(config, ["en/a.md"], [])  # only the target changed
        assert publish.kb_for(config).article("en", "b", PUBLIC) is None
    finally:
        publish.close_all()


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def test_a_public_article_cannot_show_an_internal_folders_image(make_articles) -> None:
    root = make_articles(
        {
            "en/internal/_category.yml": "visibility: internal\n",
            "en/internal/img/secret.png": PNG,
            "en/internal/plan.pdf": b"%PDF-1.4\n",
            "en/billing/refunds.md": (
                "# Refunds\n\n![Secret screen](../internal/img/secret.png)\n\n"
                "[the plan](../internal/plan.pdf)\n"
            ),
        }
    )
    kb = load_knowledge_base(root)
    html = kb.articles["en/billing/refunds"].html
    assert "secret.png" not in html and "plan.pdf" not in html
    assert "Secret screen" in html and "the plan" in html  # the words stay
    assert sorted((p.line, p.code) for p in kb.problems) == [
        (3, "internal-media"),
        (5, "internal-media"),
    ]


def test_media_from_an_internal_folder_is_never_served_to_the_public(tmp_path: Path) -> None:
    """Also when a public article's image is a symlink into an internal folder."""
    from support import close_app, make_app

    from kbportal import publish

    files = {
        "en/internal/_category.yml": "visibility: internal\n",
        "en/internal/img/secret.png": PNG,
        "en/billing/refunds.md": "# Refunds\n\n![Screen](img/screen.png)\n",
    }
    app = make_app(tmp_path, files)
    link = Path(app.config["KBPORTAL_ARTICLES_DIR"]) / "en/billing/img/screen.png"
    link.parent.mkdir(parents=True)
    link.symlink_to("../../internal/img/secret.png")
    try:
        client = app.test_client()
        assert client.get("/en/articles/billing/refunds").status_code == 200
        assert client.get("/media/en/billing/img/screen.png").status_code == 404
        assert client.get("/media/en/internal/img/secret.png").status_code == 404
    finally:
        close_app(app)
        publish.close_all()


@pytest.mark.parametrize("where", ["en/_category.yml", "_category.yml", "_category.en.yml"])
def test_an_internal_locale_folder_or_root_makes_everything_below_internal(
    make_articles, where: str
) -> None:
    root = make_articles(
        {
            where: "visibility: internal\n",
            "en/a.md": "# A\n\nsecretindia\n",
            "en/billing/b.md": "---\ncategory: other\n---\n\nsecretjuliet\n",
        }
    )
    kb = load_knowledge_base(root)
    assert [a.key for a in kb.articles.values() if a.is_public] == []
    assert len(kb.articles) == 2
