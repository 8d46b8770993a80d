"""Incremental updates: changed, added, removed and renamed files, on a copy, then swapped."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from kbportal import publish
from kbportal.content.models import Article
from kbportal.publish import layout
from kbportal.publish.published import BuildKB
from kbportal.search.types import SearchQuery
from kbportal.viewer import PUBLIC


def _write(config: dict[str, Any], relpath: str, text: str) -> None:
    path: Path = config["ARTICLES_DIR"] / relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _hits(config: dict[str, Any], text: str) -> list[str]:
    return [h.key for h in publish.kb_for(config).search(SearchQuery(text)).hits]


def test_changed_file(built: dict[str, Any]) -> None:
    before = layout.current_build_id(built["DATA_DIR"])
    _write(built, "en/billing/invoices.md", "# Download invoices\n\nNow with pelicanword.\n")

    report = publish.update(built, ["en/billing/invoices.md"], [])

    assert not report.full and report.build_id != before
    assert report.changed == ["en/billing/invoices"]
    assert report.added == report.removed == []
    assert (report.articles, report.public, report.internal) == (7, 4, 3)
    assert _hits(built, "pelicanword") == ["en/billing/invoices"]


def test_added_file(built: dict[str, Any]) -> None:
    _write(built, "en/billing/coupons/apply.md", "# Apply a coupon\n\nUse the flamingoword.\n")

    report = publish.update(built, ["en/billing/coupons/apply.md"], [])

    kb = publish.kb_for(built)
    assert report.added == ["en/billing/coupons/apply"]
    assert _hits(built, "flamingoword") == ["en/billing/coupons/apply"]
    billing = kb.category("en", "billing", PUBLIC)
    assert billing is not None and [c.category.path for c in billing.children] == [
        "billing/coupons"
    ]


def test_removed_file(built: dict[str, Any]) -> None:
    (built["ARTICLES_DIR"] / "en/billing/invoices.md").unlink()

    report = publish.update(built, [], ["en/billing/invoices.md"])

    assert report.removed == ["en/billing/invoices"]
    assert publish.kb_for(built).article("en", "billing/invoices", PUBLIC) is None
    assert _hits(built, "invoices") == []


def test_a_changed_path_that_no_longer_exists_is_a_removal(built: dict[str, Any]) -> None:
    (built["ARTICLES_DIR"] / "en/billing/invoices.md").unlink()
    assert publish.update(built, ["en/billing/invoices.md"], []).removed == ["en/billing/invoices"]


def test_renamed_file_leaves_a_redirect(built: dict[str, Any]) -> None:
    root = built["ARTICLES_DIR"]
    (root / "en/billing/invoices.md").rename(root / "en/billing/bills.md")

    report = publish.update(built, [], [], {"en/billing/invoices.md": "en/billing/bills.md"})

    kb = publish.kb_for(built)
    assert report.redirects == {"en/billing/invoices": "en/billing/bills"}
    assert kb.article("en", "billing/invoices", PUBLIC) is None
    assert kb.article("en", "billing/bills", PUBLIC) is not None
    assert kb.redirect_for("en", "billing/invoices", PUBLIC) == "billing/bills"
    # A second rename keeps the first old URL working (redirects are re-pointed).
    (root / "en/billing/bills.md").rename(root / "en/billing/statements.md")
    publish.update(built, [], [], {"en/billing/bills.md": "en/billing/statements.md"})
    kb = publish.kb_for(built)
    assert kb.redirect_for("en", "billing/invoices", PUBLIC) == "billing/statements"
    assert kb.redirect_for("en", "billing/bills", PUBLIC) == "billing/statements"


def test_slug_change_in_front_matter_leaves_a_redirect(built: dict[str, Any]) -> None:
    text = "---\nslug: billing/receipts\n---\n# Receipts\n\nText.\n"
    _write(built, "en/billing/invoices.md", text)
    publish.update(built, ["en/billing/invoices.md"], [])
    kb = publish.kb_for(built)
    assert kb.redirect_for("en", "billing/invoices", PUBLIC) == "billing/receipts"


def test_turning_an_article_into_a_draft_unpublishes_it(built: dict[str, Any]) -> None:
    _write(built, "en/billing/invoices.md", "---\ndraft: true\n---\n# Download invoices\n")
    report = publish.update(built, ["en/billing/invoices.md"], [])
    assert report.removed == ["en/billing/invoices"]
    assert publish.kb_for(built).article("en", "billing/invoices", PUBLIC) is None


def test_a_broken_file_is_reported_and_the_rest_stays(built: dict[str, Any]) -> None:
    _write(built, "en/billing/invoices.md", "---\ntitle: [unclosed\n---\n# Broken\n")
    report = publish.update(built, ["en/billing/invoices.md"], [])
    assert [p.path for p in report.errors] == ["en/billing/invoices.md"]
    assert publish.kb_for(built).problems()[0].path == "en/billing/invoices.md"
    assert publish.kb_for(built).article("en", "billing/refunds", PUBLIC) is not None


def test_removing_everything_is_refused(built: dict[str, Any]) -> None:
    before = layout.current_build_id(built["DATA_DIR"])
    paths = [str(p.relative_to(built["ARTICLES_DIR"])) for p in built["ARTICLES_DIR"].rglob("*.md")]
    for path in paths:
        (built["ARTICLES_DIR"] / path).unlink()

    with pytest.raises(publish.EmptyBuildError):
        publish.update(built, [], paths)

    assert layout.current_build_id(built["DATA_DIR"]) == before
    assert publish.kb_for(built).article("en", "billing/refunds", PUBLIC) is not None


def test_a_category_file_change_rebuilds_everything(built: dict[str, Any]) -> None:
    _write(built, "en/billing/_category.yml", "title: Payments\n")
    report = publish.update(built, ["en/billing/_category.yml"], [])
    node = publish.kb_for(built).category("en", "billing", PUBLIC)
    assert report.full and node is not None and node.category.title == "Payments"


def test_paths_outside_the_tree_are_ignored(built: dict[str, Any]) -> None:
    report = publish.update(built, ["../../etc/passwd", "/etc/passwd", ""], [])
    assert report.added == report.changed == report.removed == []


def test_the_previous_build_still_reads_after_an_update(built: dict[str, Any]) -> None:
    old = layout.current_build(built["DATA_DIR"])
    assert old is not None
    _write(built, "en/billing/invoices.md", "# Download invoices\n\nNow with pelicanword.\n")
    publish.update(built, ["en/billing/invoices.md"], [])
    (built["ARTICLES_DIR"] / "en/billing/refunds.md").unlink()
    publish.update(built, [], ["en/billing/refunds.md"])

    # The index files are hard links shared with newer builds: the old one must be intact.
    kb = BuildKB(old, built["ARTICLES_DIR"])
    try:
        assert [h.key for h in kb.search(SearchQuery("refund card")).hits][0] == (
            "en/billing/refunds"
        )
        assert kb.search(SearchQuery("pelicanword")).total == 0
    finally:
        kb.close()


def test_links_to_an_article_that_became_internal_are_re_rendered(built: dict[str, Any]) -> None:
    def welcome_html() -> str:
        article = publish.kb_for(built).article("en", "start/welcome", PUBLIC)
        assert article is not None
        return article.html

    assert 'href="/en/articles/billing/refunds"' in welcome_html()
    text = "---\ntitle: Secret refunds\nvisibility: internal\n---\n\nHidden.\n"
    _write(built, "en/billing/refunds.md", text)

    report = publish.update(built, ["en/billing/refunds.md"], [])

    assert "/en/articles/billing/refunds" not in welcome_html()
    assert "Secret refunds" not in welcome_html()
    assert report.removed == [] and "en/start/welcome" in report.changed
    assert any(p.code == "internal-link" for p in report.problems)


def test_links_to_a_removed_article_are_reported(built: dict[str, Any]) -> None:
    (built["ARTICLES_DIR"] / "en/billing/refunds.md").unlink()
    report = publish.update(built, [], ["en/billing/refunds.md"])
    assert [(p.path, p.code) for p in report.errors] == [("en/start/welcome.md", "missing-link")]
    # Putting it back mends the link.
    _write(built, "en/billing/refunds.md", "# Refunds\n\nBack again.\n")
    report = publish.update(built, ["en/billing/refunds.md"], [])
    assert report.errors == []
    assert publish.kb_for(built).problems() == []


def test_new_files_may_link_to_each_other(built: dict[str, Any]) -> None:
    _write(built, "en/new/a.md", "# A\n\nSee [b](b.md).\n")
    _write(built, "en/new/b.md", "# B\n\nSee [a](a.md).\n")
    report = publish.update(built, ["en/new/a.md", "en/new/b.md"], [])
    assert report.errors == [] and report.added == ["en/new/a", "en/new/b"]


class FakeGit:
    """Dates and authors as the git layer provides them (a real implementation lives in sync)."""

    def updated_for(self, relpath: str) -> datetime | None:
        return datetime(2020, 5, 17, tzinfo=UTC)

    def enrich(self, article: Article) -> Article:
        return replace(article, authors=("Ada",))


def test_metadata_gives_dates_and_authors(sample_config: dict[str, Any]) -> None:
    publish.build(sample_config, metadata=FakeGit())
    article = publish.kb_for(sample_config).article("en", "start/welcome", PUBLIC)
    assert article is not None and article.authors == ("Ada",)
    assert article.updated == datetime(2020, 5, 17, tzinfo=UTC)
    _write(sample_config, "en/start/welcome.md", "# Welcome v2\n")
    publish.update(sample_config, ["en/start/welcome.md"], [], metadata=FakeGit())
    article = publish.kb_for(sample_config).article("en", "start/welcome", PUBLIC)
    assert article is not None and article.authors == ("Ada",) and article.title == "Welcome v2"


def test_an_explicit_duplicate_slug_keeps_the_earlier_file(built: dict[str, Any]) -> None:
    _write(built, "en/billing/zz-copy.md", "---\nslug: billing/refunds\n---\n# Copy\n")
    report = publish.update(built, ["en/billing/zz-copy.md"], [])
    assert [(p.path, p.code) for p in report.errors] == [
        ("en/billing/zz-copy.md", "duplicate-slug")
    ]
    refunds = publish.kb_for(built).article("en", "billing/refunds", PUBLIC)
    assert refunds is not None and refunds.title == "How to get a refund"

    # An earlier path claiming the slug wins, as in a full build.
    _write(built, "en/billing/aa-first.md", "---\nslug: billing/refunds\n---\n# First\n")
    publish.update(built, ["en/billing/aa-first.md"], [])
    refunds = publish.kb_for(built).article("en", "billing/refunds", PUBLIC)
    assert refunds is not None and refunds.title == "First"
    full = publish.build(built)
    duplicates = {p.path for p in full.errors if p.code == "duplicate-slug"}
    assert duplicates == {"en/billing/refunds.md", "en/billing/zz-copy.md"}
    refunds = publish.kb_for(built).article("en", "billing/refunds", PUBLIC)
    assert refunds is not None and refunds.title == "First"


def test_an_index_of_an_older_format_gets_a_full_build(built: dict[str, Any]) -> None:
    current = layout.current_build(built["DATA_DIR"])
    assert current is not None
    (current / "index" / "KBPORTAL_FORMAT").write_text("kbportal-search-0\n")
    _write(built, "en/billing/invoices.md", "# Download invoices\n\nNow with heronword.\n")

    report = publish.update(built, ["en/billing/invoices.md"], [])

    assert report.full
    assert _hits(built, "heronword") == ["en/billing/invoices"]
