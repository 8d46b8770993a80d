"""Request limits for every route: body size per blueprint, URL length and header bytes."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask, Request, Response, current_app, jsonify, render_template, request
from werkzeug.exceptions import RequestEntityTooLarge

log = logging.getLogger(__name__)

EXTENSION = "kbportal.body_limits"
# Blueprints whose JSON errors belong to machines, not readers.
JSON_PREFIXES = ("/api/", "/hooks/")


def body_limits(app: Flask) -> dict[str, int]:
    """The app's body limits: blueprint or endpoint name -> bytes (the rest get the default)."""
    limits: dict[str, int] = app.extensions.setdefault(EXTENSION, {})
    return limits


def allow_body(app: Flask, name: str, max_bytes: int) -> None:
    """Let blueprint (or endpoint) `name` take bodies up to `max_bytes`, e.g. a form with uploads.

    Call it from the blueprint's init_app; the setting KBPORTAL_MAX_UPLOAD_BODY is the usual value.
    """
    body_limits(app)[name] = max_bytes


def limit_for(app: Flask, endpoint: str | None) -> int:
    """The most bytes a request to `endpoint` may send (the default for unknown routes)."""
    limits = body_limits(app)
    if endpoint:
        if endpoint in limits:
            return limits[endpoint]
        blueprint = endpoint.rpartition(".")[0]
        while blueprint:  # nested blueprints: "outer.inner.view" -> "outer.inner" -> "outer"
            if blueprint in limits:
                return limits[blueprint]
            blueprint = blueprint.rpartition(".")[0]
    return int(app.config["KBPORTAL_MAX_REQUEST_BODY"])


def limit_for_path(app: Flask, path: str, method: str) -> int:
    """The body limit of the route a path and method reach (for the server, before Flask runs)."""
    adapter = app.url_map.bind("localhost")
    try:
        endpoint, _args = adapter.match(path, method=method)
    except Exception:  # 404, 405 or a redirect: no body is needed there; the default applies
        return limit_for(app, None)
    return limit_for(app, str(endpoint))


class LimitedRequest(Request):
    """A request whose body limit follows its route, so nothing (CSRF included) reads past it."""

    @property
    def max_content_length(self) -> int | None:
        if self._max_content_length is not None:
            return self._max_content_length
        if not current_app:
            return None
        return limit_for(current_app._get_current_object(), self.endpoint)  # type: ignore[attr-defined]

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value


def read_body(limit: int) -> bytes:
    """The whole request body, at most `limit` bytes; RequestEntityTooLarge if more was sent."""
    request.max_content_length = limit
    stream = request.stream
    data = stream.read()
    # A single read stops quietly at the limit: one more read is what raises for a longer body.
    if len(data) >= limit and request.content_length is None:
        stream.read(1)
    return data


def header_bytes(environ: Mapping[str, Any]) -> int:
    """Roughly how many bytes the request's header fields took on the wire."""
    total = 0
    for key, value in environ.items():
        if key.startswith("HTTP_") or key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            total += len(key) + len(str(value)) + 4  # name, ": ", value, CRLF
    return total


def too_long(status: int, message: str) -> Response:
    """A 408/413/414/431 as JSON for machines (API, webhooks) or a short page for readers."""
    if request.path.startswith(JSON_PREFIXES):
        response = jsonify({"error": message})
    else:
        try:
            locale = current_app.config["KBPORTAL_DEFAULT_LOCALE"]
            page = render_template("error.html", status=status, name=message, locale=locale)
        except Exception:  # the error page itself needs nothing; still never a 500 here
            page = message
        response = Response(page, mimetype="text/html")
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    response.headers["Connection"] = "close"  # the unread body must not be taken as a request
    return response


def enforce_limits() -> Response | None:
    """Before anything else reads the request: refuse what is too long, before reading it."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    config = app.config
    raw_uri = request.environ.get("RAW_URI") or request.full_path
    if len(raw_uri) > int(config["KBPORTAL_MAX_URL_LENGTH"]):
        return too_long(414, "the URL is too long")
    if header_bytes(request.environ) > int(config["KBPORTAL_MAX_HEADER_BYTES"]):
        return too_long(431, "the request's header fields are too large")
    if request.environ.get("kbportal.body_timed_out"):
        return too_long(408, "the request body did not arrive in time")
    length = request.content_length
    if request.environ.get("kbportal.body_too_large") or (
        length is not None and length > limit_for(app, request.endpoint)
    ):
        return too_long(413, "the request body is too large")
    return None


def refuse_large(error: RequestEntityTooLarge) -> Response:
    """A body found too large while reading (chunked, or a view that raised it)."""
    return too_long(413, "the request body is too large")


def init_app(app: Flask) -> None:
    """Limit every request of `app`; the first check runs before every other hook (CSRF too)."""
    app.request_class = LimitedRequest
    body_limits(app)
    app.before_request_funcs.setdefault(None, []).insert(0, enforce_limits)
    app.register_error_handler(RequestEntityTooLarge, refuse_large)
