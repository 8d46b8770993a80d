"""Every page renders from a real build; redirects, 404s and the Russian UI."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

PAGES = [
    "/en/",
    "/ru/",
    "/en/categories/billing",
    "/en/categories/start/setup",
    "/ru/categories/billing",
    "/en/articles/billing/refunds",
    "/en/articles/start/welcome",
    "/ru/articles/billing/refunds",
    "/en/search",
    "/en/search?q=refund",
    "/en/search?q=refund&category=billing",
    "/en/search?q=zzzqqq",
    "/ru/search?q=возврат",
    "/sitemap.xml",
    "/en/feed.xml",
    "/ru/feed.xml",
]


@pytest.mark.parametrize("url", PAGES)
def test_page_renders(client: FlaskClient, url: str) -> None:
    assert client.get(url).status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "/nope",
        "/xx/",
        "/xx/articles/billing/refunds",
        "/en/articles/no-such-article",
        "/en/categories/no-such-category",
        "/en/articles/no-such-article/",
        "/en/articles/start/pricing-draft",
        "/en/articles/start/pricing-draft/",
        "/static/../kbportal/config.py",
    ],
)
def test_unknown_pages_get_the_helpful_404(client: FlaskClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert 'role="search"' in body and "/en/categories/billing" in body


def test_internal_article_404_is_the_same_as_a_missing_one(client: FlaskClient) -> None:
    hidden = client.get("/en/articles/billing/internal/override")
    missing = client.get("/en/articles/billing/gone/override")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.get_data() == missing.get_data()
    assert hidden.headers["Cache-Control"] == missing.headers["Cache-Control"]


@pytest.mark.parametrize(
    ("accept", "target"),
    [("ru-RU,ru;q=0.9,en;q=0.5", "/ru/"), ("en-US", "/en/"), ("de", "/en/"), (None, "/en/")],
)
def test_root_redirects_to_the_preferred_locale(
    client: FlaskClient, accept: str | None, target: str
) -> None:
    headers = {"Accept-Language": accept} if accept else {}
    response = client.get("/", headers=headers)
    assert response.status_code == 302
    assert response.headers["Location"] == target
    assert "Accept-Language" in response.headers["Vary"]
    assert response.headers["Cache-Control"] == "private"


def test_old_slug_redirects_permanently(client: FlaskClient) -> None:
    response = client.get("/en/articles/refund-policy")
    assert response.status_code == 301
    assert response.headers["Location"] == "/en/articles/billing/refunds"


def test_alias_of_an_internal_article_is_a_plain_404(client: FlaskClient) -> None:
    assert client.get("/en/articles/old-override").status_code == 404


def test_article_page_parts(client: FlaskClient) -> None:
    body = client.get("/en/articles/billing/refunds").get_data(as_text=True)
    assert "<h1" in body and "Getting a refund" in body
    assert 'href="/en/categories/billing">Billing</a>' in body  # breadcrumb
    assert 'href="#refund-timing"' in body  # table of contents
    assert 'datetime="2026-11-01' in body  # last updated
    assert 'href="/en/articles/billing/invoices"' in body  # related
    assert 'hreflang="ru" href="/ru/articles/billing/refunds"' in body  # translation
    assert 'src="/media/img/logo.png"' in body


def test_category_page_parts(client: FlaskClient) -> None:
    body = client.get("/en/categories/start").get_data(as_text=True)
    assert 'href="/en/categories/start/setup"' in body  # subcategory
    assert "1 article" in body  # its count
    assert 'href="/en/articles/start/welcome"' in body
    deep = client.get("/en/categories/start/setup").get_data(as_text=True)
    assert 'href="/en/categories/start">Getting started</a>' in deep


def test_home_lists_categories_with_counts_and_recent(client: FlaskClient) -> None:
    body = client.get("/en/").get_data(as_text=True)
    assert 'href="/en/categories/billing"' in body and "2 articles" in body
    assert "Recently updated" in body and 'href="/en/articles/billing/refunds"' in body


def test_page_markup_is_accessible(client: FlaskClient) -> None:
    body = client.get("/en/search?q=refund").get_data(as_text=True)
    assert '<html lang="en">' in body
    assert 'class="skip-link" href="#main"' in body and '<main id="main"' in body
    assert '<label for="q"' in body and '<label for="category"' in body
    assert 'role="search"' in body and "<header" in body and "<footer" in body


def test_russian_ui(client: FlaskClient) -> None:
    body = client.get("/ru/").get_data(as_text=True)
    assert '<html lang="ru">' in body
    assert "Как мы можем помочь?" in body
    assert "Skip to content" not in body
    assert "1 статья" in body  # Russian plural forms
    assert "Статьи" in client.get("/ru/categories/billing").get_data(as_text=True)
    not_found = client.get("/ru/articles/nothing-here").get_data(as_text=True)
    assert "Не удалось найти страницу" in not_found


def test_media_serves_images_from_the_tree(client: FlaskClient) -> None:
    with client.get("/media/img/logo.png") as response:
        assert response.status_code == 200 and response.mimetype == "image/png"
        assert response.headers["Cache-Control"] == "public, max-age=60"
        policy = response.headers["Content-Security-Policy"]
        assert "default-src 'none'" in policy and "sandbox" in policy
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_svg_media_cannot_run_scripts(client: FlaskClient) -> None:
    with client.get("/media/img/diagram.svg") as response:
        assert response.status_code == 200 and response.mimetype == "image/svg+xml"
        assert "sandbox" in response.headers["Content-Security-Policy"]
        assert "script-src" not in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize(
    "path",
    [
        "/media/../data/secret_key",
        "/media/%2e%2e/%2e%2e/etc/passwd",
        "/media/..%2f..%2fetc%2fpasswd",
        "/media//etc/passwd",
        "/media/en/billing/refunds.md",
        "/media/en/billing/_category.yml",
        "/media/img/missing.png",
        "/media/img/override-screen.png",  # only an internal article shows it
        "/media/img/logo.png%00.md",
    ],
)
def test_media_traversal_is_404(client: FlaskClient, path: str) -> None:
    # Werkzeug merges "//" with a redirect first; wherever it lands, nothing is served.
    with client.get(path, follow_redirects=True) as response:
        assert response.status_code == 404


def test_sitemap_and_feed(client: FlaskClient) -> None:
    sitemap = client.get("/sitemap.xml")
    assert sitemap.mimetype == "application/xml"
    text = sitemap.get_data(as_text=True)
    assert "http://localhost/en/articles/billing/refunds" in text
    assert "http://localhost/ru/articles/billing/refunds" in text
    robots = client.get("/robots.txt").get_data(as_text=True)
    assert "Sitemap: http://localhost/sitemap.xml" in robots and "Disallow: /en/search" in robots
    feed = client.get("/en/feed.xml")
    assert feed.mimetype == "application/atom+xml"
    assert "<entry>" in feed.get_data(as_text=True)


def test_big_categories_are_paginated(tmp_path: Path, app_factory: Callable[..., Flask]) -> None:
    app = app_factory()
    for n in range(51):
        (tmp_path / "articles/en/many").mkdir(parents=True, exist_ok=True)
        (tmp_path / f"articles/en/many/page-{n:02}.md").write_text(f"# Page {n:02}\n\nText.\n")
    client = app.test_client()
    first = client.get("/en/categories/many").get_data(as_text=True)
    assert first.count('href="/en/articles/many/page-') == 50 and 'rel="next"' in first
    second = client.get("/en/categories/many?page=2").get_data(as_text=True)
    assert second.count('href="/en/articles/many/page-') == 1 and 'rel="prev"' in second
    assert client.get("/en/categories/many?page=abc").status_code == 200


def test_home_shows_popular_articles_from_recorded_views(app_factory: Callable[..., Flask]) -> None:
    from kbportal.analytics import get_analytics
    from kbportal.db import utcnow

    app = app_factory()
    client = app.test_client()
    for _ in range(3):
        client.get("/en/articles/billing/invoices")
    client.get("/en/articles/start/welcome")
    analytics = get_analytics(app)
    for _ in range(5):  # staff reading an internal article: counted, but never shown to customers
        analytics.recorder.view(utcnow().date(), "en/billing/internal/override")
    analytics.recorder.flush()
    analytics.popularity.forget()
    body = client.get("/en/").get_data(as_text=True)
    popular = body.split('id="popular-title"', 1)[1].split("</section>", 1)[0]
    assert popular.index("/en/articles/billing/invoices") < popular.index(
        "/en/articles/start/welcome"
    )


def test_a_page_in_the_browsers_language_varies_by_it(client: FlaskClient) -> None:
    # A 404 outside any locale speaks the browser's language: a shared cache must key on it.
    russian = client.get("/no-such-page", headers={"Accept-Language": "ru"})
    assert russian.status_code == 404 and "Accept-Language" in russian.headers["Vary"]
    page = client.get("/en/articles/billing/refunds", headers={"Accept-Language": "ru"})
    assert "Accept-Language" not in page.headers.get("Vary", "")  # the URL names the locale
