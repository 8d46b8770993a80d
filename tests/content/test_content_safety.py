"""Rendering safety: no raw HTML, no script links, nothing outside the tree, no internal leaks."""

from __future__ import annotations

import pytest

from kbportal.content.loader import load_knowledge_base


def load(make_articles, files):
    return load_knowledge_base(make_articles(files))


def test_raw_html_is_escaped(make_articles):
    text = "<script>alert(1)</script>\n\nx <img src=x onerror=alert(1)>\n"
    kb = load(make_articles, {"a.md": text})
    html = kb.articles["en/a"].html
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;" in html


@pytest.mark.parametrize(
    "href",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "java%0Ascript:alert(1)",
        "vbscript:msgbox(1)",
        "data:text/html;base64,PHNjcmlwdD4=",
        "file:///etc/passwd",
    ],
)
def test_script_and_data_links_are_not_links(make_articles, href):
    kb = load(make_articles, {"a.md": f"[click]({href})\n\n<{href}>\n"})
    html = kb.articles["en/a"].html
    assert "<a " not in html
    assert "click" in html


def test_path_traversal_is_a_problem_not_a_link(make_articles):
    kb = load(make_articles, {"docs/a.md": "# A\n\n[pw](../../etc/passwd)\n"})
    html = kb.articles["en/docs/a"].html
    assert "<a " not in html and "pw" in html
    (problem,) = kb.problems
    assert (problem.path, problem.line, problem.code) == ("docs/a.md", 3, "link-outside-tree")


def test_absolute_file_path_is_not_a_link_outside(make_articles):
    kb = load(make_articles, {"a.md": "[pw](/../../etc/passwd.md)\n"})
    assert "<a " not in kb.articles["en/a"].html
    assert kb.problems[0].code == "link-outside-tree"


def test_images_outside_the_tree_are_dropped(make_articles):
    kb = load(make_articles, {"a.md": "![secret](../../../etc/shadow.png)\n"})
    html = kb.articles["en/a"].html
    assert "<img" not in html and "secret" in html
    assert kb.problems[0].code == "image-outside-tree"


def test_svg_data_images_are_dropped(make_articles):
    kb = load(make_articles, {"a.md": "![x](data:image/svg+xml;base64,PHN2Zz4=)\n"})
    assert "<img" not in kb.articles["en/a"].html


def test_public_article_link_to_internal_renders_as_text(make_articles):
    kb = load(
        make_articles,
        {
            "public.md": "# Public\n\nSee [the escalation guide](team/escalation.md).\n",
            "team/escalation.md": (
                "---\nvisibility: internal\ntitle: Secret Escalation Matrix\n---\nBody\n"
            ),
            "team/other.md": "---\nvisibility: internal\n---\n[esc](escalation.md)\n",
        },
    )
    html = kb.articles["en/public"].html
    assert "<a " not in html
    assert "team/escalation" not in html and "Secret Escalation Matrix" not in html
    assert "the escalation guide" in html
    problem = next(p for p in kb.problems if p.code == "internal-link")
    assert (problem.path, problem.line, problem.severity) == ("public.md", 3, "error")
    # internal to internal is an ordinary link
    assert 'href="/en/articles/team/escalation"' in kb.articles["en/team/other"].html


def test_link_to_draft_renders_as_text(make_articles):
    kb = load(
        make_articles,
        {"a.md": "[soon](b.md)\n", "b.md": "---\ndraft: true\n---\n# Secret plans\n"},
    )
    assert "<a " not in kb.articles["en/a"].html
    assert [p.code for p in kb.problems] == ["link-to-draft"]


def test_symlinks_out_of_the_tree_are_not_followed(make_articles, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "leak.md").write_text("# Leak\n")
    root = make_articles({"a.md": "# A\n"})
    (root / "linked").symlink_to(outside, target_is_directory=True)
    kb = load_knowledge_base(root)
    assert list(kb.articles) == ["en/a"]


def test_file_symlinks_out_of_the_tree_are_ignored(make_articles, tmp_path):
    (tmp_path / "passwd.md").write_text("# root:x:0:0\n")
    (tmp_path / "shadow.png").write_bytes(b"secret")
    root = make_articles({"a.md": "# A\n\n![s](shadow.png)\n", "b.md": "# B\n"})
    (root / "leak.md").symlink_to(tmp_path / "passwd.md")
    (root / "shadow.png").symlink_to(tmp_path / "shadow.png")
    (root / "inside.md").symlink_to(root / "b.md")
    kb = load_knowledge_base(root)
    assert sorted(kb.articles) == ["en/a", "en/b", "en/inside"]
    assert "shadow.png" not in kb.targets.media
    # Refused (issue 7): reported, so an editors' CI sees them, and skipped.
    assert sorted((p.path, p.code) for p in kb.problems) == [
        ("a.md", "missing-image"),
        ("leak.md", "unsafe-symlink"),
        ("shadow.png", "unsafe-symlink"),
    ]


def test_portal_urls_to_internal_articles_are_checked_too(make_articles):
    kb = load(
        make_articles,
        {
            "a.md": "[x](/en/articles/team/secret) [y](/en/articles/b#top) [z](/en/search?q=1)\n",
            "b.md": "# B\n",
            "team/secret.md": "---\nvisibility: internal\n---\n# S\n",
        },
    )
    html = kb.articles["en/a"].html
    assert "team/secret" not in html
    assert 'href="/en/articles/b#top"' in html and 'href="/en/search?q=1"' in html
    assert [p.code for p in kb.problems] == ["internal-link"]
