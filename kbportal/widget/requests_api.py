"""POST /api/v1/requests and GET /api/v1/requests/types: the widget's and other sites' forms."""

from __future__ import annotations

import json
import logging
import re
import time
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, current_app, jsonify, redirect, request
from werkzeug.wrappers import Response

from kbportal.db import get_session
from kbportal.support import glue, services
from kbportal.web.api import locale_arg
from kbportal.web.errors import json_error
from kbportal.web.kb import current_kb
from kbportal.web.params import BadParam
from kbportal.widget.api import field_errors, limiter, rate_key, too_many
from kbportal.widget.cors import allowed_origins
from kbportal.widget.identity import verify
from kbportal.widget.origins import origin_of_url
from kbportal.widget.request_types import type_json

log = logging.getLogger(__name__)

bp = Blueprint("widget_requests", __name__, url_prefix="/api/v1/requests")

SUBMITS_PER_MINUTE = 10  # per client and process; the service adds per-hour limits in the DB
HONEYPOT = "website"
SESSION = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
STANDARD = ("subject", "description", "email", "name")
# Fields a plain HTML form sends that are not the request's own.
CONTROL = {
    "type",
    "locale",
    "surface",
    "session",
    "token",
    "idempotency_key",
    "redirect",
    HONEYPOT,
    "source_article",
    "source_query",
    "identity_name",
    "identity_email",
    "identity_hmac",
}


@bp.errorhandler(BadParam)
def bad_param(error: BadParam) -> Response:
    """A value the API cannot use."""
    return json_error(400, str(error))


@bp.get("/types")
def types() -> Response:
    """The request types with their fields and checklist, and a fresh key and form token."""
    locale = locale_arg(required=True) or ""
    kb = current_kb()
    key = services.new_key()
    response = jsonify(
        {
            "types": [type_json(kb, rtype, locale) for rtype in glue.request_types().types],
            "key": key,
            "token": glue.form_token(key),
        }
    )
    response.headers["Cache-Control"] = "no-store"  # the key is this form's alone
    return response


@bp.post("")
def create() -> Response:
    """File a request: validated per field, idempotent by key, rate-limited, honeypot-guarded."""
    wait = limiter("requests", SUBMITS_PER_MINUTE).hit(rate_key("requests"))
    if wait:
        return too_many(wait)
    body, is_form = _body()
    if body is None:
        return json_error(400, "the body must be a JSON object or an HTML form")
    key = (request.headers.get("Idempotency-Key") or _text(body, "idempotency_key")).strip()
    if not key or len(key) > services.MAX_KEY:
        message = f"send an Idempotency-Key header (1-{services.MAX_KEY} characters)"
        return field_errors(message, {"Idempotency-Key": message})
    if _text(body, HONEYPOT):
        return field_errors("rejected", {HONEYPOT: glue.error_text("spam")})
    token = _text(body, "token")
    if token:  # the widget's form says when it was opened: a bot is faster than a person
        opened = glue.read_form_token(token)
        if opened is None or opened[0] != key:
            return field_errors("this form has expired", {"form": glue.error_text("expired")})
        if time.time() - opened[1] < int(glue.setting("REQUESTS_MIN_SECONDS")):
            return field_errors("sent too fast", {"form": glue.error_text("too_fast")})
    locale = _text(body, "locale") or str(current_app.config["KBPORTAL_DEFAULT_LOCALE"])
    if locale not in current_app.config["KBPORTAL_LOCALES"]:
        return field_errors("invalid locale", {"locale": "not a locale of this portal"})
    values = _values(body, is_form)
    identity, problem = _identity(body)
    if problem:
        return field_errors("identity not verified", {"identity": problem})
    if identity:  # a verified customer cannot be made someone else by the form's fields
        values["email"], values["name"] = (
            identity["email"],
            identity.get("name") or values.get("name", ""),
        )
    raw_source = body.get("source")
    source: dict[str, Any] = raw_source if isinstance(raw_source, dict) else {}
    session = _text(body, "session")
    sub = services.Submission(
        type=_text(body, "type"),
        locale=locale,
        values=values,
        idempotency_key=key,
        surface="widget" if _text(body, "surface") == "widget" else "api",
        session_id=session if SESSION.match(session) else None,
        client_hash=glue.client_hash(),
        source_article=_text(source, "article") or _text(body, "source_article") or None,
        source_query=_text(source, "query") or _text(body, "source_query") or None,
        verified_email=identity is not None,
    )
    db = get_session()
    try:
        done = glue.file_request(db, sub)
    except services.RateLimited:
        response = json_error(429, "too many requests from this client; try again later")
        response.headers["Retry-After"] = str(int(services.RATE_WINDOW.total_seconds()))
        return response
    except services.SubmitError as exc:
        fields = {name: glue.error_text(code) for name, code in exc.errors.items()}
        # Messages for people in the request's language, codes for programs.
        response = jsonify(
            {"error": "the request has invalid fields", "fields": fields, "codes": exc.errors}
        )
        response.status_code = 400
        return response
    return _answer(done, body, is_form)


