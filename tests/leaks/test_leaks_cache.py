"""HTTP caching: staff responses are private; cacheable public responses never depend on login."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from leaks_sample import Tokens
from werkzeug.test import TestResponse

PUBLIC_URLS = [
    "/en/",
    "/en/articles/billing/refunds",
    "/en/categories/billing",
    "/en/search?q=refund",
    "/en/articles/internal/override",  # 404 for customers, 200 for staff: the riskiest one
    "/en/feed.xml",
    "/sitemap.xml",
    "/api/v1/search?q=refund",
    "/api/v1/autocomplete?q=ref",
    "/api/v1/articles/billing/refunds?locale=en",
    "/brand.css",
]
STAFF_URLS = [
    "/staff/search?q=refund",
    "/staff/search.json?q=refund",
    "/staff/templates",
    "/staff/problems",
    "/staff/admin/users",  # 403 for an agent: still never stored
    "/staff/insights",  # 403 for an agent: still never stored
]
# Searches carry a search id and the visitor's session cookie: never in a shared cache at all.
PER_VISITOR = {"/en/search?q=refund", "/api/v1/search?q=refund", "/api/v1/autocomplete?q=ref"}


def vary(response: TestResponse) -> set[str]:
    return {part.strip() for part in response.headers.get("Vary", "").split(",") if part.strip()}


@pytest.mark.parametrize("url", PUBLIC_URLS)
def test_public_copies_say_they_vary_by_login(public: FlaskClient, url: str) -> None:
    response = public.get(url)
    expected = "private, no-store" if url in PER_VISITOR else "public, max-age=60"
    assert response.headers["Cache-Control"] == expected
    assert {"Cookie", "Authorization"} <= vary(response)


@pytest.mark.parametrize("url", PUBLIC_URLS + STAFF_URLS)
def test_whatever_staff_receive_is_private(agent: FlaskClient, url: str) -> None:
    control = agent.get(url).headers["Cache-Control"]
    assert control.startswith("private")
    assert "public" not in control


@pytest.mark.parametrize("url", [u for u in PUBLIC_URLS if u.startswith("/api/")])
def test_token_responses_are_private_no_store(
    public: FlaskClient, api_tokens: Tokens, url: str
) -> None:
    response = public.get(url, headers={"Authorization": f"Bearer {api_tokens.agent}"})
    assert response.headers["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize("url", STAFF_URLS + ["/staff/", "/staff/nothing", "/login", "/logout"])
def test_staff_and_sign_in_pages_are_never_stored(
    public: FlaskClient, agent: FlaskClient, url: str
) -> None:
    for client in (public, agent):
        response = client.get(url)
        control = response.headers["Cache-Control"]
        assert "public" not in control, (url, control)
        # A signed-in agent is sent on from /login: a redirect holding nothing personal.
        assert "no-store" in control or response.status_code == 302, (url, control)


@pytest.mark.parametrize(
    "url", [u for u in PUBLIC_URLS if not u.startswith("/api/") and u not in PER_VISITOR]
)
def test_a_cacheable_public_copy_is_the_same_for_every_customer(
    leak_app: Flask, public: FlaskClient, url: str
) -> None:
    # A stale or forged session cookie must not change what a shared cache would store.
    stranger = leak_app.test_client()
    stranger.set_cookie("session", "forged.cookie.value")
    first, second = public.get(url), stranger.get(url)
    assert second.headers["Cache-Control"] == "public, max-age=60"
    assert first.get_data() == second.get_data()
