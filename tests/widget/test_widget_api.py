"""The public API: confident suggestions, beacons recorded with their surface, CORS by list."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from widget_sample import HOST, INTERNAL_TITLE, OTHER

from kbportal.analytics import get_analytics
from kbportal.analytics.models import Click, SearchRow, SurfaceEvent
from kbportal.db import get_database


def test_suggest_finds_the_answer_with_its_confidence(client: FlaskClient) -> None:
    body = client.get("/api/v1/suggest?q=how+long+does+a+refund+take&locale=en").get_json()
    assert body["locale"] == "en" and body["type"] is None
    assert body["suggestions"], body
    first = body["suggestions"][0]
    assert first["slug"] == "billing/refunds"
    assert first["url"].startswith("/en/articles/billing/refunds")
    assert body["threshold"] <= first["confidence"] <= 1


def test_suggest_shows_nothing_when_search_is_not_sure(client: FlaskClient) -> None:
    body = client.get("/api/v1/suggest?q=banana+smoothie+recipe&locale=en").get_json()
    assert body["suggestions"] == []


def test_suggest_from_the_host_pages_labels_and_address(client: FlaskClient) -> None:
    by_labels = client.get("/api/v1/suggest?labels=invoice,download&locale=en").get_json()
    assert [s["slug"] for s in by_labels["suggestions"]][:1] == ["billing/invoices"]
    by_url = client.get(
        "/api/v1/suggest",
        query_string={"url": "https://shop.example.com/en/account/reset-password?x=1"},
    ).get_json()
    assert [s["slug"] for s in by_url["suggestions"]][:1] == ["account/password"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("", "q"),
        ("q=refund&locale=xx", "locale"),
        ("q=refund&limit=99", "limit"),
        ("q=refund&type=Not+A+Type!", "type"),
    ],
)
def test_suggest_bad_input_is_a_clear_400(client: FlaskClient, query: str, field: str) -> None:
    response = client.get(f"/api/v1/suggest?{query}")
    assert response.status_code == 400
    assert field in response.get_json()["error"]


def test_suggest_never_offers_internal_articles(client: FlaskClient) -> None:
    body = client.get("/api/v1/suggest?q=glorbnax+refund+override&locale=en").get_json()
    assert INTERNAL_TITLE not in json.dumps(body)
    assert "override" not in json.dumps(body["suggestions"])


def _events(app: Flask, kind: str) -> list[SurfaceEvent]:
    get_analytics(app).recorder.flush()
    with get_database(app).session() as session:
        stmt = select(SurfaceEvent).where(SurfaceEvent.kind == kind).order_by(SurfaceEvent.id)
        return list(session.scalars(stmt))


def _rows(app: Flask, model: type[Click] | type[SearchRow]) -> list[Any]:
    get_analytics(app).recorder.flush()
    with get_database(app).session() as session:
        return list(session.scalars(select(model)))


def test_beacons_are_recorded_with_their_surface(app: Flask, client: FlaskClient) -> None:
    response = client.post(
        "/api/v1/events",
        json={
            "events": [
                {
                    "type": "exposure",
                    "articles": ["billing/refunds", "billing/invoices"],
                    "query": "refund?",
                    "surface": "widget",
                    "session": "sess-12345678",
                },
                {"type": "click", "article": "billing/refunds", "query": "refund?"},
                {"type": "deflection", "article": "billing/refunds", "request_type": "problem"},
            ]
        },
    )
    assert response.status_code == 202 and response.get_json() == {"recorded": 3}
    exposure = _events(app, "exposure")[-1]
    assert (exposure.surface, exposure.locale, exposure.session_id, exposure.query) == (
        "widget",
        "en",
        "sess-12345678",
        "refund?",
    )
    assert exposure.articles.splitlines() == ["en/billing/refunds", "en/billing/invoices"]
    click = _rows(app, Click)[-1]
    assert click.article == "en/billing/refunds" and click.surface == "api"
    deflection = _events(app, "deflection")[-1]
    assert deflection.request_type == "problem" and deflection.article == "en/billing/refunds"


def test_send_beacon_text_plain_is_read_as_json(app: Flask, client: FlaskClient) -> None:
    body = json.dumps({"type": "search", "query": "refund card", "total": 2, "surface": "widget"})
    response = client.post("/api/v1/events", data=body, content_type="text/plain;charset=UTF-8")
    assert response.status_code == 202
    assert _rows(app, SearchRow)[-1].query == "refund card"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"type": "click", "article": "billing/override"}, "article"),  # internal: "no such"
        ({"type": "click", "article": "no/such"}, "article"),
        ({"type": "click"}, "article"),
        ({"type": "nonsense"}, "type"),
        ({"type": "exposure", "articles": "billing/refunds"}, "articles"),
        ({"type": "click", "article": "billing/refunds", "surface": "x"}, "surface"),
        ({"type": "click", "article": "billing/refunds", "session": "a b"}, "session"),
        ({"type": "search"}, "query"),
        ({"events": []}, "events"),
        ({"events": [{"type": "click"}]}, "events[0].article"),
    ],
)
def test_bad_beacons_get_an_error_per_field(
    client: FlaskClient, body: dict[str, object], field: str
) -> None:
    response = client.post("/api/v1/events", json=body)
    assert response.status_code == 400
    assert field in response.get_json()["fields"]


def test_an_internal_slug_looks_exactly_like_a_missing_one(client: FlaskClient) -> None:
    hidden = client.post("/api/v1/events", json={"type": "click", "article": "billing/override"})
    missing = client.post("/api/v1/events", json={"type": "click", "article": "billing/nope"})
    assert hidden.get_json() == missing.get_json()


@pytest.mark.parametrize("body", [b"", b"{", b"\xff\xfe", b"[1, 2]", b'"x"', b"null"])
def test_malformed_bodies_are_400_not_500(client: FlaskClient, body: bytes) -> None:
    assert client.post("/api/v1/events", data=body).status_code == 400


def test_beacons_are_rate_limited_per_client(app: Flask) -> None:
    client = app.test_client()
    env = {"REMOTE_ADDR": "203.0.113.9"}
    statuses = [
        client.post("/api/v1/events", json={"type": "x"}, environ_overrides=env).status_code
        for _ in range(125)
    ]
    assert statuses[:120] == [400] * 120 and statuses[-1] == 429
    last = client.post("/api/v1/events", json={"type": "x"}, environ_overrides=env)
    assert int(last.headers["Retry-After"]) >= 1
    other = {"REMOTE_ADDR": "203.0.113.10"}
    assert client.post("/api/v1/events", json={}, environ_overrides=other).status_code == 400


# --- CORS: the list decides, for reading and for calling -------------------------------------


def test_a_listed_origin_gets_cors_headers(client: FlaskClient) -> None:
    response = client.get("/api/v1/suggest?q=refund", headers={"Origin": HOST})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == HOST
    assert "Origin" in response.headers["Vary"]
    assert "Access-Control-Allow-Credentials" not in response.headers


def test_a_preflight_from_a_listed_origin(client: FlaskClient) -> None:
    response = client.options(
        "/api/v1/events",
        headers={
            "Origin": HOST,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == HOST
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert "Idempotency-Key" in response.headers["Access-Control-Allow-Headers"]
    assert "Authorization" not in response.headers["Access-Control-Allow-Headers"]


@pytest.mark.parametrize("origin", [OTHER, "null", "https://shop.example.com.evil.org"])
@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("GET", "/api/v1/suggest?q=refund"),
        ("GET", "/api/v1/search?q=refund"),
        ("POST", "/api/v1/events"),
        ("OPTIONS", "/api/v1/events"),
    ],
)
def test_an_unlisted_origin_can_neither_read_nor_call(
    client: FlaskClient, origin: str, method: str, url: str
) -> None:
    response = client.open(
        url,
        method=method,
        headers={"Origin": origin},
        json={"type": "click", "article": "billing/refunds"} if method == "POST" else None,
    )
    assert response.status_code == 403
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "KBPORTAL_WIDGET_ORIGINS" in response.get_json()["error"]


def test_servers_and_the_portals_own_pages_need_no_listing(client: FlaskClient) -> None:
    assert client.get("/api/v1/suggest?q=refund").status_code == 200  # no Origin: a server
    own = client.get("/api/v1/autocomplete?q=ref", headers={"Origin": "http://localhost"})
    assert own.status_code == 200 and "Access-Control-Allow-Origin" not in own.headers


def test_a_big_beacon_body_is_refused_before_it_is_read(client: FlaskClient) -> None:
    response = client.post("/api/v1/events", data=b"x" * (17 * 1024))
    assert response.status_code == 413
    assert "error" in response.get_json()


def test_the_openapi_document_is_readable_from_anywhere(client: FlaskClient) -> None:
    response = client.get("/api/v1/openapi.json", headers={"Origin": OTHER})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
