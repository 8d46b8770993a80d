"""The widget and its public API are customers' surfaces: nothing internal, by any parameter."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from leaks_sample import INTERNAL_TITLE, L2_TITLE, NOTE_TITLE, Tokens, assert_clean

HIDDEN = ["internal/override", "billing/secret-note", "internal/failover", "old-zorblax"]


@pytest.mark.parametrize(
    "params",
    [
        {"q": "zorblax"},
        {"q": "quintaflux refund override"},
        {"q": "refund override", "type": "question"},
        {"q": "xylophage failover"},
        {"labels": "zorblax,quintaflux"},
        {"url": "https://shop.example.com/internal/override"},
        {"q": "Зорбликс квинтафлюкс", "locale": "ru"},
    ],
)
def test_suggest_without_a_token(public: FlaskClient, params: dict[str, str]) -> None:
    response = public.get("/api/v1/suggest", query_string=params)
    assert response.status_code == 200
    body = response.get_json()
    assert_clean(str(body["suggestions"]), INTERNAL_TITLE, NOTE_TITLE, L2_TITLE)
    assert all(s["slug"] not in HIDDEN for s in body["suggestions"])


def test_suggest_for_a_public_question_skips_the_internal_answers(public: FlaskClient) -> None:
    body = public.get("/api/v1/suggest?q=refund+card&locale=en").get_json()
    assert [s["slug"] for s in body["suggestions"]][:1] == ["billing/refunds"]
    assert_clean(str(body["suggestions"]), INTERNAL_TITLE, NOTE_TITLE)


@pytest.mark.parametrize("slug", HIDDEN)
def test_a_beacon_cannot_confirm_an_internal_slug(public: FlaskClient, slug: str) -> None:
    for kind in ("click", "deflection"):
        hidden = public.post("/api/v1/events", json={"type": kind, "article": slug})
        missing = public.post("/api/v1/events", json={"type": kind, "article": "no/such"})
        assert hidden.status_code == missing.status_code == 400
        assert hidden.get_json() == missing.get_json()


@pytest.mark.parametrize(
    "url",
    ["/widget/panel?locale=en", "/widget/panel?locale=ru", "/widget.js", "/api/v1/openapi.json"],
)
def test_widget_pages_show_nothing_internal(public: FlaskClient, url: str) -> None:
    response = public.get(url)
    assert response.status_code == 200
    assert_clean(response.get_data(as_text=True), INTERNAL_TITLE, NOTE_TITLE, L2_TITLE)


def test_the_panel_is_the_public_view_even_for_a_signed_in_agent(agent: FlaskClient) -> None:
    response = agent.get("/widget/panel?locale=en")
    assert_clean(response.get_data(as_text=True), INTERNAL_TITLE, NOTE_TITLE)
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("which", ["revoked", "disabled_user", "garbage"])
def test_a_dead_token_gets_no_suggestions(
    public: FlaskClient, api_tokens: Tokens, which: str
) -> None:
    raw = "kbp_not-a-real-token" if which == "garbage" else getattr(api_tokens, which)
    response = public.get(
        "/api/v1/suggest?q=quintaflux", headers={"Authorization": f"Bearer {raw}"}
    )
    assert response.status_code == 401
    assert_clean(response.get_data(as_text=True), INTERNAL_TITLE, NOTE_TITLE)


def test_a_live_token_does_get_internal_suggestions(
    public: FlaskClient, api_tokens: Tokens
) -> None:
    # Not vacuous: the same question with a staff token finds the internal runbook.
    body = public.get(
        "/api/v1/suggest?q=quintaflux+refund+override",
        headers={"Authorization": f"Bearer {api_tokens.agent}"},
    ).get_json()
    assert any(s["title"] in (INTERNAL_TITLE, NOTE_TITLE) for s in body["suggestions"]), body


def test_the_request_api_shows_nothing_internal(public: FlaskClient) -> None:
    types = public.get("/api/v1/requests/types?locale=en")
    assert types.status_code == 200
    assert_clean(types.get_data(as_text=True), INTERNAL_TITLE, NOTE_TITLE, L2_TITLE)
    for name in [t["name"] for t in types.get_json()["types"]]:
        found = public.get(
            "/api/v1/suggest", query_string={"q": "zorblax quintaflux override", "type": name}
        )
        assert_clean(str(found.get_json()["suggestions"]), INTERNAL_TITLE, NOTE_TITLE)
    # An invalid request echoes field messages only, never anything the KB holds.
    response = public.post(
        "/api/v1/requests",
        json={"type": "nonsense", "subject": "zorblax", "email": "x"},
        headers={"Idempotency-Key": "leak-check-1"},
    )
    assert response.status_code == 400
    assert_clean(str(response.get_json()["fields"]), INTERNAL_TITLE, NOTE_TITLE)
