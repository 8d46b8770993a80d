"""Front matter: variants that load, and every way it can be wrong (with its file line)."""

from __future__ import annotations

from datetime import UTC, datetime

from kbportal.content.loader import load_knowledge_base


def test_full_front_matter_is_applied(make_articles):
    root = make_articles(
        {
            "billing/refunds.md": (
                "---\n"
                "title: Refunds\n"
                "slug: money/refunds\n"
                "summary: How refunds work.\n"
                "tags: [billing, money]\n"
                "visibility: internal\n"
                "audience: [tier2]\n"
                "draft: false\n"
                "aliases: [old-refunds]\n"
                "related: [billing/invoices]\n"
                "order: 3\n"
                "updated: 2024-05-31\n"
                "publish_at: 2024-06-01T10:00:00+02:00\n"
                "template: true\n"
                "id: KB-17\n"
                "authors: [ann]\n"
                "---\n"
                "Body text.\n"
            ),
            "billing/invoices.md": "# Invoices\n",
        }
    )
    kb = load_knowledge_base(root)
    article = kb.articles["en/money/refunds"]
    assert article.title == "Refunds"
    assert article.summary == "How refunds work."
    assert article.tags == ("billing", "money")
    assert article.visibility == "internal"
    assert article.audience == ("tier2",)
    assert article.aliases == ("old-refunds",)
    assert article.related == ("billing/invoices",)
    assert article.order == 3
    assert article.updated == datetime(2024, 5, 31, tzinfo=UTC)
    assert article.publish_at == datetime(2024, 6, 1, 8, 0, tzinfo=UTC)
    assert article.template is True
    assert article.id == "KB-17"
    assert article.authors == ("ann",)
    assert article.category == "billing"
    assert kb.aliases == {"en/old-refunds": "en/money/refunds"}
    assert [p for p in kb.problems if p.severity == "error"] == []


def test_without_front_matter_title_comes_from_h1_and_is_not_repeated(make_articles):
    root = make_articles({"Getting-Started/First Steps.md": "# Welcome aboard\n\nStart here.\n"})
    article = load_knowledge_base(root).articles["en/getting-started/first-steps"]
    assert article.title == "Welcome aboard"
    assert "<h1" not in article.html
    assert article.summary == "Start here."
    assert article.category == "Getting-Started"


def test_summary_from_blockquote_is_plain_and_short(make_articles):
    long = " ".join(["word"] * 100)
    root = make_articles({"a.md": f"# A\n\n> **Bold** `code` {long}\n\nNext.\n"})
    summary = load_knowledge_base(root).articles["en/a"].summary
    assert summary.startswith("Bold code word")
    assert len(summary) <= 200
    assert summary.endswith("…")


def test_no_title_anywhere_falls_back_to_file_name(make_articles):
    root = make_articles({"notes.md": "Just text.\n"})
    article = load_knowledge_base(root).articles["en/notes"]
    assert article.title == "notes"
    assert article.sections[0].title == "notes"


def test_front_matter_title_wins_and_different_h1_is_kept(make_articles):
    root = make_articles({"a.md": "---\ntitle: Official\n---\n# Other heading\n\nText\n"})
    article = load_knowledge_base(root).articles["en/a"]
    assert article.title == "Official"
    assert "Other heading</h1>" in article.html


def test_bad_yaml_reports_the_real_file_line_and_skips_only_that_file(make_articles):
    root = make_articles(
        {
            "bad.md": "---\ntitle: Fine\ntags: [one, two\nslug: x\n---\nBody\n",
            "good.md": "# Good\n",
        }
    )
    kb = load_knowledge_base(root)
    assert list(kb.articles) == ["en/good"]
    (problem,) = kb.problems
    assert (problem.path, problem.code, problem.severity) == ("bad.md", "bad-front-matter", "error")
    assert problem.line == 4  # the line after the unclosed list, where YAML notices it


def test_wrong_type_points_at_its_key(make_articles):
    root = make_articles({"a.md": "---\ntitle: A\norder: first\n---\nBody\n"})
    kb = load_knowledge_base(root)
    assert kb.articles == {}
    (problem,) = kb.problems
    assert (problem.line, problem.code) == (3, "bad-front-matter")
    assert "order" in problem.message


