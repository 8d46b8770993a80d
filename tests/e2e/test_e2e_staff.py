"""Signed-in staff: a sign-out button in every page's header; sessions behind a proxy."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from e2e_portal import Portal, sign_in
from support import csrf_from

FILES = {
    "en/start/welcome.md": "# Welcome\n\nCreate your workspace.\n",
    "en/desk/runbook.md": "---\ntitle: Escalation runbook\nvisibility: internal\n---\nEscalate.\n",
}
INTERNAL = "/en/articles/desk/runbook"
PROXY = {"REMOTE_ADDR": "10.0.0.1"}  # every request arrives from the proxy


def test_customers_see_no_sign_out(portal: Callable[..., Portal]) -> None:
    page = portal(FILES).app().test_client().get("/en/")
    assert 'class="sign-out"' not in page.text
    assert "Set-Cookie" not in page.headers


@pytest.mark.parametrize("url", ["/en/", "/ru/", "/en/articles/start/welcome", "/en/search?q=x"])
def test_staff_sign_out_from_the_header(portal: Callable[..., Portal], url: str) -> None:
    app = portal(FILES).app()
    client = app.test_client()
    sign_in(app, client)
    assert client.get(INTERNAL).status_code == 200
    page = client.get(url).text
    assert '<form class="sign-out" method="post" action="/logout">' in page
    response = client.post("/logout", data={"csrf_token": csrf_from(page.split("sign-out")[1])})
    assert response.status_code == 302
    assert client.get(INTERNAL).status_code == 404
    assert 'class="sign-out"' not in client.get(url).text


def test_sign_out_without_the_token_changes_nothing(portal: Callable[..., Portal]) -> None:
    app = portal(FILES).app()
    client = app.test_client()
    sign_in(app, client)
    assert client.post("/logout", data={"csrf_token": "forged"}).status_code == 400
    assert client.get(INTERNAL).status_code == 200


def test_behind_a_proxy_sessions_bind_to_the_client_address(
    portal: Callable[..., Portal],
) -> None:
    app = portal(FILES, PROXY_FIX=1).app()
    client = app.test_client()
    alice = {**PROXY, "HTTP_X_FORWARDED_FOR": "198.51.100.7"}
    sign_in(app, client, **alice)
    assert client.get(INTERNAL, environ_overrides=alice).status_code == 200
    # The same cookie from another client behind the same proxy is dropped.
    mallory = {**PROXY, "HTTP_X_FORWARDED_FOR": "203.0.113.9"}
    assert client.get(INTERNAL, environ_overrides=mallory).status_code == 404


def test_without_proxy_fix_forwarded_headers_are_ignored(portal: Callable[..., Portal]) -> None:
    app = portal(FILES).app()
    client = app.test_client()
    sign_in(app, client, **PROXY, HTTP_X_FORWARDED_FOR="198.51.100.7")
    # A forged X-Forwarded-For neither moves nor breaks the session: the socket address counts.
    forged = {**PROXY, "HTTP_X_FORWARDED_FOR": "203.0.113.9"}
    assert client.get(INTERNAL, environ_overrides=forged).status_code == 200


def test_proxy_fix_keeps_https_in_absolute_urls(portal: Callable[..., Portal]) -> None:
    # The forwarded host must also be an allowed one (issue 7: no forged Host in absolute URLs).
    client = portal(FILES, PROXY_FIX=1, ALLOWED_HOSTS="help.example.com").app().test_client()
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "help.example.com"}
    robots = client.get("/robots.txt", headers=headers, environ_overrides=PROXY).text
    assert "Sitemap: https://help.example.com/sitemap.xml" in robots
    forged = {**headers, "X-Forwarded-Host": "evil.example"}
    robots = client.get("/robots.txt", headers=forged, environ_overrides=PROXY).text
    assert "evil" not in robots and "Sitemap:" not in robots
