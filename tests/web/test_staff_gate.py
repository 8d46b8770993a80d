"""Every /staff route, present and future, meets the one gate (accounts.auth.staff_required).

Walked from the app's URL map, so a new staff page is checked without being listed here: a
stranger's page request goes to sign-in and comes back afterwards, a JSON call gets 401, and a
POST with a valid CSRF token (so CSRF is not what stops it) is turned away the same way.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from support import close_app, csrf_from, make_app

from kbportal import publish

FILES = {"en/a/one.md": "# One\n\nText.\n"}


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    application = make_app(tmp_path, FILES)
    yield application
    publish.close_all()
    close_app(application)


def staff_urls(app: Flask) -> list[tuple[str, str, str]]:
    """(method, url, endpoint) of every /staff route, with made-up values for its parts."""
    adapter = app.url_map.bind("localhost")
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/staff"):
            continue
        values: dict[str, object] = {}
        for name in rule.arguments:
            converter = type(rule._converters[name]).__name__  # noqa: SLF001 - werkzeug has no API
            values[name] = 1 if "Integer" in converter else ("en" if name == "locale" else "x")
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append(
                (method, adapter.build(rule.endpoint, values, method=method), rule.endpoint)
            )
    return sorted(found)


def test_every_staff_route_turns_strangers_away_alike(app: Flask) -> None:
    client = app.test_client()
    token = csrf_from(client.get("/login").text)
    routes = staff_urls(app)
    assert len(routes) > 20  # the walk sees the workspace, admin, insights, requests...
    wrong = []
    for method, url, endpoint in routes:
        if method == "GET":
            response = client.get(url)
        else:
            response = client.open(url, method=method, data={"csrf_token": token})
        json_call = url.endswith(".json") or response.is_json
        if json_call:
            ok = response.status_code == 401
        else:
            ok = response.status_code == 302 and response.location.startswith("/login?next=/staff")
        if not ok:
            wrong.append((method, url, endpoint, response.status_code))
    assert wrong == [], "staff routes not behind staff_required's gate"
