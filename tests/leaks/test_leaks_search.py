"""Public search never shows internal content: results, totals, snippets, spelling, completion."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient
from leaks_sample import INTERNAL_TITLE, NOTE_TITLE, assert_clean


def count_on_page(html: str) -> int:
    match = re.search(r'class="result-count" role="status">(\d+) article', html)
    assert match, html
    return int(match.group(1))


@pytest.mark.parametrize(
    "query", ["zorblax", "quintaflux", "Zorblax override runbook", "xylophage"]
)
def test_results_page(public: FlaskClient, query: str, agent: FlaskClient) -> None:
    html = public.get("/en/search", query_string={"q": query}).get_data(as_text=True)
    assert_clean(html, echo=query)
    assert "0 articles found" in html
    api = public.get("/api/v1/search", query_string={"q": query}).get_json()
    assert api["total"] == 0 and api["results"] == []
    # The same words do find the articles for staff: the test is not vacuous.
    if query != "xylophage":
        staff = agent.get("/staff/search.json", query_string={"q": query}).get_json()
        assert staff["total"] >= 1


def test_totals_count_public_articles_only(public: FlaskClient, agent: FlaskClient) -> None:
    # "refund override" matches two internal articles and one public one.
    html = public.get("/en/search?q=refund+override").get_data(as_text=True)
    assert count_on_page(html) == 1
    api = public.get("/api/v1/search?q=refund+override&locale=en").get_json()
    assert api["total"] == 1 and len(api["results"]) == 1
    staff = agent.get("/staff/search.json?q=refund+override&locale=en").get_json()
    assert staff["total"] == 3


def test_snippets(public: FlaskClient) -> None:
    for url in ("/en/search?q=refund", "/api/v1/search?q=refund&locale=en"):
        body = public.get(url).get_data(as_text=True)
        assert "Getting a refund" in body
        assert_clean(body, NOTE_TITLE, INTERNAL_TITLE, "manager")


@pytest.mark.parametrize("typo", ["zorblex", "zorblux", "quintaflax", "xylofage"])
def test_did_you_mean(public: FlaskClient, typo: str) -> None:
    html = public.get("/en/search", query_string={"q": typo}).get_data(as_text=True)
    assert_clean(html, echo=typo)
    assert "did-you-mean" not in html
    api = public.get("/api/v1/search", query_string={"q": typo}).get_json()
    assert_clean(str(api), echo=typo)


def test_did_you_mean_is_on_and_knows_internal_words_for_staff_only(
    public: FlaskClient, agent: FlaskClient
) -> None:
    html = public.get("/en/search?q=refnd").get_data(as_text=True)
    assert re.search(r'class="did-you-mean">.*?>refund</a>', html, re.S)  # the feature is on
    assert agent.get("/staff/search.json?q=zorblex").get_json()["corrected"] == "zorblax"


def test_did_you_mean_for_staff_is_not_reused_for_customers(
    agent: FlaskClient, public: FlaskClient
) -> None:
    agent.get("/staff/search.json?q=zorblex")  # may warm a correction cache with staff words
    assert_clean(public.get("/en/search?q=zorblex").get_data(as_text=True), echo="zorblex")
    body = public.get("/api/v1/search?q=zorblex&locale=en").get_data(as_text=True)
    assert_clean(body, echo="zorblex")


@pytest.mark.parametrize("prefix", ["zor", "Zorbl", "quin", "xylo", "vanta", "sec"])
def test_autocomplete(public: FlaskClient, prefix: str) -> None:
    data = public.get("/api/v1/autocomplete", query_string={"q": prefix}).get_json()
    assert data["suggestions"] == [] or all(
        s["title"] not in (INTERNAL_TITLE, NOTE_TITLE) for s in data["suggestions"]
    )
    assert_clean(str(data["suggestions"]), echo=prefix)


def test_category_filter_on_an_internal_category(public: FlaskClient) -> None:
    html = public.get("/en/search?q=refund&category=internal").get_data(as_text=True)
    assert_clean(html)
    assert count_on_page(html) == 0
    api = public.get("/api/v1/search?q=refund&category=internal").get_json()
    assert api["total"] == 0
