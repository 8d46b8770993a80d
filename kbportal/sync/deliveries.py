"""Webhook replay protection: each signed push is acted on once, and stale ones not at all."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Connection, String, Table, delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from kbportal.db import Base, UTCDateTime

log = logging.getLogger(__name__)

# A push that says when it happened (GitHub's repository.pushed_at, our post-receive hook's
# pushed_at) is refused once older than this; GitHub lets a delivery be redelivered for 3 days.
STALE_AFTER = timedelta(days=7)
# How long a delivery is remembered: longer than STALE_AFTER, so nothing slips between them.
# Pushes without a timestamp (GitLab, Gitea) are remembered for a year; a row is 100 bytes.
KEEP_TIMED = timedelta(days=8)
KEEP_UNTIMED = timedelta(days=365)
DELIVERY_HEADERS = (
    "x-github-delivery",
    "x-gitea-delivery",
    "idempotency-key",
    "x-gitlab-event-uuid",
)


class WebhookDelivery(Base):
    """A push delivery already acted on, keyed by its body (what the signature covers)."""

    __tablename__ = "webhook_deliveries"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of the body
    provider: Mapped[str] = mapped_column(String(16))
    delivery_id: Mapped[str | None] = mapped_column(String(100), default=None)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


def delivery_id(headers: Mapping[str, str]) -> str | None:
    """The provider's own delivery id (for the log; it is not signed, so not the key)."""
    for name in DELIVERY_HEADERS:
        if headers.get(name):
            return headers[name][:100]
    return None


def pushed_at(payload: Any) -> datetime | None:
    """When a push happened, if its (signed) payload says so."""
    if not isinstance(payload, dict):
        return None
    stamp = payload.get("pushed_at")
    repository = payload.get("repository")
    if stamp is None and isinstance(repository, dict):
        stamp = repository.get("pushed_at")
    if isinstance(stamp, bool) or not isinstance(stamp, int | float):
        return None  # GitHub's ping events carry an ISO string here: not a push time
    try:
        return datetime.fromtimestamp(stamp).astimezone()
    except (OverflowError, OSError, ValueError):
        return None


def is_stale(body: bytes, now: datetime) -> bool:
    """Whether a push's own timestamp is older than STALE_AFTER."""
    try:
        when = pushed_at(json.loads(body or b"{}"))
    except ValueError:
        return False
    return when is not None and now - when > STALE_AFTER


def first_delivery(
    connection: Connection, body: bytes, provider: str, delivered: str | None, now: datetime
) -> bool:
    """Record a push delivery; False if the same signed body was acted on before (a replay)."""
    try:
        timed = pushed_at(json.loads(body or b"{}")) is not None
    except ValueError:
        timed = False
    values = {
        "key": hashlib.sha256(body).hexdigest(),
        "provider": provider[:16],
        "delivery_id": delivered,
        "received_at": now,
        "expires_at": now + (KEEP_TIMED if timed else KEEP_UNTIMED),
    }
    module: Any = postgresql if connection.dialect.name == "postgresql" else sqlite
    table = cast(Table, WebhookDelivery.__table__)
    stmt = module.insert(table).values(**values).on_conflict_do_nothing(index_elements=["key"])
    # RETURNING, not rowcount: psycopg reports -1 for this statement, which read as "a replay"
    # and dropped every webhook on PostgreSQL.
    inserted = connection.execute(stmt.returning(table.c.key)).first() is not None
    connection.execute(delete(table).where(table.c.expires_at < now))
    return inserted
