"""Every route has a body limit; too large is refused with 413 before a byte is read."""

from __future__ import annotations

import hashlib
import hmac
import io

import pytest
from flask import Flask

from kbportal.serving import allow_body, limit_for


class Untouchable(io.RawIOBase):
    """A request body of `size` bytes that fails the test if anyone reads it."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.pos

    def seek(self, offset: int, whence: int = 0) -> int:
        self.pos = offset if whence == 0 else self.size + offset  # werkzeug measures it so
        return self.pos

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        raise AssertionError("the body was read")


def post_unread(app: Flask, path: str, length: int, **headers: str):
    return app.test_client().post(
        path,
        input_stream=Untouchable(length),
        headers={"Content-Type": "application/x-www-form-urlencoded", **headers},
    )


@pytest.mark.parametrize("path", ["/login", "/logout", "/api/v1/search", "/en/", "/nowhere"])
def test_a_declared_oversized_body_is_413_unread(app: Flask, path: str) -> None:
    response = post_unread(app, path, 1024**3)
    assert response.status_code == 413
    assert response.headers["Connection"] == "close"


def test_api_413_is_json(app: Flask) -> None:
    response = post_unread(app, "/api/v1/search", 10 * 1024 * 1024)
    assert response.status_code == 413
    assert response.get_json() == {"error": "the request body is too large"}


def test_webhook_1gib_unsigned_is_413_unread(app: Flask) -> None:
    response = post_unread(app, "/hooks/git", 1024**3, **{"X-GitHub-Event": "push"})
    assert response.status_code == 413
    assert response.get_json()["error"] == "the request body is too large"


def test_chunked_webhook_stops_reading_at_the_limit(app: Flask) -> None:
    """No Content-Length: reading stops just past the limit, the signature is never checked."""
    limit = app.config["KBPORTAL_MAX_WEBHOOK_BODY"]
    sent = io.BytesIO(b"x" * (limit * 4))
    response = app.test_client().post(
        "/hooks/git",
        input_stream=sent,
        headers={"Transfer-Encoding": "chunked", "X-GitHub-Event": "push"},
        environ_overrides={"wsgi.input_terminated": True},  # as a server says for chunked bodies
    )
    assert response.status_code == 413
    assert sent.tell() <= limit + 64 * 1024  # werkzeug reads in chunks; never the whole body


def test_a_webhook_just_under_its_limit_is_still_checked(app: Flask) -> None:
    body = b'{"ref": "refs/heads/main", "pad": "' + b"x" * 200_000 + b'"}'
    digest = hmac.new(b"hook-secret", body, hashlib.sha256).hexdigest()
    headers = {"X-Hub-Signature-256": "sha256=" + "0" * 64, "X-GitHub-Event": "ping"}
    client = app.test_client()
    bad = client.post("/hooks/git", data=body, headers=headers)
    assert bad.status_code == 401  # over the 64 KiB form limit, under the webhook's: read, checked
    headers["X-Hub-Signature-256"] = f"sha256={digest}"
    assert client.post("/hooks/git", data=body, headers=headers).get_json() == {"status": "pong"}


def test_a_form_over_the_limit_is_413_and_a_normal_one_passes(app: Flask) -> None:
    client = app.test_client()
    big = {"email": "a@example.com", "password": "x" * (70 * 1024)}
    assert client.post("/login", data=big).status_code == 413
    small = {"email": "a@example.com", "password": "wrong"}
    assert client.post("/login", data=small).status_code == 400  # read; refused for its CSRF


def test_limits_are_per_blueprint_and_configurable(app: Flask) -> None:
    assert limit_for(app, "accounts.login") == 64 * 1024
    assert limit_for(app, "sync_hooks.git_webhook") == 1024 * 1024
    allow_body(app, "accounts", 123)
    assert limit_for(app, "accounts.login") == 123
    allow_body(app, "accounts.logout", 7)
    assert limit_for(app, "accounts.logout") == 7
    assert limit_for(app, "accounts.login") == 123


def test_over_long_api_url_is_json_414(app: Flask) -> None:
    response = app.test_client().get("/api/v1/search?q=" + "a" * 9000)
    assert response.status_code == 414
    assert response.get_json() == {"error": "the URL is too long"}
    page = app.test_client().get("/en/search?q=" + "a" * 9000)
    assert page.status_code == 414 and page.mimetype == "text/html"


def test_over_large_api_headers_are_json_431(app: Flask) -> None:
    headers = {f"X-Pad-{n}": "v" * 1000 for n in range(40)}
    response = app.test_client().get("/api/v1/search?q=refund", headers=headers)
    assert response.status_code == 431
    assert response.get_json() == {"error": "the request's header fields are too large"}
