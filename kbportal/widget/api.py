"""The public JSON API the widget and other sites' forms use: suggest, events, OpenAPI."""

from __future__ import annotations

import json
import logging
from importlib import resources
from typing import Any

from flask import Blueprint, current_app, jsonify, request
from werkzeug.wrappers import Response

from kbportal.support.glue import request_types
from kbportal.web.api import locale_arg
from kbportal.web.errors import json_error
from kbportal.web.kb import current_kb
from kbportal.web.params import BadParam, clean_text, parse_int
from kbportal.web.viewer import current_viewer
from kbportal.widget import sink
from kbportal.widget.beacons import BeaconError, parse_beacons
from kbportal.widget.ratelimit import RateLimiter, client_key
from kbportal.widget.request_types import UnknownType, find_type
from kbportal.widget.suggest import MAX_SUGGESTIONS, Scope, words_from_url
from kbportal.widget.suggest import suggest as find_suggestions

log = logging.getLogger(__name__)

bp = Blueprint("widget_api", __name__, url_prefix="/api/v1")

MAX_BEACON_BYTES = 16 * 1024
MAX_LABELS = 10
BEACONS_PER_MINUTE = 120


@bp.errorhandler(BadParam)
def bad_param(error: BadParam) -> Response:
    """A query-string value the API cannot use."""
    return json_error(400, str(error))


def field_errors(message: str, fields: dict[str, str], status: int = 400) -> Response:
    """An error with one message per field: {"error", "fields": {name: message}}."""
    response = jsonify({"error": message, "fields": fields})
    response.status_code = status
    return response


def too_many(retry_after: float) -> Response:
    """429 with Retry-After in whole seconds."""
    response = json_error(429, "too many requests; try again later")
    response.headers["Retry-After"] = str(max(1, round(retry_after)))
    return response


def limiter(name: str, limit: int) -> RateLimiter:
    """The app's rate limiter called `name` (one per process, made on first use)."""
    limiters: dict[str, RateLimiter] = current_app.extensions["kbportal_widget"].limiters
    return limiters.setdefault(name, RateLimiter(limit, 60.0))


def rate_key(salt: str) -> str:
    """This client's rate-limit key: a keyed hash of its address."""
    return client_key(str(current_app.config["SECRET_KEY"]), request.remote_addr, salt)


@bp.get("/suggest")
def suggest() -> Response:
    """Articles search is confident answer the question (or the host page's labels or URL)."""
    text = clean_text(request.args.get("q"))
    locale = locale_arg(required=True) or ""
    raw_labels = clean_text(request.args.get("labels"), 300)
    labels = [label.strip() for label in raw_labels.split(",") if label.strip()][:MAX_LABELS]
    page_url = request.args.get("url", "")
    if page_url:
        labels.append(clean_text(words_from_url(page_url), 100))
    if not (text or labels):
        raise BadParam("q is required (or labels=, url=): the text to find suggestions for")
    limit = parse_int(request.args.get("limit"), "limit", MAX_SUGGESTIONS, 1, 10)
    kb = current_kb()
    request_type = clean_text(request.args.get("type"), 64)
    try:
        rtype = find_type(request_types(), request_type)
    except UnknownType as exc:
        return field_errors(str(exc), {"type": str(exc)})
    scope = Scope(rtype.categories, rtype.tags) if rtype else None
    found = find_suggestions(
        kb, text, locale=locale, viewer=current_viewer(), scope=scope, labels=labels, limit=limit
    )
    return jsonify(
        {
            "query": found.query,
            "type": request_type or None,
            "locale": locale,
            "threshold": found.threshold,
            "suggestions": [item.json() for item in found.items],
        }
    )


@bp.post("/events")
def events() -> Response:
    """Record exposure, click, deflection (and widget search) beacons; 202 when accepted."""
    wait = limiter("events", BEACONS_PER_MINUTE).hit(rate_key("events"))
    if wait:
        return too_many(wait)
    if (request.content_length or 0) > MAX_BEACON_BYTES:
        return json_error(413, f"a beacon body may be at most {MAX_BEACON_BYTES} bytes")
    body = _json_body(MAX_BEACON_BYTES)
    if body is None:
        return json_error(400, "the body must be JSON (navigator.sendBeacon's text/plain is fine)")
    locales = tuple(current_app.config["KBPORTAL_LOCALES"])
    try:
        beacons = parse_beacons(body, current_kb(), locales)
    except BeaconError as exc:
        return field_errors("invalid beacon", exc.fields)
    if current_viewer().staff:
        # Staff trying the widget are not customers: accepted, never counted.
        return _accepted(0)
    search_id = None
    for beacon in beacons:
        search_id = sink.record_beacon(beacon) or search_id
    return _accepted(len(beacons), search_id)


def _accepted(count: int, search_id: int | None = None) -> Response:
    body: dict[str, Any] = {"recorded": count}
    if search_id:
        body["search_id"] = search_id  # for the clicks on its results, and as-you-type
    response = jsonify(body)
    response.status_code = 202
    return response


def _json_body(limit: int) -> Any:
    """The request body parsed as JSON whatever its Content-Type, or None."""
    raw = request.get_data(cache=True)[: limit + 1]
    if len(raw) > limit:
        return None
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None


@bp.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3.1 document of the whole JSON API."""
    return jsonify(openapi_document())


def openapi_document() -> dict[str, Any]:
    """The OpenAPI document shipped with the package."""
    text = resources.files("kbportal.widget").joinpath("openapi.json").read_text("utf-8")
    document: dict[str, Any] = json.loads(text)
    return document
