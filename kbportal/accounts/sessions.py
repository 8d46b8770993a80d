"""Server-side sign-in sessions: made at sign-in, deleted at sign-out, checked on every request."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Connection, Table, delete, insert

from kbportal.accounts.models import StaffSession

_sessions = cast(Table, StaffSession.__table__)
# Flask refuses a session cookie older than its PERMANENT_SESSION_LIFETIME (31 days by default):
# rows older than that can open nothing and are removed.
KEEP = timedelta(days=31)


def id_hash(session_id: str) -> str:
    """What is stored for a session id (its SHA-256)."""
    return hashlib.sha256(session_id.encode("utf-8", "surrogateescape")).hexdigest()


def start(connection: Connection, user_id: int, now: datetime) -> str:
    """A new session of `user_id`; returns the random id that goes into the signed cookie."""
    session_id = secrets.token_urlsafe(32)
    connection.execute(
        insert(_sessions).values(id_hash=id_hash(session_id), user_id=user_id, created_at=now)
    )
    if secrets.randbelow(100) == 0:  # now and then, forget sessions no cookie can open
        connection.execute(delete(_sessions).where(_sessions.c.created_at < now - KEEP))
    return session_id


def end(connection: Connection, session_id: str) -> None:
    """End a session: its cookie, even one saved earlier, no longer signs anyone in."""
    connection.execute(delete(_sessions).where(_sessions.c.id_hash == id_hash(session_id)))
