"""Searches, clicks and sessions through the real app on a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from kbportal.analytics import get_analytics
from kbportal.analytics.models import Click, SearchRow
from kbportal.db import get_database

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0"


def client_of(app: Flask, agent: str = BROWSER) -> FlaskClient:
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = agent
    return client


def searches(app: Flask) -> list[SearchRow]:
    get_analytics(app).recorder.flush()
    with get_database(app).session() as session:
        return list(session.scalars(select(SearchRow).order_by(SearchRow.at)))


def clicks(app: Flask) -> list[Click]:
    get_analytics(app).recorder.flush()
    with get_database(app).session() as session:
        return list(session.scalars(select(Click).order_by(Click.id)))


def test_a_search_page_makes_one_row_with_its_results(portal: Flask) -> None:
    client = client_of(portal)
    page = client.get("/en/search?q=five+working+days")
    assert page.status_code == 200
    search_id = int(re.search(r'name="kbportal-search-id" content="(\d+)"', page.text).group(1))
    [row] = searches(portal)
    assert row.id == search_id and row.surface == "page" and row.locale == "en"
    assert row.query == "five working days" and row.total >= 1 and row.segment == "customer"
    assert row.shown.splitlines()[0] == "en/billing/refunds#refund-timing"
    assert row.session_id and len(row.session_id) >= 16
    # Page 2 and a filter are the same search.
    client.get("/en/search?q=five+working+days&page=2")
    client.get("/en/search?q=five+working+days&category=billing")
    rows = searches(portal)
    assert len(rows) == 1, [(r.id, r.query, r.page, r.filters, r.session_id) for r in rows]
    [row] = rows
    assert row.page == 2 and row.filters == "category=billing"


def test_as_you_type_then_enter_is_one_search(portal: Flask) -> None:
    client = client_of(portal)
    for text in ("re", "ref", "refu", "refun", "refund"):
        assert client.get(f"/api/v1/autocomplete?q={text}&locale=en").status_code == 200
    client.get("/en/search?q=refund")
    [row] = searches(portal)
    assert row.query == "refund" and row.surface == "page"


def test_two_visitors_typing_the_same_words_stay_two_searches(portal: Flask) -> None:
    for _ in range(2):
        client = client_of(portal)
        client.get("/api/v1/autocomplete?q=ref&locale=en")
        client.get("/api/v1/autocomplete?q=refund&locale=en")
    rows = searches(portal)
    assert len(rows) == 2 and rows[0].session_id != rows[1].session_id


def test_do_not_track_counts_without_a_session(portal: Flask) -> None:
    for header in ("HTTP_DNT", "HTTP_SEC_GPC"):
        client = client_of(portal)
        client.environ_base[header] = "1"
        first = client.get("/api/v1/autocomplete?q=inv&locale=en")
        assert "Set-Cookie" not in first.headers
        prev = first.json["search_id"]
        client.get(f"/api/v1/autocomplete?q=invoice&locale=en&prev={prev}")
    rows = searches(portal)
    assert [(r.query, r.session_id) for r in rows] == [("invoice", None), ("invoice", None)]


def test_a_click_is_credited_with_its_position_and_section(portal: Flask) -> None:
    client = client_of(portal)
    page = client.get("/en/search?q=five+working+days")
    link = re.search(r'<a href="(/en/articles/billing/refunds\?click=[^"]+)"', page.text).group(1)
    link = link.replace("&amp;", "&")
    opened = client.get(link)
    assert opened.status_code == 302
    assert opened.headers["Location"] == "/en/articles/billing/refunds#refund-timing"
    assert opened.headers["Cache-Control"] == "private, no-store"
    [row] = searches(portal)
    [click] = clicks(portal)
    assert (click.search_id, click.position, click.section) == (row.id, 1, "refund-timing")
    assert click.article == "en/billing/refunds" and click.session_id == row.session_id
    assert row.clicks == 1


def test_api_results_carry_the_search_id_and_click_links(portal: Flask) -> None:
    client = client_of(portal)
    body = client.get("/api/v1/search?q=refund&source=widget&limit=1&page=2").json
    assert body["search_id"] > 0
    [row] = searches(portal)
    assert row.id == body["search_id"] and row.surface == "widget" and row.page == 2
    if body["results"]:
        assert client.get(body["results"][0]["click_url"]).status_code == 302
        assert clicks(portal)[0].position == 2


def test_bogus_click_parameters_still_open_the_article(portal: Flask) -> None:
    client = client_of(portal)
    for query in ("click=abc", "click=1.2.3", "click=" + "9" * 40, "click=5.1&sec=%00<x>"):
        response = client.get(f"/en/articles/billing/refunds?{query}")
        assert response.status_code == 302, query
    assert client.get("/en/articles/internal/override?click=5.1").status_code == 404
    assert all(c.article == "en/billing/refunds" for c in clicks(portal))


def test_bots_and_staff_are_their_own_segments(portal: Flask, tmp_path) -> None:
    client_of(portal, "Googlebot/2.1 (+http://www.google.com/bot.html)").get("/en/search?q=refund")
    rows = searches(portal)
    assert [r.segment for r in rows] == ["bot"]


def test_article_pages_set_no_cookie_and_stay_cacheable(portal: Flask) -> None:
    client = client_of(portal)
    client.get("/en/search?q=refund")  # the visitor now has a session cookie
    page = client.get("/en/articles/billing/refunds")
    assert "Set-Cookie" not in page.headers
    assert page.headers["Cache-Control"] == "public, max-age=60"
