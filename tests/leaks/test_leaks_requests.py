"""The support request form never shows internal content: suggestions, steps, confirmation."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from leaks_sample import INTERNAL_TITLE, L2_TITLE, NOTE_TITLE, assert_clean

# Words only internal articles hold (see leaks_sample): a search for them finds internal hits.
SECRET_WORDS = "zorblax override runbook quintaflux refund override manager"


def _hidden(html: str) -> dict[str, str]:
    form = html[html.index('class="request-form"') :]
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))


def test_the_form_page(public: FlaskClient) -> None:
    html = public.get("/en/requests/new").get_data(as_text=True)
    assert "request-form" in html
    assert_clean(html, INTERNAL_TITLE, NOTE_TITLE, L2_TITLE)


@pytest.mark.parametrize("who", ["public", "agent"])
def test_suggestions_are_public_only_even_for_staff(
    request: pytest.FixtureRequest, who: str
) -> None:
    client: FlaskClient = request.getfixturevalue(who)
    for q in (SECRET_WORDS, "xylophage failover", "zorblax steps", "refund"):
        response = client.get("/en/requests/suggestions", query_string={"q": q})
        assert response.status_code == 200
        text = response.get_data(as_text=True)
        assert_clean(text, INTERNAL_TITLE, NOTE_TITLE, L2_TITLE, "/internal/", echo=q)
        for s in response.json["suggestions"]:
            assert not s["url"].startswith("/en/articles/internal")
            assert "secret-note" not in s["url"]


def test_the_no_script_suggestion_step(leak_app: Flask, public: FlaskClient) -> None:
    leak_app.config["KBPORTAL_REQUESTS_MIN_SECONDS"] = 0
    try:
        html = public.get("/en/requests/new").get_data(as_text=True)
        data = {
            **_hidden(html),
            "subject": "Zorblax override runbook",
            "description": SECRET_WORDS,
            "email": "ann@example.com",
        }
        step = public.post("/en/requests/new", data=data)
    finally:
        leak_app.config["KBPORTAL_REQUESTS_MIN_SECONDS"] = 3
    text = step.get_data(as_text=True)
    # The customer's own words come back in the form; nothing else internal may.
    for echoed in (data["subject"], data["description"]):
        text = text.replace(echoed, "")
    assert_clean(text, NOTE_TITLE, L2_TITLE, "/en/articles/internal", "secret-note")


def test_the_confirmation_page(leak_app: Flask, public: FlaskClient) -> None:
    leak_app.config["KBPORTAL_REQUESTS_MIN_SECONDS"] = 0
    try:
        html = public.get("/en/requests/new").get_data(as_text=True)
        data = {
            **_hidden(html),
            "subject": "Refund override",
            "description": "quintaflux refund override by a manager",
            "email": "bob@example.com",
            "send_anyway": "1",
        }
        sent = public.post("/en/requests/new", data=data)
    finally:
        leak_app.config["KBPORTAL_REQUESTS_MIN_SECONDS"] = 3
    assert sent.status_code == 303, sent.get_data(as_text=True)
    page = public.get(sent.headers["Location"]).get_data(as_text=True)
    assert "KB-" in page
    assert_clean(page, INTERNAL_TITLE, NOTE_TITLE, L2_TITLE, "/en/articles/internal")


@pytest.mark.parametrize(
    "path",
    [
        "/staff/requests",
        "/staff/requests/deflection",
        "/staff/requests/KB-AAAAAAAA",
        "/staff/requests/KB-A/attachments/1",
    ],
)
def test_staff_pages_are_staff_only(public: FlaskClient, path: str) -> None:
    response = public.get(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_open_redirect_goes_only_to_articles(public: FlaskClient) -> None:
    for target in ("https://evil.example/", "//evil.example/x", "/en/articles/../../staff"):
        response = public.get("/en/requests/open", query_string={"to": target})
        assert response.status_code in (303, 404)
        assert "evil" not in response.headers.get("Location", "")
