"""Sign-in over HTTP: the real app, a real database and KB, CSRF on as in production."""

from __future__ import annotations

import pytest
from accounts_sample import GENERIC, INTERNAL_TITLE, PASSWORD, csrf_token, error_text, sign_in
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from kbportal.accounts import services

INTERNAL_PAGE = "/en/articles/staff/escalation"


def test_login_page_is_private_and_carries_a_csrf_token(client: FlaskClient) -> None:
    response = client.get("/login")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
    assert 'name="csrf_token"' in response.get_data(as_text=True)


def test_sign_in_opens_internal_articles(client: FlaskClient, make_user) -> None:
    make_user()
    assert client.get(INTERNAL_PAGE).status_code == 404
    response = sign_in(client, "Agent@Example.com")
    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/"  # staff land on their workspace
    page = client.get(INTERNAL_PAGE)
    assert page.status_code == 200
    assert INTERNAL_TITLE in page.get_data(as_text=True)
    assert "private" in page.headers["Cache-Control"]


@pytest.mark.parametrize("case", ["unknown", "wrong-password", "disabled", "empty"])
def test_one_generic_message_for_every_failure(
    client: FlaskClient, db: Session, make_user, case: str
) -> None:
    make_user()
    if case == "disabled":
        services.set_active(db, "agent@example.com", False)
    email = "nobody@example.com" if case == "unknown" else "agent@example.com"
    password = {"wrong-password": "not the password", "empty": ""}.get(case, PASSWORD)
    response = sign_in(client, email, password)
    html = response.get_data(as_text=True)
    expected = "Enter your e-mail and password." if case == "empty" else GENERIC
    assert (response.status_code, error_text(html)) == (200, expected)
    assert response.headers["Cache-Control"] == "private, no-store"
    assert client.get(INTERNAL_PAGE).status_code == 404


def test_post_without_csrf_token_is_rejected(client: FlaskClient, make_user) -> None:
    make_user()
    response = client.post("/login", data={"email": "agent@example.com", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get(INTERNAL_PAGE).status_code == 404
    forged = {"email": "agent@example.com", "password": PASSWORD, "csrf_token": "forged"}
    assert client.post("/login", data=forged).status_code == 400


def test_repeated_failures_are_throttled(client: FlaskClient, make_user) -> None:
    make_user()
    for _ in range(services.MAX_FAILURES_PER_ACCOUNT):
        assert sign_in(client, "agent@example.com", "wrong password!").status_code == 200
    response = sign_in(client, "agent@example.com")  # even the right password waits
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert "Too many failed attempts" in error_text(response.get_data(as_text=True))
    assert client.get(INTERNAL_PAGE).status_code == 404


@pytest.mark.parametrize(
    "evil",
    [
        "//evil.example",
        "///evil.example",
        "https://evil.example/",
        "http:evil.example",
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "/\\evil.example",
        "\\\\evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        " //evil.example",
        "evil.example",
        "data:text/html,hi",
    ],
)
def test_next_never_leaves_the_site(client: FlaskClient, make_user, evil: str) -> None:
    make_user()
    response = sign_in(client, "agent@example.com", next_url=evil)
    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/"


def test_next_within_the_site_is_followed(client: FlaskClient, make_user) -> None:
    make_user()
    client.get(f"/login?next={INTERNAL_PAGE}")
    response = sign_in(client, "agent@example.com", next_url=INTERNAL_PAGE + "?x=1#top")
    assert response.headers["Location"] == INTERNAL_PAGE + "?x=1#top"


def test_logout_needs_post_with_csrf(client: FlaskClient, make_user) -> None:
    make_user()
    sign_in(client, "agent@example.com")
    confirm = client.get("/logout")  # GET only asks
    assert confirm.status_code == 200
    assert client.get(INTERNAL_PAGE).status_code == 200
    assert client.post("/logout").status_code == 400  # no token: nothing happens
    assert client.get(INTERNAL_PAGE).status_code == 200
    response = client.post("/logout", data={"csrf_token": csrf_token(client, "/logout")})
    assert response.status_code == 302
    assert client.get(INTERNAL_PAGE).status_code == 404


def test_disabling_a_user_ends_their_session(client: FlaskClient, db: Session, make_user) -> None:
    make_user()
    sign_in(client, "agent@example.com")
    assert client.get(INTERNAL_PAGE).status_code == 200
    services.set_active(db, "agent@example.com", False)
    assert client.get(INTERNAL_PAGE).status_code == 404


def test_password_change_ends_other_sessions(client: FlaskClient, db: Session, make_user) -> None:
    make_user()
    sign_in(client, "agent@example.com")
    services.set_password(db, "agent@example.com", "a brand new password")
    assert client.get(INTERNAL_PAGE).status_code == 404


def test_session_moved_to_another_address_is_dropped(client: FlaskClient, make_user) -> None:
    make_user()
    sign_in(client, "agent@example.com")
    moved = client.get(INTERNAL_PAGE, environ_overrides={"REMOTE_ADDR": "203.0.113.9"})
    assert moved.status_code == 404


def test_cookie_flags(app: Flask, make_user) -> None:
    make_user()
    app.config["SESSION_COOKIE_SECURE"] = True
    client = app.test_client()
    response = sign_in(client, "agent@example.com")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie


def test_a_session_copied_to_another_browser_is_dropped(client: FlaskClient, make_user) -> None:
    make_user()
    sign_in(client, "agent@example.com")
    stolen = client.get(INTERNAL_PAGE, headers={"User-Agent": "curl/8"})
    assert stolen.status_code == 404
    assert client.get(INTERNAL_PAGE).status_code == 404  # ended, not just refused once


def test_public_pages_set_no_cookies_for_visitors_with_a_session(client: FlaskClient) -> None:
    client.get("/login")  # the visitor now has a session holding a CSRF token
    response = client.get("/en/articles/account/reset")
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize(
    "fields",
    [
        {"email": "agent\x00@example.com", "password": PASSWORD},
        {"email": "agent@example.com", "password": "pass\x00word-long-enough"},
        {"email": "x" * 5000, "password": "y" * 5000},
        {"email": "агент@пример.рф", "password": "пароль-достаточно-длинный"},
        {"email": ["a@example.com", "b@example.com"], "password": PASSWORD},
    ],
)
def test_hostile_sign_in_input_never_500s(client: FlaskClient, make_user, fields) -> None:
    make_user()
    response = client.post("/login", data={**fields, "csrf_token": csrf_token(client)})
    assert response.status_code == 200
    assert client.get(INTERNAL_PAGE).status_code == 404


def test_invalid_utf8_in_the_form_never_500s(client: FlaskClient, make_user) -> None:
    make_user()
    token = csrf_token(client)
    body = f"csrf_token={token}&email=%ED%A0%80%FF@example.com&password=%C3%28xxxxxxxxxxx"
    response = client.post(
        "/login", data=body.encode(), content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
