"""The JSON API: shapes, errors as JSON, and redirects."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from support import API_HIT_KEYS


def without_click(hit: dict[str, object]) -> dict[str, object]:
    """A hit without its per-search click link, to compare hits of two searches."""
    return {key: value for key, value in hit.items() if key != "click_url"}


def test_search_shape(client: FlaskClient) -> None:
    response = client.get("/api/v1/search?q=refund&locale=en")
    assert response.status_code == 200 and response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"query", "total", "total_is_estimate", "results", "search_id"}
    assert body["query"] == "refund" and body["total"] >= 1
    first = body["results"][0]
    assert set(first) == API_HIT_KEYS and first["visibility"] == "public"
    assert first["click_url"].startswith(
        f"/en/articles/billing/refunds?click={body['search_id']}.1"
    )
    assert first["slug"] == "billing/refunds" and first["locale"] == "en"
    assert first["url"].startswith("/en/articles/billing/refunds")
    assert isinstance(first["score"], float)


def test_search_deep_links_to_the_section(client: FlaskClient) -> None:
    body = client.get("/api/v1/search?q=five+working+days&locale=en").get_json()
    assert body["results"][0]["url"] == "/en/articles/billing/refunds#refund-timing"
    assert body["results"][0]["section"] == "Refund timing"
    assert "<mark>" in body["results"][0]["snippet"]


def test_search_limit_page_category_and_locale(client: FlaskClient) -> None:
    everything = client.get("/api/v1/search?q=refund+invoice+booking").get_json()
    one = client.get("/api/v1/search?q=refund+invoice+booking&limit=1&page=2").get_json()
    assert len(one["results"]) == 1 and one["total"] == everything["total"]
    assert without_click(one["results"][0]) == without_click(everything["results"][1])
    assert one["results"][0]["click_url"].endswith(".2")  # the overall position
    billing = client.get("/api/v1/search?q=refund+booking&category=billing").get_json()
    assert billing["results"] and {r["category"] for r in billing["results"]} == {"billing"}
    russian = client.get("/api/v1/search?q=возврат&locale=ru").get_json()
    assert {r["locale"] for r in russian["results"]} == {"ru"}


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("q=", "q is required"),
        ("", "q is required"),
        ("q=%00", "q is required"),
        ("q=x&limit=0", "limit"),
        ("q=x&limit=51", "limit"),
        ("q=x&limit=10000", "limit"),
        ("q=x&limit=abc", "limit"),
        ("q=x&limit=1.5", "limit"),
        ("q=x&page=0", "page"),
        ("q=x&page=-1", "page"),
        ("q=x&page=abc", "page"),
        ("q=x&page=99999999999999999999", "page"),
        ("q=x&locale=xx", "locale"),
    ],
)
def test_search_bad_parameters_are_400_json(client: FlaskClient, query: str, message: str) -> None:
    response = client.get(f"/api/v1/search?{query}")
    assert response.status_code == 400 and response.mimetype == "application/json"
    assert message in response.get_json()["error"]


def test_article_shape(client: FlaskClient) -> None:
    response = client.get("/api/v1/articles/billing/refunds")
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) >= {"slug", "title", "locale", "category", "summary", "tags", "updated"}
    assert body["url"] == "/en/articles/billing/refunds"
    assert body["title"] == "Getting a refund" and body["summary"] == "How refunds work."
    assert body["updated"].startswith("2026-11-01") and "<h2" in body["html"]
    russian = client.get("/api/v1/articles/billing/refunds?locale=ru").get_json()
    assert russian["title"] == "Возврат денег" and russian["locale"] == "ru"


def test_article_errors_and_redirects(client: FlaskClient) -> None:
    missing = client.get("/api/v1/articles/no/such")
    assert missing.status_code == 404 and missing.get_json() == {"error": "no such article"}
    assert client.get("/api/v1/articles/billing/refunds?locale=xx").status_code == 400
    moved = client.get("/api/v1/articles/refund-policy")
    assert moved.status_code == 301
    assert moved.headers["Location"] == "/api/v1/articles/billing/refunds?locale=en"


def test_autocomplete_shape(client: FlaskClient) -> None:
    body = client.get("/api/v1/autocomplete?q=Getting&locale=en").get_json()
    assert body["query"] == "Getting"
    assert {
        "title": "Getting a refund",
        "slug": "billing/refunds",
        "url": "/en/articles/billing/refunds",
    } in [without_click(s) for s in body["suggestions"]]
    assert body["suggestions"][0]["click_url"].endswith(f"?click={body['search_id']}.1")
    assert client.get("/api/v1/autocomplete?q=").get_json() == {"query": "", "suggestions": []}
    assert client.get("/api/v1/autocomplete?q=a&locale=zz").status_code == 400


@pytest.mark.parametrize(
    ("method", "url", "status"),
    [
        ("GET", "/api/v1/nothing", 404),
        ("POST", "/api/v1/search?q=x", 405),
        ("DELETE", "/api/v1/articles/billing/refunds", 405),
    ],
)
def test_unknown_api_routes_answer_json(
    client: FlaskClient, method: str, url: str, status: int
) -> None:
    response = client.open(url, method=method)
    assert response.status_code == status and response.mimetype == "application/json"
    assert response.get_json()["error"]


def test_every_route_is_documented(app: Flask) -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text(encoding="utf-8")

    def shape(path: str) -> str:
        return re.sub(r"<[^>]*>", "<>", path.split("?", 1)[0])

    documented = {shape(path) for path in re.findall(r"`(?:GET )?(/[^`\s]*)", docs)}
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] in ("api", "pages", "feeds"):
            assert shape(rule.rule) in documented, rule.rule
