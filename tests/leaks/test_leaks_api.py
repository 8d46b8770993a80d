"""The JSON API without a valid token is the customers' API: no internal search hits or articles."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from leaks_sample import INTERNAL_TITLE, NOTE_TITLE, Tokens, assert_clean

HIDDEN = ["internal/override", "billing/secret-note", "internal/failover", "old-zorblax"]


def headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("slug", HIDDEN)
def test_article_without_a_token(public: FlaskClient, slug: str) -> None:
    hidden = public.get(f"/api/v1/articles/{slug}?locale=en")
    missing = public.get("/api/v1/articles/no/such-article?locale=en")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.get_json() == missing.get_json()
    assert "Location" not in hidden.headers


def test_search_without_a_token(public: FlaskClient) -> None:
    for query in ("zorblax", "quintaflux", "refund override", "xylophage"):
        data = public.get("/api/v1/search", query_string={"q": query}).get_json()
        assert_clean(str(data["results"]), INTERNAL_TITLE, NOTE_TITLE)
        assert data["total"] == (1 if query == "refund override" else 0)


def test_a_live_token_does_see_internal_articles(public: FlaskClient, api_tokens: Tokens) -> None:
    found = public.get("/api/v1/search?q=quintaflux", headers=headers(api_tokens.agent)).get_json()
    assert {hit["title"] for hit in found["results"]} >= {INTERNAL_TITLE, NOTE_TITLE}
    article = public.get(
        "/api/v1/articles/internal/override?locale=en", headers=headers(api_tokens.agent)
    )
    assert article.status_code == 200
    assert article.headers["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize("which", ["revoked", "disabled_user", "garbage"])
def test_a_dead_token_gets_nothing(public: FlaskClient, api_tokens: Tokens, which: str) -> None:
    raw = "kbp_not-a-real-token" if which == "garbage" else getattr(api_tokens, which)
    for url in (
        "/api/v1/search?q=quintaflux",
        "/api/v1/articles/internal/override?locale=en",
        "/api/v1/autocomplete?q=zorb",
    ):
        response = public.get(url, headers=headers(raw))
        assert response.status_code == 401
        assert response.headers["Cache-Control"] == "no-store"
        assert_clean(response.get_data(as_text=True), INTERNAL_TITLE, NOTE_TITLE)


def test_a_token_is_not_a_session_on_pages(public: FlaskClient, api_tokens: Tokens) -> None:
    # Tokens are for the API only: a page fetched with one is the customers' page.
    response = public.get("/en/articles/internal/override", headers=headers(api_tokens.agent))
    assert response.status_code == 404
    assert public.get("/staff/search?q=x", headers=headers(api_tokens.agent)).status_code == 302
