"""Signing out ends the session on the server: a cookie saved before still opens nothing."""

from __future__ import annotations

from accounts_sample import csrf_token, sign_in
from flask import Flask
from flask.testing import FlaskClient

INTERNAL_PAGE = "/en/articles/staff/escalation"


def test_a_cookie_saved_before_logout_no_longer_works(
    app: Flask, client: FlaskClient, make_user
) -> None:
    make_user()
    sign_in(client, "agent@example.com")
    saved = client.get_cookie("session")
    assert saved is not None
    assert client.get("/staff/search").status_code == 200
    client.post("/logout", data={"csrf_token": csrf_token(client, "/logout")})
    replay = app.test_client()
    replay.set_cookie("session", saved.value)
    response = replay.get("/staff/search")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert replay.get(INTERNAL_PAGE).status_code == 404


def test_logout_ends_only_that_session(app: Flask, client: FlaskClient, make_user) -> None:
    make_user()
    other = app.test_client()
    sign_in(client, "agent@example.com")
    sign_in(other, "agent@example.com")
    client.post("/logout", data={"csrf_token": csrf_token(client, "/logout")})
    assert client.get(INTERNAL_PAGE).status_code == 404
    assert other.get(INTERNAL_PAGE).status_code == 200  # the agent's other browser stays in
