"""Staff readers (API token) see internal articles; their responses are never publicly cached."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kbportal.accounts import services, tokens
from kbportal.db import get_database

INTERNAL_URL = "/api/v1/articles/billing/internal/override"
AGENT = "agent-web@example.com"
PASSWORD = "a long test passphrase 1"


@pytest.fixture(scope="module")
def token(app: Flask) -> str:
    """A real API token of a real agent account."""
    session = get_database(app).session()
    try:
        services.create_user(session, AGENT, PASSWORD)
        _row, raw = tokens.create_token(session, AGENT, "web tests")
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


def test_images_of_internal_articles_are_not_public(client: FlaskClient, token: str) -> None:
    # Tokens sign in API requests only; pages and media go by the session cookie.
    with client.get("/media/img/override-screen.png") as response:
        assert response.status_code == 404


def test_signed_in_agent_reads_internal_pages_privately(app: Flask, token: str) -> None:
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert match
    form = {"email": AGENT, "password": PASSWORD, "csrf_token": match.group(1)}
    assert client.post("/login", data=form).status_code == 302
    article = client.get("/en/articles/billing/internal/override")
    assert article.status_code == 200 and "Refund override runbook" in article.get_data(
        as_text=True
    )
    assert article.headers["Cache-Control"].startswith("private")
    assert 'class="badge-internal"' in article.get_data(as_text=True)  # clearly marked
    found = client.get("/en/search?q=refund+override+manager").get_data(as_text=True)
    assert "/en/articles/billing/internal/override" in found and 'class="badge-internal"' in found
    home = client.get("/en/")
    assert home.headers["Cache-Control"].startswith("private")
    with client.get("/media/img/override-screen.png") as image:
        assert image.status_code == 200 and image.headers["Cache-Control"].startswith("private")
