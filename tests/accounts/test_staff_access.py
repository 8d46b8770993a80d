"""Staff-only views, and page views feeding the popular articles without leaking internal ones."""

from __future__ import annotations

from accounts_sample import INTERNAL_TITLE, PUBLIC_TITLE, csrf_token, sign_in
from flask import Flask
from flask.testing import FlaskClient

from kbportal.accounts.auth import staff_required
from kbportal.analytics import get_analytics


def add_staff_routes(app: Flask) -> None:
    @app.get("/staff/_test/any")
    @staff_required()
    def any_staff() -> str:
        return "staff page"

    @app.get("/staff/_test/editors")
    @staff_required("editor", "admin")
    def editors_only() -> str:
        return "editors page"

    @app.get("/api/_test/staff")
    @staff_required()
    def staff_api() -> dict[str, bool]:
        return {"ok": True}


def test_staff_required(app: Flask, make_user) -> None:
    add_staff_routes(app)
    make_user()
    client = app.test_client()
    response = client.get("/staff/_test/any?q=1")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/staff/_test/any?q%3D1"
    assert client.get("/api/_test/staff").status_code == 401
    sign_in(client, "agent@example.com")
    assert client.get("/staff/_test/any").get_data(as_text=True) == "staff page"
    assert client.get("/staff/_test/editors").status_code == 403
    assert client.get("/api/_test/staff").get_json() == {"ok": True}


def test_page_views_make_popular_articles(app: Flask, client: FlaskClient, make_user) -> None:
    make_user()
    for _ in range(3):
        assert client.get("/en/articles/account/reset").status_code == 200
    sign_in(client, "agent@example.com")
    for _ in range(5):  # staff read an internal runbook more often
        assert client.get("/en/articles/staff/escalation").status_code == 200
    client.post("/logout", data={"csrf_token": csrf_token(client, "/logout")})
    analytics = get_analytics(app)
    analytics.recorder.flush()
    assert analytics.popularity.articles("en") == ["en/staff/escalation", "en/account/reset"]
    analytics.popularity.forget()
    home = client.get("/en/").get_data(as_text=True)
    assert PUBLIC_TITLE in home
    assert INTERNAL_TITLE not in home
    public_only = analytics.popularity.articles("en", keep=lambda key: key != "en/staff/escalation")
    assert public_only == ["en/account/reset"]
