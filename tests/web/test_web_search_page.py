"""The search page: results, pagination, "did you mean", filters, empty state, feeds' XML."""

from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from support import make_app

from kbportal.web.templating import snippet_html


def test_results_link_to_sections_with_highlighted_snippets(client: FlaskClient) -> None:
    body = client.get("/en/search?q=five+working+days").get_data(as_text=True)
    # The link credits the click to this search (?click=ID.POS) and opens the section.
    assert re.search(
        r'href="/en/articles/billing/refunds\?click=\d+\.1&amp;sec=refund-timing#refund-timing"',
        body,
    )
    assert "<mark>" in body and 'role="status"' in body


def test_pagination(client: FlaskClient) -> None:
    # The shared app shows two results per page.
    first = client.get("/en/search?q=refund+invoice+booking+workspace").get_data(as_text=True)
    assert 'rel="next"' in first and 'aria-current="page">1<' in first
    second = client.get("/en/search?q=refund+invoice+booking+workspace&page=2")
    text = second.get_data(as_text=True)
    assert 'rel="prev"' in text and '<ol class="results" start="3">' in text
    far = client.get("/en/search?q=refund&page=50").get_data(as_text=True)
    assert "Back to the first page of results" in far


def test_did_you_mean(client: FlaskClient) -> None:
    body = client.get("/en/search?q=refnd").get_data(as_text=True)
    assert "Did you mean" in body and "q=refund" in body


def test_category_filter(client: FlaskClient) -> None:
    body = client.get("/en/search?q=refund+booking&category=start").get_data(as_text=True)
    assert 'value="start" selected' in body
    assert "/en/articles/start/setup/first-booking" in body
    assert "/en/articles/billing/refunds" not in body


def test_empty_state_has_tips(client: FlaskClient) -> None:
    body = client.get("/en/search?q=zzzqqq").get_data(as_text=True)
    assert "0 articles found" in body and "Tips" in body
    filtered = client.get("/en/search?q=zzzqqq&category=billing").get_data(as_text=True)
    assert "Search all categories" in filtered


def test_no_query_shows_the_form_only(client: FlaskClient) -> None:
    body = client.get("/en/search?q=%20%20").get_data(as_text=True)
    assert 'role="search"' in body and "articles found" not in body


def test_snippet_filter_lets_only_mark_through() -> None:
    dirty = "a <mark>b</mark> <script>x()</script><img src=x onerror=y()> &amp; c"
    clean = str(snippet_html(dirty))
    assert "<mark>b</mark>" in clean and "<script" not in clean and "<img" not in clean
    assert "&amp; c" in clean


def test_feed_and_sitemap_are_well_formed_xml(client: FlaskClient) -> None:
    atom = "{http://www.w3.org/2005/Atom}"
    feed = ET.fromstring(client.get("/en/feed.xml").data)
    entries = feed.findall(f"{atom}entry")
    assert entries and all(e.findtext(f"{atom}updated", "").endswith("+00:00") for e in entries)
    sitemap = ET.fromstring(client.get("/sitemap.xml").data)
    locs = [e.text for e in sitemap.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    assert "http://localhost/en/articles/start/setup/first-booking" in locs
    assert len(locs) == len(set(locs)) == 5


@pytest.fixture
def broken_client(tmp_path: Path, app_factory: Callable[..., Flask]) -> FlaskClient:
    """An app whose articles folder has nothing to publish: every KB read fails."""
    app = app_factory()
    shutil.rmtree(tmp_path / "articles")
    (tmp_path / "articles").mkdir()
    return app.test_client()


def test_an_unpublished_kb_gives_a_clear_503_without_details(broken_client: FlaskClient) -> None:
    page = broken_client.get("/en/")
    assert page.status_code == 503 and "Traceback" not in page.get_data(as_text=True)
    assert "not been published yet" in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    api = broken_client.get("/api/v1/search?q=x")
    assert api.status_code == 503
    assert api.get_json() == {"error": "the knowledge base has not been published yet"}


def test_a_bug_gives_a_plain_500_without_details(app_factory: Callable[..., Flask]) -> None:
    app = app_factory()

    @app.get("/api/v1/boom")
    @app.get("/en/boom")
    def boom() -> str:
        raise RuntimeError("secret detail")

    client = app.test_client()
    page = client.get("/en/boom")
    assert page.status_code == 500 and "secret detail" not in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    api = client.get("/api/v1/boom")
    assert api.status_code == 500
    assert api.get_json() == {"error": "internal error"}


def test_category_choices_stay_short_with_many_categories(tmp_path: Path) -> None:
    # 150 folders of 3 levels: the select offers the top two levels (at most 100) and the
    # chosen one, so a search page costs the same with 10 categories or 2,000.
    files = {f"en/top{i:03d}/mid/deep/page{i}.md": f"# Page {i}\n\nwords\n" for i in range(150)}
    client = make_app(tmp_path, files).test_client()
    body = client.get("/en/search?q=words").get_data(as_text=True)
    assert body.count("<option") == 101  # "All categories" and 100 choices
    assert 'value="top000/mid/deep"' not in body
    chosen = client.get("/en/search?q=words&category=top149/mid/deep").get_data(as_text=True)
    assert 'value="top149/mid/deep" selected' in chosen


def test_category_choices_are_escaped_and_the_chosen_one_marked(tmp_path: Path) -> None:
    files = {
        "en/tips/_category.yml": 'title: "Tips & <b>tricks</b>"\n',
        "en/tips/page.md": "# Page\n\nwords\n",
        "en/tips/more/page.md": "# More\n\nwords\n",
        "en/other/page.md": "# Other\n\nwords\n",
    }
    client = make_app(tmp_path, files).test_client()
    for _ in range(2):  # rendered once per build, locale and viewer, then reused
        body = client.get("/en/search?q=words").get_data(as_text=True)
        assert '<option value="tips">Tips &amp; &lt;b&gt;tricks&lt;/b&gt;</option>' in body
        assert '<option value="tips/more">\u2003' in body and " selected" not in body
        chosen = client.get("/en/search?q=words&category=tips").get_data(as_text=True)
        assert '<option value="tips" selected>Tips &amp;' in chosen
        assert chosen.count(" selected") == 1
