"""The PublishedKB on a real build: every method filters by the viewer; media stays in the tree."""

from __future__ import annotations

import os
from typing import Any

import pytest

from kbportal import publish
from kbportal.publish.published import BuildKB
from kbportal.search.types import SearchQuery
from kbportal.viewer import PUBLIC, Viewer

STAFF = Viewer(staff=True)
INTERNAL_WORDS = ("zebrafoxtrot", "kiwiword", "Escalation", "agents")


@pytest.fixture
def kb(built: dict[str, Any]) -> BuildKB:
    return publish.kb_for(built)


def test_articles(kb: BuildKB) -> None:
    refunds = kb.article("en", "billing/refunds", PUBLIC)
    assert refunds is not None and refunds.title == "How to get a refund"
    assert 'id="refund-by-card"' in refunds.html
    assert kb.article("en", "internal/escalation", PUBLIC) is None
    assert kb.article("en", "billing/secret-note", PUBLIC) is None
    assert kb.article("en", "internal/escalation", STAFF) is not None
    assert kb.article("en", "no/such", STAFF) is None
    assert kb.article("xx", "billing/refunds", PUBLIC) is None


def test_audience_narrows_internal_articles(
    make_articles: Any, tmp_path: Any, sample_config: dict[str, Any]
) -> None:
    (sample_config["ARTICLES_DIR"] / "en/internal/refund-rules.md").write_text(
        "---\ntitle: Refund approval\nvisibility: internal\naudience: [billing]\n---\n\nRules.\n"
    )
    publish.build(sample_config)
    kb = publish.kb_for(sample_config)
    assert kb.article("en", "internal/refund-rules", STAFF) is None
    assert kb.article("en", "internal/refund-rules", Viewer(True, frozenset({"billing"})))


def test_category_counts_are_per_viewer(kb: BuildKB) -> None:
    public = {n.category.path: n.count for n in kb.categories("en", PUBLIC)}
    staff = {n.category.path: n.count for n in kb.categories("en", STAFF)}
    assert public == {"billing": 2, "start": 1}
    assert staff == {"billing": 3, "internal": 1, "start": 1}
    assert kb.category("en", "internal", PUBLIC) is None
    node = kb.category("en", "internal", STAFF)
    assert node is not None and node.count == 1
    assert kb.category("en", "nope", STAFF) is None
    assert [n.category.path for n in kb.categories("ru", PUBLIC)] == ["billing"]


def test_articles_in_a_category(kb: BuildKB) -> None:
    assert [a.slug for a in kb.articles_in("en", "billing", PUBLIC)] == [
        "billing/invoices",
        "billing/refunds",
    ]
    assert "billing/secret-note" in [a.slug for a in kb.articles_in("en", "billing", STAFF)]
    assert kb.articles_in("en", "internal", PUBLIC) == []


def test_related_articles(kb: BuildKB) -> None:
    refunds = kb.article("en", "billing/refunds", STAFF)
    assert refunds is not None
    assert [a.slug for a in kb.related(refunds, PUBLIC)] == ["billing/invoices"]
    staff = [a.slug for a in kb.related(refunds, STAFF)]
    assert staff[0] == "billing/invoices" and "billing/secret-note" in staff
    assert kb.related(refunds, PUBLIC, limit=0) == []


def test_translations(kb: BuildKB) -> None:
    refunds = kb.article("en", "billing/refunds", PUBLIC)
    welcome = kb.article("en", "start/welcome", PUBLIC)
    assert refunds is not None and welcome is not None
    assert list(kb.translations(refunds, PUBLIC)) == ["ru"]
    assert kb.translations(welcome, PUBLIC) == {}  # its Russian version is internal
    assert list(kb.translations(welcome, STAFF)) == ["ru"]


def test_recent(kb: BuildKB) -> None:
    public = [a.key for a in kb.recent("en", PUBLIC, limit=50)]
    assert sorted(public) == ["en/billing/invoices", "en/billing/refunds", "en/start/welcome"]
    assert "en/internal/escalation" in [a.key for a in kb.recent("en", STAFF, limit=50)]
    assert len(kb.recent("en", PUBLIC, limit=1)) == 1


def test_redirects(kb: BuildKB) -> None:
    assert kb.redirect_for("en", "refund-policy", PUBLIC) == "billing/refunds"
    assert kb.redirect_for("en", "old-escalation", PUBLIC) is None
    assert kb.redirect_for("en", "old-escalation", STAFF) == "internal/escalation"
    assert kb.redirect_for("ru", "refund-policy", PUBLIC) is None
    assert kb.redirect_for("en", "billing/refunds", PUBLIC) is None  # a live slug


def test_search_and_autocomplete(kb: BuildKB) -> None:
    for word in INTERNAL_WORDS:
        results = kb.search(SearchQuery(word, viewer=PUBLIC))
        assert results.total == 0 and results.hits == [], word
        assert kb.autocomplete(word[:4], PUBLIC) == [], word
    assert kb.search(SearchQuery("zebrafoxtrot", viewer=STAFF)).total == 1
    assert [s.slug for s in kb.autocomplete("escal", STAFF)] == ["internal/escalation"]
    # The title that begins with what was typed first; then what the search itself finds.
    assert [s.slug for s in kb.autocomplete("refu", PUBLIC, locale="en")][0] == "billing/refunds"


def test_problems(kb: BuildKB) -> None:
    assert kb.problems() == []


def test_media_served_only_for_visible_articles(kb: BuildKB) -> None:
    card = kb.media_file("en/billing/images/card.png")
    assert card is not None and card.read_bytes().startswith(b"\x89PNG")
    assert kb.media_file("en/internal/img/secret.png", PUBLIC) is None
    assert kb.media_file("en/internal/img/secret.png", STAFF) is not None


@pytest.mark.parametrize(
    "relpath",
    [
        "",
        "../secret.png",
        "en/../../secret.png",
        "/etc/passwd",
        "en/billing/images/../../../../secret.png",
        "en\\billing\\images\\card.png",
        "en/billing/refunds.md",
        "en/billing/_category.yml",
        ".git/config.png",
        "en/billing/images/card.png\x00.md",
        "en//billing/images/card.png",
        "en/billing/images/missing.png",
    ],
)
def test_media_path_traversal(kb: BuildKB, relpath: str) -> None:
    assert kb.media_file(relpath, STAFF) is None


def test_media_symlink_out_of_the_tree(built: dict[str, Any], tmp_path: Any) -> None:
    outside = tmp_path / "outside.png"
    outside.write_bytes(b"\x89PNG secret")
    card = built["ARTICLES_DIR"] / "en/billing/images/card.png"
    card.unlink()
    os.symlink(outside, card)
    assert publish.kb_for(built).media_file("en/billing/images/card.png") is None


def test_a_linked_pdf_is_served_like_an_image(built: dict[str, Any]) -> None:
    """The renderer links files of every media type to /media/; serving must agree with it."""
    (built["ARTICLES_DIR"] / "en/billing/price-list.pdf").write_bytes(b"%PDF-1.4 prices")
    invoices = built["ARTICLES_DIR"] / "en/billing/invoices.md"
    invoices.write_text(
        "# Download invoices\n\nSee the [price list](price-list.pdf).\n", encoding="utf-8"
    )
    publish.build(built)
    kb = publish.kb_for(built)
    assert (
        'href="/media/en/billing/price-list.pdf"'
        in kb.article("en", "billing/invoices", PUBLIC).html
    )
    pdf = kb.media_file("en/billing/price-list.pdf", PUBLIC)
    assert pdf is not None and pdf.read_bytes().startswith(b"%PDF")
