"""Staff readers (API token) see internal articles; their responses are never publicly cached."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kbportal.accounts import services, tokens
from kbportal.db import get_database

INTERNAL_URL = "/api/v1/articles/billing/internal/override"


@pytest.fixture(scope="module")
def token(app: Flask) -> str:
    """A real API token of a real agent account."""
    session = get_database(app).session()
    try:
        services.create_user(session, "agent-web@example.com", "a long test passphrase 1")
        _row, raw = tokens.create_token(session, "agent-web@example.com", "web tests")
    finally:
        session.close()
    return raw


def test_staff_token_sees_internal_articles_privately(client: FlaskClient, token: str) -> None:
    auth = {"Authorization": f"Bearer {token}"}
    article = client.get(INTERNAL_URL, headers=auth)
    assert article.status_code == 200
    assert article.get_json()["title"] == "Refund override runbook"
    assert article.headers["Cache-Control"].startswith("private")
    found = client.get("/api/v1/search?q=refund+override+manager", headers=auth).get_json()
    assert "billing/internal/override" in {hit["slug"] for hit in found["results"]}


def test_the_same_urls_without_a_token_stay_public(client: FlaskClient) -> None:
    response = client.get(INTERNAL_URL)
    assert response.status_code == 404
    assert response.headers["Cache-Control"] == "public, max-age=60"
    assert {"Cookie", "Authorization"} <= set(response.headers["Vary"].replace(" ", "").split(","))


def test_a_bad_token_is_just_a_customer(client: FlaskClient) -> None:
    response = client.get(INTERNAL_URL, headers={"Authorization": "Bearer nope"})
    assert response.status_code in (401, 404)
    assert response.mimetype == "application/json"
