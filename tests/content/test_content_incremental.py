"""load_article: one changed file rendered against the rest of the KB, without re-reading it."""

from __future__ import annotations

from kbportal.content.loader import load_article, load_knowledge_base, target_for


def test_changed_file_renders_against_known_targets(make_articles):
    root = make_articles(
        {
            "a.md": "# A\n",
            "team/_category.yml": "visibility: internal\n",
            "team/secret.md": "# Secret\n",
            "img/x.png": "png",
        }
    )
    kb = load_knowledge_base(root)
    (root / "a.md").write_text("# A v2\n\n[s](team/secret.md) ![x](img/x.png) [n](new.md)\n")
    article, problems = load_article(root, "a.md", known=kb.targets)
    assert article is not None and article.title == "A v2"
    assert "<a " not in article.html and '<img src="/media/img/x.png"' in article.html
    assert [(p.line, p.code) for p in problems] == [(3, "internal-link"), (3, "missing-link")]


def test_new_file_in_internal_category_is_internal(make_articles):
    root = make_articles({"team/_category.yml": "visibility: internal\n", "team/a.md": "# A\n"})
    kb = load_knowledge_base(root)
    (root / "team" / "b.md").write_text("# B\n")
    article, problems = load_article(root, "team/b.md", known=kb.targets)
    assert article is not None and article.visibility == "internal"
    assert problems == []


def test_new_target_becomes_linkable_once_added(make_articles):
    root = make_articles({"a.md": "[b](b.md)\n"})
    kb = load_knowledge_base(root)
    assert [p.code for p in kb.problems] == ["missing-link"]
    (root / "b.md").write_text("# B\n")
    b, _ = load_article(root, "b.md", known=kb.targets)
    assert b is not None
    kb.targets.add(target_for(b))
    a, problems = load_article(root, "a.md", known=kb.targets)
    assert a is not None and 'href="/en/articles/b"' in a.html and problems == []
    assert kb.backlinks("en/b") == []  # the KB still holds the old render of a.md


def test_slug_taken_by_an_earlier_file_is_refused(make_articles):
    root = make_articles({"a.md": "---\nslug: same\n---\n# A\n"})
    kb = load_knowledge_base(root)
    (root / "b.md").write_text("---\nslug: same\n---\n# B\n")
    article, problems = load_article(root, "b.md", known=kb.targets)
    assert article is None and [p.code for p in problems] == ["duplicate-slug"]
    again, problems = load_article(root, "a.md", known=kb.targets)
    assert again is not None and problems == []


def test_broken_file_returns_problem_and_no_article(make_articles):
    root = make_articles({"a.md": "# A\n"})
    kb = load_knowledge_base(root)
    (root / "a.md").write_text("---\ntitle: [\n---\n")
    article, problems = load_article(root, "a.md", known=kb.targets)
    assert article is None and problems[0].code == "bad-front-matter"


def test_removed_target_is_forgotten(make_articles):
    root = make_articles({"a.md": "[b](b.md)\n", "b.md": "# B\n"})
    kb = load_knowledge_base(root)
    assert kb.backlinks("en/b") == ["en/a"]
    assert kb.by_path("b.md") is kb.articles["en/b"]
    kb.targets.remove("b.md")
    (root / "b.md").unlink()
    _, problems = load_article(root, "a.md", known=kb.targets)
    assert [p.code for p in problems] == ["missing-link"]


def test_paths_that_are_not_articles_of_the_tree_are_refused(make_articles, tmp_path):
    (tmp_path / "outside.md").write_text("# Outside\n")
    root = make_articles({"a.md": "# A\n", "_partial.md": "# P\n"})
    kb = load_knowledge_base(root)
    for relpath in ("../outside.md", "_partial.md", "a.txt", "/etc/passwd"):
        article, problems = load_article(root, relpath, known=kb.targets)
        assert article is None and problems[0].code == "unreadable"


def test_classify_matches_the_scan():
    from kbportal.content.source import classify

    assert classify("en/billing/refunds.md") == "article"
    assert classify("en/img/a.PNG") == "media"
    assert classify("billing/_category.ru.yml") == "category"
    assert classify("_drafts/x.md") == "other"
    assert classify(".github/x.md") == "other"
    assert classify("../x.md") == "other"
    assert classify("README.txt") == "other"


def test_target_for_keeps_anchors_after_a_json_round_trip(make_articles):
    from dataclasses import replace

    root = make_articles({"a.md": "# A\n\n## Step one\n"})
    article = load_knowledge_base(root).articles["en/a"]
    assert target_for(article).anchors == {"step-one"}
    stored = replace(article, extra={**article.extra, "anchors": ["step-one"]})
    assert target_for(stored).anchors == {"step-one"}
