"""Who is signed in: session users (flask-login), bearer API tokens, CSRF and safe redirects."""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable
from functools import wraps
from typing import Any, ParamSpec, TypeVar
from urllib.parse import urlsplit

from flask import Response, abort, g, jsonify, redirect, request, session, url_for
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFProtect
from werkzeug.wrappers import Response as BaseResponse

from kbportal.accounts import sessions
from kbportal.accounts.identity import StaffUser, staff_for_live_session
from kbportal.accounts.tokens import needs_touch, record_use, staff_for_token
from kbportal.db import Database, get_database, utcnow
from kbportal.viewer import PUBLIC, Viewer

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

API_PREFIX = "/api/"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class BearerAwareCSRF(CSRFProtect):
    """CSRF protection for every form, except requests authenticated by an API token."""

    def protect(self, *args: Any, **kwargs: Any) -> None:
        # A bearer token is not sent by browsers on their own, so it cannot be forged cross-site.
        if g.get("kbportal_auth") == "token":
            return
        super().protect(*args, **kwargs)


login_manager = LoginManager()
login_manager.login_view = "accounts.login"
# flask-login's "strong" mode also rewrites the session of visitors who are not signed in (it
# checks any non-empty session, e.g. one holding only a CSRF token), adding a Set-Cookie to
# public pages; the same protection is done below for signed-in sessions only.
login_manager.session_protection = None
csrf = BearerAwareCSRF()
FINGERPRINT_KEY = "_kbp_fp"
SESSION_ID_KEY = "_kbp_sid"


def _fingerprint() -> str:
    """What a session is bound to at sign-in: the client's address and browser."""
    agent = request.headers.get("User-Agent", "")
    raw = f"{request.remote_addr}|{agent}".encode("utf-8", "surrogateescape")
    return hashlib.sha256(raw).hexdigest()


def bind_session(user_id: int) -> None:
    """Bind the signed-in session to this client and to a server-side row (after login_user)."""
    session[FINGERPRINT_KEY] = _fingerprint()
    with get_database().connect() as connection:
        session[SESSION_ID_KEY] = sessions.start(connection, user_id, utcnow())
        connection.commit()


def end_session() -> None:
    """Sign-out: delete the server-side session, so no saved copy of the cookie works again."""
    session_id = session.get(SESSION_ID_KEY)
    if isinstance(session_id, str):
        with get_database().connect() as connection:
            sessions.end(connection, session_id)
            connection.commit()


@login_manager.user_loader
def _load_user(ident: str) -> StaffUser | None:
    # flask-login calls this at most once per request and keeps the answer in g._login_user.
    if not hmac.compare_digest(str(session.get(FINGERPRINT_KEY, "")), _fingerprint()):
        # A session cookie replayed from another address or browser: end it.
        session.pop("_user_id", None)
        session.pop(FINGERPRINT_KEY, None)
        return None
    # One indexed query on a pooled connection, read fresh on every request (no cache), so a
    # disabled user or a changed password takes effect on the very next request.
    session_id = session.get(SESSION_ID_KEY)
    if not isinstance(session_id, str):
        return None  # a cookie from before server-side sessions: sign in again
    with get_database().connect() as connection:
        return staff_for_live_session(connection, ident, sessions.id_hash(session_id))


def bearer_token() -> str | None:
    """The token of an `Authorization: Bearer ...` header, or None."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def _json_error(status: int, message: str) -> Response:
    response = jsonify({"error": message})
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="kbportal"'
    return response


def authenticate_bearer() -> Response | None:
    """Before each API request: sign in the token's user for this request only, or refuse."""
    if not request.path.startswith(API_PREFIX):
        return None  # pages use the session cookie; a token there is ignored
    raw = bearer_token()
    if raw is None:
        return None
    with get_database().connect() as connection:
        user = staff_for_token(connection, raw)
    if user is None:
        return _json_error(401, "invalid or revoked API token")
    if request.method not in SAFE_METHODS:
        return _json_error(403, "API tokens are read-only")
    g._login_user = user  # flask-login's per-request user: the cookie session is not touched
    g.kbportal_auth = "token"
    if needs_touch(user, utcnow()):
        g.kbportal_token_used = user.token_id
    return None


def mark_private(response: Response) -> Response:
    """After each request: what a token holder receives never lands in a shared cache."""
    if g.get("kbportal_auth") == "token":
        response.headers["Cache-Control"] = "private, no-store"
        response.vary.add("Authorization")
        token_id = g.get("kbportal_token_used")
        if token_id is not None:
            # Written once the answer is sent, so a read through the API never waits on a write.
            database = get_database()
            response.call_on_close(lambda: _record_use(database, token_id))
    return response


def _record_use(database: Database, token_id: int) -> None:
    """Store a token's last use; a failure only costs the timestamp, never the request."""
    try:
        with database.connect() as connection:
            record_use(connection, token_id)
            connection.commit()
    except Exception:  # after the response: nobody but the log can hear about it
        log.exception("could not record the use of API token %d", token_id)


def current_staff_user() -> StaffUser | None:
    """The signed-in (or token-authenticated) active staff user of this request, or None."""
    user: Any = current_user
    # Only active staff are ever loaded (see kbportal.accounts.identity), so no further check.
    return user if isinstance(user, StaffUser) else None


def viewer_for_request() -> Viewer:
    """The Viewer of this request: staff with their groups, or PUBLIC."""
    user = current_staff_user()
    if user is None:
        return PUBLIC
    return Viewer(staff=True, groups=user.groups)


def staff_required(
    *roles: str, json: bool = False
) -> Callable[[Callable[P, R]], Callable[P, R | BaseResponse]]:
    """The one gate of every staff route, so all behave alike.

    Signed out: pages redirect to sign-in (coming back afterwards), JSON endpoints (`json=True`)
    and the API answer 401. Signed in without one of `roles`: 403 (a page, or JSON).
    """

    def decorate(view: Callable[P, R]) -> Callable[P, R | BaseResponse]:
        @wraps(view)
        def wrapped(*args: P.args, **kwargs: P.kwargs) -> R | BaseResponse:
            user = current_staff_user()
            as_json = json or request.path.startswith(API_PREFIX)
            if user is None:
                if as_json:
                    return _json_error(401, "sign in first")
                target = request.full_path if request.query_string else request.path
                return redirect(url_for("accounts.login", next=target))
            if roles and user.role not in roles:
                if as_json:
                    return _json_error(403, f"needs the role {' or '.join(roles)}")
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorate


def staff_user() -> StaffUser:
    """The signed-in staff user of a view behind `staff_required` (never None there)."""
    user = current_staff_user()
    if user is None:  # only reachable if a view forgot its gate: fail closed
        abort(403)
    return user


def safe_next(target: str | None) -> str | None:
    """`target` if it is a path on this site, else None (no open redirects)."""
    if not target or len(target) > 2000:
        return None
    # Browsers read "/\evil" as "//evil", and strip tabs and newlines before parsing.
    if "\\" in target or any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return None
    if not target.startswith("/") or target.startswith("//"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target
