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


def test_sitemap_index_parts(public: FlaskClient, monkeypatch) -> None:
    """Past the per-file limit the sitemap is an index; no part lists an internal article."""
    from kbportal.web import feeds

    monkeypatch.setattr(feeds, "SITEMAP_MAX_URLS", 1)
    monkeypatch.setattr(feeds, "_sitemaps", {})
    index = public.get("/sitemap.xml").get_data(as_text=True)
    assert "<sitemapindex" in index
    number = 1
    while (part := public.get(f"/sitemap-{number}.xml")).status_code == 200:
        assert_clean(part.get_data(as_text=True), INTERNAL_TITLE, NOTE_TITLE)
        number += 1
    assert number > 2 and f"/sitemap-{number - 1}.xml" in index
