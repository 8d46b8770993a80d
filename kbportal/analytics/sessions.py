"""The visitor of the current request, kept in a signed first-party cookie (Flask glue)."""

from __future__ import annotations

import logging
import time
from typing import Any

from flask import Flask, Response, current_app, g, request, session
from itsdangerous import BadData, URLSafeTimedSerializer

from kbportal.accounts.auth import current_staff_user
from kbportal.analytics.visitors import (
    SESSION_IDLE,
    LastSearch,
    Visitor,
    is_bot_agent,
    new_session_id,
    opted_out,
)

log = logging.getLogger(__name__)

COOKIE = "kbp_vs"
SALT = "kbportal.analytics.visitor"
NO_RECORDING_KEY = "kbp_no_recording"  # in the staff member's own (signed) flask session
_G_KEY = "kbportal_visitor"
_G_SAVE = "kbportal_visitor_save"
MAX_REMEMBERED_QUERY = 200


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key or "", salt=SALT)


def _read_cookie() -> dict[str, Any] | None:
    raw = request.cookies.get(COOKIE)
    if not raw or len(raw) > 2048:
        return None
    try:
        # max_age: the cookie is re-signed on each activity, so this is "30 minutes idle".
        data = _serializer().loads(raw, max_age=SESSION_IDLE)
    except (BadData, ValueError, TypeError):
        return None
    return data if isinstance(data, dict) else None


def _last_of(data: dict[str, Any]) -> LastSearch | None:
    last = data.get("l")
    try:
        search_id, query, locale, at = last  # type: ignore[misc]
        return LastSearch(int(search_id), str(query), str(locale), float(at))
    except (TypeError, ValueError):
        return None


def current_session() -> Visitor:
    """The visitor of this request: session (unless DNT/GPC), segment and staff user."""
    found: Visitor | None = g.get(_G_KEY)
    if found is not None:
        return found
    user = current_staff_user() if "kbportal_db" in current_app.extensions else None
    agent = request.headers.get("User-Agent", "")
    if opted_out(request.headers.get("DNT"), request.headers.get("Sec-GPC")):
        session_id, last = None, None
    else:
        data = _read_cookie() or {}
        session_id = str(data.get("s") or "")[:32] or new_session_id()
        last = _last_of(data)
    if user is not None:
        visitor = Visitor(
            session_id,
            "staff",
            user.id,
            recording=not session.get(NO_RECORDING_KEY, False),
            last=last,
        )
    else:
        visitor = Visitor(session_id, "bot" if is_bot_agent(agent) else "customer", last=last)
    g.setdefault(_G_KEY, visitor)
    return visitor


def touch(last: LastSearch | None = None) -> None:
    """Keep the visitor's session alive on this response (and remember their latest search)."""
    visitor = current_session()
    if not visitor.tracked:
        return
    if last is not None:
        last = LastSearch(last.id, last.query[:MAX_REMEMBERED_QUERY], last.locale, last.at)
        g.pop(_G_KEY, None)
        g.setdefault(
            _G_KEY,
            Visitor(visitor.session_id, visitor.segment, visitor.user_id, visitor.recording, last),
        )
    g.setdefault(_G_SAVE, True)


def _save_cookie(response: Response) -> Response:
    """After the request: write the visitor cookie when this response belongs to a session."""
    if not g.get(_G_SAVE):
        return response
    visitor: Visitor | None = g.get(_G_KEY)
    if visitor is None or visitor.session_id is None:
        return response
    data: dict[str, Any] = {"s": visitor.session_id}
    if visitor.last is not None:
        last = visitor.last
        data["l"] = [last.id, last.query, last.locale, int(last.at * 10) / 10]  # floor: never later
    response.set_cookie(
        COOKIE,
        _serializer().dumps(data),
        max_age=SESSION_IDLE,
        httponly=True,
        samesite="Lax",
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
    )
    # A response that sets a visitor's cookie is theirs alone: never in a shared cache.
    response.headers["Cache-Control"] = "private, no-store"
    response.vary.add("Cookie")
    return response


def now() -> float:
    """Epoch seconds (one place, so tests may move time)."""
    return time.time()


def init_app(app: Flask) -> None:
    """Write the visitor cookie on responses that touched a session."""
    app.after_request(_save_cookie)
