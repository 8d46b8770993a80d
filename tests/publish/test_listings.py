"""Listings come from the in-memory listing records; full articles from the store (cached)."""

from __future__ import annotations

from typing import Any

import pytest

from kbportal import publish
from kbportal.publish.published import BuildKB
from kbportal.viewer import PUBLIC, Viewer

STAFF = Viewer(staff=True)


@pytest.fixture
def kb(built: dict[str, Any]) -> BuildKB:
    return publish.kb_for(built)


def test_listings_carry_listing_fields_and_no_body(kb: BuildKB) -> None:
    listed = {a.slug: a for a in kb.articles_in("en", "billing", PUBLIC)}
    refunds = listed["billing/refunds"]
    assert refunds.title == "How to get a refund" and refunds.summary == "Money back."
    assert refunds.updated is not None and refunds.html == "" and refunds.sections == ()
    recent = kb.recent("en", PUBLIC, limit=50)
    assert "billing/refunds" in [a.slug for a in recent]
    assert all(a.html == "" for a in recent)


def test_listings_keep_template_and_authors(
    make_articles: Any, sample_config: dict[str, Any]
) -> None:
    (sample_config["ARTICLES_DIR"] / "en/internal/reply.md").write_text(
        "---\ntitle: First reply\nvisibility: internal\ntemplate: true\n"
        "authors: [Ann]\nsummary: Say hello.\n---\n\nHello {{customer_name}}.\n"
    )
    publish.build(sample_config)
    kb = publish.kb_for(sample_config)
    listed = {a.slug: a for a in kb.articles_in("en", "internal", STAFF)}
    reply = listed["internal/reply"]
    assert reply.template and reply.authors == ("Ann",) and reply.summary == "Say hello."
    assert kb.articles_in("en", "internal", PUBLIC) == []


def test_full_articles_are_read_again_from_memory(kb: BuildKB) -> None:
    first = kb.article("en", "billing/refunds", PUBLIC)
    again = kb.article("en", "billing/refunds", PUBLIC)
    assert first is not None and again is first and 'id="refund-by-card"' in first.html
    assert kb.article("en", "billing/secret-note", PUBLIC) is None  # the cache is not a door
    assert kb.article("en", "billing/secret-note", STAFF) is not None
    assert kb.article("en", "billing/secret-note", PUBLIC) is None