def test_bad_visibility_skips_the_article_rather_than_publishing_it(make_articles):
    root = make_articles(
        {
            "a.md": "---\nvisibility: Internal\n---\nSecret\n",
            "b.md": "---\nvisibility:\n---\nSecret\n",
            "c.md": "---\ndraft: maybe\n---\nSecret\n",
        }
    )
    kb = load_knowledge_base(root)
    assert kb.articles == {}
    assert [(p.path, p.line) for p in kb.problems] == [("a.md", 2), ("b.md", 2), ("c.md", 2)]


def test_unclosed_front_matter_is_an_error_not_a_public_page(make_articles):
    root = make_articles({"a.md": "---\nvisibility: internal\n\n# Secret runbook\n"})
    kb = load_knowledge_base(root)
    assert kb.articles == {}
    assert kb.problems[0].code == "bad-front-matter"


def test_unknown_key_is_a_warning_and_the_article_publishes(make_articles):
    root = make_articles({"a.md": "---\ntitle: A\ncolour: blue\n---\nBody\n"})
    kb = load_knowledge_base(root)
    assert "en/a" in kb.articles
    (problem,) = kb.problems
    assert (problem.line, problem.code, problem.severity) == (3, "unknown-key", "warning")


def test_front_matter_that_is_not_a_mapping(make_articles):
    root = make_articles({"a.md": "---\n- one\n- two\n---\nBody\n"})
    kb = load_knowledge_base(root)
    assert kb.articles == {}
    assert kb.problems[0].code == "bad-front-matter"


def test_empty_front_matter_and_comma_separated_tags(make_articles):
    root = make_articles({"a.md": "---\n---\n# A\n", "b.md": "---\ntags: x, y\n---\n# B\n"})
    kb = load_knowledge_base(root)
    assert kb.articles["en/a"].title == "A"
    assert kb.articles["en/b"].tags == ("x", "y")


def test_unusable_slug_is_refused(make_articles):
    root = make_articles({"a.md": "---\nslug: ../admin\n---\nBody\n"})
    kb = load_knowledge_base(root)
    assert kb.articles == {}
    assert (kb.problems[0].line, kb.problems[0].code) == (2, "bad-front-matter")


def test_not_utf8_and_unreadable_files_are_problems(make_articles, tmp_path):
    latin = "# Caf\xe9\n\nline two\n".encode("latin-1")
    root = make_articles({"latin.md": latin, "ok.md": "# Ok\n"})
    kb = load_knowledge_base(root)
    assert list(kb.articles) == ["en/ok"]
    assert [(p.path, p.code, p.line) for p in kb.problems] == [("latin.md", "not-utf8", 1)]


def test_bom_is_ignored(make_articles):
    root = make_articles({"a.md": "\ufeff---\ntitle: A\n---\nBody\n"})
    assert load_knowledge_base(root).articles["en/a"].title == "A"


def test_updated_defaults_to_mtime_and_can_be_overridden(make_articles):
    root = make_articles({"a.md": "# A\n", "b.md": "---\nupdated: 2020-01-02\n---\n# B\n"})
    when = datetime(2023, 3, 4, tzinfo=UTC)
    kb = load_knowledge_base(root)
    assert kb.articles["en/a"].updated is not None
    kb = load_knowledge_base(root, updated_for=lambda path: when)
    assert kb.articles["en/a"].updated == when
    assert kb.articles["en/b"].updated == datetime(2020, 1, 2, tzinfo=UTC)


def test_hostile_yaml_is_a_problem_not_a_crash(make_articles):
    deep = "x: " + "[" * 5000 + "]" * 5000 + "\n"
    root = make_articles(
        {
            "deep.md": f"---\n{deep}---\nBody\n",
            "object.md": "---\ntitle: !!python/object/apply:os.system ['echo hi']\n---\nBody\n",
            "ok.md": "# Ok\n",
        }
    )
    kb = load_knowledge_base(root)
    assert list(kb.articles) == ["en/ok"]
    assert [(p.path, p.code) for p in kb.problems] == [
        ("deep.md", "bad-front-matter"),
        ("object.md", "bad-front-matter"),
    ]


def test_questions_are_a_list_of_customer_phrasings() -> None:
    from kbportal.content import frontmatter

    parsed = frontmatter.parse(
        "---\ntitle: T\nquestions:\n"
        '  - "how do I get my money back"\n  - возврат денег\n---\nBody\n'
    )
    assert parsed.data["questions"] == ("how do I get my money back", "возврат денег")
    assert not parsed.warnings
