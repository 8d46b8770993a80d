"""Flask glue for the request views: visitor session, signed tokens, settings, error texts."""

from __future__ import annotations

import logging
import time
from typing import Any
from urllib.parse import unquote

from flask import current_app, request
from flask_babel import gettext as _
from itsdangerous import BadData, URLSafeTimedSerializer

from kbportal.analytics import Shown, record_click, record_search
from kbportal.analytics.sessions import current_session, touch
from kbportal.content.request_types import RequestTypes
from kbportal.support import runtime, services, tokens

log = logging.getLogger(__name__)

FORM_SALT = "kbportal.support.form"
FORM_MAX_AGE = 2 * 24 * 3600  # a form left open over a weekend still sends


def setting(name: str) -> Any:
    """One KBPORTAL_* setting of the current app."""
    return current_app.config[f"KBPORTAL_{name}"]


def request_types() -> RequestTypes:
    """The request types of the build being served."""
    from kbportal.web.kb import current_kb

    kb: Any = current_kb()
    types: RequestTypes = kb.request_types()
    return types


def visitor_session_id() -> str | None:
    """The visitor's analytics session id, or None when analytics cannot tell."""
    try:
        visitor = current_session()
        touch()
    except Exception:  # no session id is better than no request
        log.warning("analytics session unavailable", exc_info=True)
        return None
    return str(visitor.session_id) if visitor.session_id else None


def is_counted_visitor() -> bool:
    """Whether this visitor counts in customer figures (not staff, not a bot)."""
    try:
        return str(current_session().segment) == "customer"
    except Exception:  # unknown: leave it out of the customer figures
        log.warning("analytics session unavailable", exc_info=True)
        return False


def client_hash() -> str:
    """A keyed, daily hash of the client's address (rate limits only; never stored raw)."""
    return services.client_hash(str(current_app.secret_key), request.remote_addr or "")


def form_token(key: str) -> str:
    """Signs the form's key and when it was opened (spam: too fast; forgery: wrong key)."""
    data = {"k": key, "t": int(time.time())}  # whole seconds, never in the future
    return URLSafeTimedSerializer(str(current_app.secret_key), salt=FORM_SALT).dumps(data)


def read_form_token(token: str | None) -> tuple[str, float] | None:
    """(key, opened at) of a form token, or None when it is forged or too old."""
    try:
        data = URLSafeTimedSerializer(str(current_app.secret_key), salt=FORM_SALT).loads(
            token or "", max_age=FORM_MAX_AGE
        )
        return str(data["k"])[:64], float(data["t"])
    except (BadData, KeyError, TypeError, ValueError):
        return None


def view_token(reference: str) -> str:
    """The confirmation page's token (see kbportal.support.tokens)."""
    return tokens.view_token(str(current_app.secret_key), reference)


def read_view_token(token: str | None) -> str | None:
    return tokens.read_view_token(str(current_app.secret_key), token)


def close_token(reference: str) -> str:
    """The signed, single-use close token (see kbportal.support.tokens)."""
    return tokens.close_token(str(current_app.secret_key), reference)


def read_close_token(token: str | None) -> str | None:
    return tokens.read_close_token(str(current_app.secret_key), token)


def site_url() -> str:
    """The portal's public address (KBPORTAL_PUBLIC_URL, else this request's)."""
    return str(current_app.config.get("KBPORTAL_PUBLIC_URL") or request.url_root).rstrip("/")


def error_text(code: str) -> str:
    """The message shown beside a field for an error code from the services."""
    messages = {
        "required": _("Please fill this in."),
        "too_long": _("This is too long; please shorten it."),
        "bad_email": _("This does not look like an e-mail address."),
        "bad_choice": _("Please choose one of the options."),
        "file_type": _("This kind of file cannot be attached: use an image, a PDF or text."),
        "file_too_big": _("This file is too large."),
        "too_many": _("Too many files."),
        "rate_limited": _("You have sent several requests already; please try again later."),
        "bad_key": _("This form has expired; please send it again."),
        "expired": _("This form has expired; please send it again."),
        "too_fast": _("That was very fast; please check your request and send it again."),
        "spam": _("Please leave the last field empty."),
    }
    return messages.get(code, _("Please check this field."))


def record_form_search(locale: str, text: str, shown: list[tuple[str, str]]) -> None:
    """Log what the form searched while the customer typed (surface "form"), via analytics."""
    try:
        record_search("form", locale, text, len(shown), [Shown(k, a) for k, a in shown])
    except Exception:  # analytics must never cost the customer the form
        log.warning("could not log the form's search", exc_info=True)


def record_form_click(url: str) -> None:
    """Log a suggestion opened from the form as a click (surface "form"), via analytics."""
    path, _, anchor = url.partition("#")
    locale, _, slug = path.removeprefix("/").partition("/articles/")
    try:
        record_click(None, f"{locale}/{unquote(slug)}", unquote(anchor), None, surface="form")
    except Exception:  # analytics must never cost the customer the article
        log.warning("could not log the form's click", exc_info=True)


def file_request(db: Any, sub: services.Submission) -> services.Submitted:
    """Store a submission under this app's types, destinations and limits; wake the relay."""
    done = services.submit(
        db,
        request_types(),
        sub,
        destinations=runtime.destinations(),
        rate_limit=int(setting("REQUESTS_RATE_LIMIT")),
        max_file_bytes=int(setting("REQUESTS_MAX_ATTACHMENT_MB")) * 1024 * 1024,
    )
    runtime.wake()  # after the commit: the relay must find the outbox rows
    return done
