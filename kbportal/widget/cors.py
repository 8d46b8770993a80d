"""CORS for the public API: only KBPORTAL_WIDGET_ORIGINS, and other browser origins refused."""

from __future__ import annotations

import logging

from flask import Flask, current_app, request
from werkzeug.wrappers import Response

from kbportal.web.errors import json_error
from kbportal.widget.origins import origin_of_url, request_origin

log = logging.getLogger(__name__)

API_PREFIX = "/api/v1/"
ALLOWED_HEADERS = "Content-Type, Idempotency-Key"
EXPOSED_HEADERS = "Retry-After, Location"
# Public documentation: any site (an API explorer, a partner's docs) may read it.
OPEN_TO_ALL = ("/api/v1/openapi.json",)
PREFLIGHT_MAX_AGE = "600"


def allowed_origins() -> tuple[str, ...]:
    """The configured widget origins (parsed once at start-up)."""
    return tuple(current_app.extensions["kbportal_widget"].origins)


def own_origins() -> set[str]:
    """The portal's own origin(s): this request's host and KBPORTAL_PUBLIC_URL."""
    candidates = (request.host_url, current_app.config.get("KBPORTAL_PUBLIC_URL") or "")
    return {origin for url in candidates if url and (origin := origin_of_url(url))}


def origin_allowed(origin: str | None) -> bool:
    """No Origin (a server, a same-origin GET), the portal itself, or a listed origin."""
    return origin is None or origin in allowed_origins() or origin in own_origins()


def refuse_foreign_origins() -> Response | None:
    """Before an API request: a browser on an unlisted origin gets 403 and no CORS headers."""
    if not request.path.startswith(API_PREFIX) or request.path in OPEN_TO_ALL:
        return None
    origin = request_origin(request.headers.get("Origin"))
    if origin_allowed(origin):
        return None
    # Without this a plain HTML form (which needs no preflight) on any site could post here.
    return json_error(403, "this origin may not call the API; see KBPORTAL_WIDGET_ORIGINS")


def add_cors_headers(response: Response) -> Response:
    """After an API request from a listed origin: the CORS headers it needs, and Vary: Origin."""
    if not request.path.startswith(API_PREFIX):
        return response
    if request.path in OPEN_TO_ALL:
        response.headers["Access-Control-Allow-Origin"] = "*"
        return response
    response.vary.add("Origin")  # a shared cache must not hand one origin's answer to another
    origin = request_origin(request.headers.get("Origin"))
    if origin is None or origin not in allowed_origins():
        return response
    response.headers["Access-Control-Allow-Origin"] = origin
    response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
    if request.method == "OPTIONS":
        # No credentials and no Authorization: a staff token never travels from a host page.
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
        response.headers["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE
    return response


def init_app(app: Flask) -> None:
    """Check origins before every API request and add CORS headers after."""
    app.before_request(refuse_foreign_origins)
    app.after_request(add_cors_headers)
