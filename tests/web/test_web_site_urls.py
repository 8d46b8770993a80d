"""Issue 7 §4: feeds and sitemaps are valid XML, and only trusted hosts reach absolute URLs."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from support import close_app, make_app

from kbportal import publish
from kbportal.content.models import Article
from kbportal.web import feeds
from kbportal.web.site import host_allowed, parse_hosts, xml_text

FILES = {
    "en/billing/refunds.md": (
        '---\ntitle: "Refunds \\x01 and \\x0b more"\nsummary: "Money\\x1f back"\n'
        "updated: 2026-11-01\n---\n\nRefunds go back to the card.\n"
    ),
    "en/billing/invoices.md": "---\nupdated: 2026-10-01\n---\n\n# Invoices\n\nPDF files.\n",
    # The case: a raw \x01 typed into a title.
    "en/billing/raw.md": "---\nupdated: 2026-12-01\n---\n\n# Raw \x01 title\n\nText.\n",
}


@pytest.fixture
def make(tmp_path: Path) -> Iterator:
    apps: list[Flask] = []

    def build(**overrides: object) -> Flask:
        app = make_app(tmp_path / str(len(apps)), FILES, **overrides)
        apps.append(app)
        return app

    yield build
    for app in apps:
        close_app(app)
    publish.close_all()


def test_a_control_character_in_a_title_keeps_the_feed_valid_xml(make) -> None:
    client = make().test_client()
    for url in ("/en/feed.xml", "/sitemap.xml"):
        body = client.get(url).data
        ET.fromstring(body)  # raises on invalid XML
        assert b"\x01" not in body and b"\x0b" not in body and b"\x1f" not in body
    feed = client.get("/en/feed.xml").text
    assert "Refunds  and  more" in feed and "Raw  title" in feed


def test_xml_text_drops_what_xml_cannot_carry() -> None:
    assert xml_text("a\x00b\x08c\td\ne\rf\ufffeg\uffff") == "abc\td\ne\rfg"
    assert xml_text("ok: ё, 😀") == "ok: ё, 😀"


@pytest.mark.parametrize("url", ["/sitemap.xml", "/en/feed.xml", "/robots.txt"])
def test_a_forged_host_is_never_written(make, url: str) -> None:
    client = make().test_client()
    response = client.get(url, headers={"Host": "evil.example"})
    assert b"evil.example" not in response.data
    if url == "/robots.txt":
        assert response.status_code == 200 and b"Sitemap:" not in response.data
    else:
        assert response.status_code == 404


def test_public_url_wins_over_any_host(make) -> None:
    client = make(PUBLIC_URL="https://help.example.com/").test_client()
    for host in ("evil.example", "localhost"):
        for url in ("/sitemap.xml", "/en/feed.xml", "/robots.txt"):
            body = client.get(url, headers={"Host": host}).text
            assert "https://help.example.com/" in body and "evil" not in body


def test_allowed_hosts_setting(make) -> None:
    client = make(ALLOWED_HOSTS="help.example.com, .example.org").test_client()
    assert (
        b"http://help.example.com/"
        in client.get("/sitemap.xml", headers={"Host": "help.example.com:80"}).data
    )
    assert client.get("/sitemap.xml", headers={"Host": "kb.example.org"}).status_code == 200
    assert client.get("/sitemap.xml", headers={"Host": "localhost"}).status_code == 404


def test_a_new_host_does_not_rerender_or_poison_the_cached_sitemap(make, monkeypatch) -> None:
    client = make(PUBLIC_URL="https://help.example.com").test_client()
    first = client.get("/sitemap.xml").data
    rendered: list[str] = []
    original = feeds.sitemap_documents
    monkeypatch.setattr(
        feeds, "sitemap_documents", lambda *a: rendered.append(a[0]) or original(*a)
    )
    for number in range(20):
        assert client.get("/sitemap.xml", headers={"Host": f"h{number}.evil"}).data == first
    assert rendered == []


def test_hosts_parse_and_match() -> None:
    allowed = parse_hosts("Localhost, [::1]:8000, .Example.com")
    assert allowed == ("localhost", "::1", ".example.com")
    assert host_allowed("localhost:5000", allowed) and host_allowed("[::1]:80", allowed)
    assert host_allowed("a.example.com", allowed) and host_allowed("example.com", allowed)
    assert not host_allowed("example.com.evil", allowed) and not host_allowed("evil", allowed)


def _articles(count: int) -> list[Article]:
    when = datetime(2026, 11, 1, tzinfo=UTC)
    return [
        Article(locale="en", slug=f"a/{n}", path=f"a/{n}.md", title="t", html="", updated=when)
        for n in range(count)
    ]


def test_over_50000_urls_make_a_sitemap_index(make) -> None:
    app = make()
    with app.test_request_context("/sitemap.xml"):
        one = feeds.sitemap_documents("https://h", _articles(50_000), feeds.SITEMAP_MAX_URLS)
        assert list(one) == [0] and one[0].count("<url>") == 50_000
        many = feeds.sitemap_documents("https://h", _articles(50_001), feeds.SITEMAP_MAX_URLS)
    assert sorted(many) == [0, 1, 2]
    index = ET.fromstring(many[0])
    assert index.tag.endswith("sitemapindex")
    assert [e.text for e in index.iter() if e.tag.endswith("loc")] == [
        "https://h/sitemap-1.xml",
        "https://h/sitemap-2.xml",
    ]
    assert many[1].count("<url>") == 50_000 and many[2].count("<url>") == 1


def test_sitemap_index_is_served(make, monkeypatch) -> None:
    monkeypatch.setattr(feeds, "SITEMAP_MAX_URLS", 1)
    client = make().test_client()
    index = client.get("/sitemap.xml").text
    assert "<sitemapindex" in index and "http://localhost/sitemap-2.xml" in index
    parts = [client.get(f"/sitemap-{n}.xml") for n in (1, 2, 3, 4)]
    assert [p.status_code for p in parts] == [200, 200, 200, 404]
    assert all(p.text.count("<url>") == 1 for p in parts[:3])