def _answer(done: services.Submitted, body: dict[str, Any], is_form: bool) -> Response:
    """201 (or 200 for a repeated key) with the id and status URL; a form may ask to go back."""
    found = done.request
    status_url = f"/{found.locale}/requests/{found.reference}?t={glue.view_token(found.reference)}"
    back = _text(body, "redirect")
    if is_form and back and origin_of_url(back) in allowed_origins():
        sep = "&" if "?" in back else "?"
        return redirect(back + sep + urlencode({"request": found.reference}), code=303)
    response = jsonify(
        {
            "id": found.reference,
            "status": "received",
            "status_url": status_url,
            "created": done.created,
        }
    )
    response.status_code = 201 if done.created else 200
    response.headers["Location"] = status_url
    response.headers["Cache-Control"] = "no-store"
    return response


def _body() -> tuple[dict[str, Any] | None, bool]:
    """The submission as a dict, and whether it came from an HTML form."""
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return request.form.to_dict(), True
    try:
        data = json.loads(request.get_data(cache=True).decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None, False
    return (data, False) if isinstance(data, dict) else (None, False)


def _text(data: dict[str, Any], name: str) -> str:
    """A string value of the body ("" when missing or not text)."""
    value = data.get(name, "")
    return value if isinstance(value, str) else ""


def _values(body: dict[str, Any], is_form: bool) -> dict[str, str]:
    """subject, description, email, name and the type's own fields, as strings."""
    values = {name: _text(body, name) for name in STANDARD}
    raw = body.get("fields")
    own: dict[str, Any] = raw if isinstance(raw, dict) else {}
    if is_form:  # a plain form sends the type's fields at the top level
        own = {k: v for k, v in body.items() if k not in CONTROL and k not in STANDARD}
    for name, value in own.items():
        if isinstance(name, str) and isinstance(value, str | bool | int):
            values[name] = ("yes" if value else "") if isinstance(value, bool) else str(value)
    return values


def _identity(body: dict[str, Any]) -> tuple[dict[str, str] | None, str]:
    """A verified identity, or None; and a message when a signature was sent but is wrong."""
    raw = body.get("identity")
    person = raw if isinstance(raw, dict) else {}
    if not person and _text(body, "identity_email"):
        person = {
            "email": body["identity_email"],
            "name": _text(body, "identity_name"),
            "hmac": _text(body, "identity_hmac"),
        }
    email = person.get("email") if isinstance(person.get("email"), str) else ""
    signature = person.get("hmac") if isinstance(person.get("hmac"), str) else ""
    if not (email and signature):
        return None, ""  # unverified: the typed name and e-mail are used as they are
    secret = current_app.extensions["kbportal_widget"].identity_secret
    if not verify(secret, email, signature):
        return None, "the signature does not match this e-mail (KBPORTAL_WIDGET_IDENTITY_SECRET)"
    return {"email": email.strip(), "name": _text(person, "name").strip()}, ""
