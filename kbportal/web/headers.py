"""Response headers in one place: the cache policy and a few safety headers."""

from __future__ import annotations

import logging

from flask import Flask, Response, g, request

from kbportal.viewer import PUBLIC
from kbportal.web.viewer import current_viewer

log = logging.getLogger(__name__)

PUBLIC_CACHE = "public, max-age=60"
PRIVATE_CACHE = "private"
NO_STORE = "no-store"

SAFETY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
    # Article HTML is sanitised at build time; the policy is a second wall, not the first.
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' https: data:; style-src 'self'; "
        "script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
        "form-action 'self'"
    ),
}


def apply_policy(response: Response) -> Response:
    """Public pages may be cached 60 s by anyone; anything personalised only by the browser."""
    personal = current_viewer() != PUBLIC
    chosen = response.headers.get("Cache-Control")
    if chosen:
        # A view chose; but what a staff member sees must never sit in a shared cache.
        if personal and "public" in chosen:
            response.headers["Cache-Control"] = PRIVATE_CACHE
    elif request.method not in ("GET", "HEAD") or response.status_code >= 500:
        response.headers["Cache-Control"] = NO_STORE
    else:
        response.headers["Cache-Control"] = PRIVATE_CACHE if personal else PUBLIC_CACHE
    if not personal:
        # Staff are told apart by cookie or token: a shared cache must not hand them this copy.
        response.vary.update(("Cookie", "Authorization"))
    if g.get("kbportal_locale_from_header"):
        # Chosen by the browser's languages: a shared cache must keep one copy per language.
        response.vary.add("Accept-Language")
    own_policy = response.headers.get("Content-Security-Policy", "")
    for name, value in SAFETY_HEADERS.items():
        if name == "X-Frame-Options" and own_policy and "frame-ancestors 'none'" not in own_policy:
            continue  # a page that may be framed (the widget panel) says by whom in its own CSP
        response.headers.setdefault(name, value)
    return response


def init_app(app: Flask) -> None:
    """Apply the header policy to every response."""
    app.after_request(apply_policy)
