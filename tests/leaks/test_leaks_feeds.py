"""Machine-read public outputs never list internal articles: sitemap and Atom feeds."""

from __future__ import annotations

from flask.testing import FlaskClient
from leaks_sample import INTERNAL_TITLE, NOTE_TITLE, assert_clean


def test_sitemap(public: FlaskClient, agent: FlaskClient) -> None:
    for client in (public, agent):  # signed in or not, the sitemap is the customers' one
        body = client.get("/sitemap.xml").get_data(as_text=True)
        assert "/en/articles/billing/refunds" in body
        assert_clean(body, INTERNAL_TITLE, NOTE_TITLE, "/ru/articles/billing/refunds")


def test_feeds(public: FlaskClient, agent: FlaskClient) -> None:
    # The internal articles are the most recently updated: they would top the feed.
    for client in (public, agent):
        for locale in ("en", "ru"):
            body = client.get(f"/{locale}/feed.xml").get_data(as_text=True)
            assert "<feed" in body
            assert_clean(body, INTERNAL_TITLE, NOTE_TITLE)
    assert "Getting a refund" in public.get("/en/feed.xml").get_data(as_text=True)
