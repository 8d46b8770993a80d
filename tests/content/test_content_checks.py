"""Each kind of content problem, with its file and line."""

from __future__ import annotations

from kbportal.content.loader import load_knowledge_base


def problems(make_articles, files):
    kb = load_knowledge_base(make_articles(files))
    return [(p.path, p.line, p.code, p.severity) for p in kb.problems]


def test_link_to_missing_article_by_path_and_by_slug(make_articles):
    found = problems(
        make_articles,
        {"a.md": "# A\n\nText\n[gone](gone.md) and\n[slug](no/such/slug)\n"},
    )
    assert found == [("a.md", 4, "missing-link", "error"), ("a.md", 5, "missing-link", "error")]


def test_link_line_counts_front_matter(make_articles):
    found = problems(make_articles, {"a.md": "---\ntitle: A\n---\n\n[gone](gone.md)\n"})
    assert found == [("a.md", 5, "missing-link", "error")]


def test_missing_image_and_file(make_articles):
    found = problems(make_articles, {"a.md": "![shot](img/none.png)\n\n[guide](files/none.pdf)\n"})
    assert found == [("a.md", 1, "missing-image", "error"), ("a.md", 3, "missing-link", "error")]


def test_existing_media_link_is_fine(make_articles):
    kb = load_knowledge_base(make_articles({"a.md": "[guide](files/g.pdf)\n", "files/g.pdf": "x"}))
    assert kb.problems == []
    assert '<a href="/media/files/g.pdf">guide</a>' in kb.articles["en/a"].html


def test_duplicate_alias_and_alias_equal_to_slug(make_articles):
    found = problems(
        make_articles,
        {
            "a.md": "---\naliases: [old]\n---\n# A\n",
            "b.md": "---\ntitle: B\naliases:\n  - old\n  - c\n---\n# B\n",
            "c.md": "# C\n",
        },
    )
    assert found == [
        ("b.md", 3, "alias-is-slug", "error"),
        ("b.md", 3, "duplicate-alias", "error"),
    ]


def test_aliases_map_first_claimant_and_never_shadow_a_slug(make_articles):
    kb = load_knowledge_base(
        make_articles(
            {
                "a.md": "---\naliases: [old, c]\n---\n# A\n",
                "b.md": "---\naliases: [old]\n---\n# B\n",
                "c.md": "# C\n",
            }
        )
    )
    assert kb.aliases == {"en/old": "en/a"}


def test_missing_related(make_articles):
    found = problems(
        make_articles,
        {"a.md": "---\ntitle: A\nrelated: [b, nope]\n---\n# A\n", "b.md": "# B\n"},
    )
    assert found == [("a.md", 3, "missing-related", "warning")]


def test_unknown_category(make_articles):
    found = problems(
        make_articles,
        {
            "a.md": "---\ncategory: nowhere\n---\n# A\n",
            "b.md": "---\ncategory: billing\n---\n# B\n",
            "billing/c.md": "# C\n",
            "en/tools/_category.yml": "title: Tools\n",
            "d.md": "---\ncategory: tools\n---\n# D\n",
        },
    )
    assert found == [("a.md", 2, "unknown-category", "warning")]


def test_internal_link_from_public_is_an_error(make_articles):
    found = problems(
        make_articles,
        {"a.md": "# A\n\n[x](b.md)\n", "b.md": "---\nvisibility: internal\n---\n# B\n"},
    )
    assert found == [("a.md", 3, "internal-link", "error")]


def test_clean_tree_has_no_problems(make_articles):
    assert problems(make_articles, {"a.md": "# A\n\n[b](b.md)\n", "b.md": "# B\n"}) == []


def test_missing_anchor_in_this_and_in_another_article(make_articles):
    found = problems(
        make_articles,
        {
            "a.md": (
                "# A\n\n## Steps\n\n[ok](#steps) [bad](#nope)\n[ok](b.md#оплата) [bad](b.md#gone)\n"
            ),
            "b.md": "# B\n\n## Оплата\n",
        },
    )
    assert found == [
        ("a.md", 5, "missing-anchor", "warning"),
        ("a.md", 6, "missing-anchor", "warning"),
    ]
