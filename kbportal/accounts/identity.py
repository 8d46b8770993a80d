"""Who a request belongs to, read in one indexed SQL query: session ids and API tokens."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, select, update
from sqlalchemy.orm import Session

from kbportal.accounts.models import ROLES, ApiToken, StaffSession, User, UserGroup

log = logging.getLogger(__name__)

STAFF_ROLES = frozenset(ROLES)

_users = cast(Table, User.__table__)
_groups = cast(Table, UserGroup.__table__)
_tokens = cast(Table, ApiToken.__table__)
_sessions = cast(Table, StaffSession.__table__)
_STAFF = (_users.c.active, _users.c.role.in_(sorted(STAFF_ROLES)))
# Built once: SQLAlchemy then reuses the compiled SQL, and no ORM objects are made per request.
# The user row and its groups come back together (one row per group) from a left join; a
# browser session also needs its server-side row: signing out deletes it (still one query).
_SESSION_QUERY = (
    select(_users.c.id, _users.c.email, _users.c.role, _users.c.auth_version, _groups.c.name)
    .select_from(
        _sessions.join(_users, _users.c.id == _sessions.c.user_id).outerjoin(
            _groups, _groups.c.user_id == _users.c.id
        )
    )
    .where(_sessions.c.id_hash == bindparam("session_hash"))
    .where(_users.c.id == bindparam("user_id"), _users.c.auth_version == bindparam("version"))
    .where(*_STAFF)
)
_TOKEN_QUERY = (
    select(
        _users.c.id,
        _users.c.email,
        _users.c.role,
        _users.c.auth_version,
        _groups.c.name,
        _tokens.c.id,
        _tokens.c.last_used_at,
    )
    .select_from(
        _tokens.join(_users, _users.c.id == _tokens.c.user_id).outerjoin(
            _groups, _groups.c.user_id == _users.c.id
        )
    )
    .where(_tokens.c.token_hash == bindparam("token_hash"), _tokens.c.revoked_at.is_(None))
    .where(*_STAFF)
)


@dataclass(frozen=True)
class StaffUser:
    """An active staff member as one request sees them (flask-login's user protocol)."""

    id: int
    email: str
    role: str
    auth_version: int
    groups: frozenset[str] = frozenset()
    token_id: int | None = None  # set when the request came with an API token
    token_last_used: datetime | None = field(default=None, compare=False)

    is_authenticated = True
    is_active = True  # only active users are ever loaded
    is_anonymous = False

    def get_id(self) -> str:
        """The session identifier, as User.get_id: id and auth version."""
        return f"{self.id}:{self.auth_version}"


Reader = Connection | Session


def _staff(rows: list[Any], with_token: bool) -> StaffUser | None:
    if not rows:
        return None
    first = rows[0]
    return StaffUser(
        id=first[0],
        email=first[1],
        role=first[2],
        auth_version=first[3],
        groups=frozenset(row[4] for row in rows if row[4] is not None),
        token_id=first[5] if with_token else None,
        token_last_used=first[6] if with_token else None,
    )


def parse_session_id(ident: str) -> tuple[int, int] | None:
    """(user id, auth version) from a session id "<id>:<version>", or None if malformed."""
    user_id, _, version = ident.partition(":")
    if not (user_id.isascii() and user_id.isdigit() and version.isascii() and version.isdigit()):
        return None
    if len(user_id) > 18 or len(version) > 18:  # beyond any 64-bit integer column
        return None
    return int(user_id), int(version)


def staff_for_live_session(reader: Reader, ident: str, session_hash: str) -> StaffUser | None:
    """The active staff user of an id "<user id>:<auth version>" while its session lives."""
    parsed = parse_session_id(ident)
    if parsed is None:
        return None
    params = {"user_id": parsed[0], "version": parsed[1], "session_hash": session_hash}
    return _staff(list(reader.execute(_SESSION_QUERY, params)), with_token=False)


def staff_for_token_hash(reader: Reader, token_hash: str) -> StaffUser | None:
    """The active staff user of a live (unrevoked) token with this hash, or None (one query)."""
    rows = list(reader.execute(_TOKEN_QUERY, {"token_hash": token_hash}))
    return _staff(rows, with_token=True)


def touch_token(reader: Reader, token_id: int, now: datetime, resolution: timedelta) -> bool:
    """Set a token's last use to `now` unless it was set within `resolution`; True if written."""
    stmt = (
        update(_tokens)
        .where(_tokens.c.id == token_id)
        .where((_tokens.c.last_used_at.is_(None)) | (_tokens.c.last_used_at <= now - resolution))
        .values(last_used_at=now)
    )
    return bool(getattr(reader.execute(stmt), "rowcount", 0))
