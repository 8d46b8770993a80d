"""Analytics never carries internal content to a customer: feedback, clicks, searches, insights."""

from __future__ import annotations

from urllib.parse import unquote_plus

import pytest
from flask import Flask
from flask.testing import FlaskClient
from leaks_sample import INTERNAL_TITLE, Tokens, assert_clean

SAME_SITE = {"Origin": "http://localhost"}
INTERNAL = ("internal/override", "billing/secret-note", "internal/failover")


@pytest.mark.parametrize("slug", INTERNAL + ("no/such/article",))
def test_feedback_on_internal_articles_looks_like_a_missing_one(
    public: FlaskClient, slug: str
) -> None:
    missing = public.post(
        "/en/feedback/no/such/article", data={"helpful": "yes"}, headers=SAME_SITE
    )
    hidden = public.post(f"/en/feedback/{slug}", data={"helpful": "yes"}, headers=SAME_SITE)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.get_data() == missing.get_data()
    page = public.get(f"/en/feedback/{slug}?vote=x&why=1")
    assert page.status_code == 404
    assert_clean(page.text)


@pytest.mark.parametrize("slug", INTERNAL)
def test_a_click_link_to_an_internal_article_is_a_plain_404(public: FlaskClient, slug: str) -> None:
    response = public.get(f"/en/articles/{slug}?click=5.1&sec=x")
    assert response.status_code == 404
    assert_clean(response.text)


def test_search_answers_carry_ids_but_nothing_internal(public: FlaskClient) -> None:
    for url in (
        "/en/search?q=zorblax+override",
        "/api/v1/search?q=zorblax+override",
        "/api/v1/autocomplete?q=zorb",
        "/api/v1/search?q=refund&source=widget",
    ):
        response = public.get(url)
        assert response.status_code == 200
        assert_clean(
            response.text, INTERNAL_TITLE, echo=unquote_plus(url.split("q=")[1].split("&")[0])
        )


@pytest.mark.parametrize(
    "url",
    [
        "/staff/insights",
        "/staff/insights/query?q=zorblax",
        "/staff/insights/gaps/abc/draft.md",
        "/api/v1/analytics/overview",
        "/api/v1/analytics/searches",
        "/api/v1/analytics/articles",
        "/api/v1/analytics/copied",
        "/api/v1/analytics/query?q=zorblax",
        "/api/v1/analytics/gaps",
    ],
)
def test_insights_are_for_editors_only(
    leak_app: Flask, public: FlaskClient, agent: FlaskClient, api_tokens: Tokens, url: str
) -> None:
    anonymous = public.get(url)
    assert anonymous.status_code in (302, 401)
    assert_clean(anonymous.text, echo="zorblax")  # only what was asked is echoed back
    assert agent.get(url).status_code == 403  # an agent is staff, but not an editor
    token = public.get(url, headers={"Authorization": f"Bearer {api_tokens.agent}"})
    # Tokens work on the API only (a page sends the token holder to sign in).
    assert token.status_code == (403 if url.startswith("/api/") else 302)


def test_staff_searches_stay_out_of_customer_figures(leak_app: Flask, agent: FlaskClient) -> None:
    from kbportal.analytics import get_analytics
    from kbportal.analytics.reports import Scope, top_searches
    from kbportal.db import get_database, utcnow

    agent.get("/en/search?q=zorblax+override+runbook")
    get_analytics(leak_app).recorder.flush()
    today = utcnow().date()
    with get_database(leak_app).session() as session:
        customer = top_searches(session, Scope(today, today))
        staff = top_searches(session, Scope(today, today, segment="staff"))
    assert all("zorblax" not in row.example for row in customer)
    assert any("zorblax" in row.example for row in staff)
