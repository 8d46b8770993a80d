"""Database faults that heal: connections left unusable by an outage are replaced, not reused."""

from __future__ import annotations

import logging
import time
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import DBAPIError, OperationalError

log = logging.getLogger(__name__)

# SQLite opens a file it cannot write read-only and stays so: after the file is writable again
# that connection still says "readonly database" until it is closed.
SQLITE_STALE = ("readonly database", "disk i/o error", "unable to open database file")
# PostgreSQL: a session started while the database was read-only keeps that default; and the
# server going away or refusing. (Class 08 and 57P0x are already disconnects to SQLAlchemy.)
PG_STALE_STATES = frozenset({"25006", "57P01", "57P02", "57P03", "08000", "08003", "08006"})
LOG_EVERY = 60.0  # seconds: one line per outage, not one per request


def needs_fresh_connections(error: BaseException | None) -> bool:
    """Whether an error means this pool's connections should all be closed and opened anew."""
    if error is None:
        return False
    state = getattr(error, "sqlstate", None)
    if isinstance(state, str):
        return state in PG_STALE_STATES
    message = str(error).lower()
    return type(error).__module__.startswith("sqlite3") and any(
        part in message for part in SQLITE_STALE
    )


def install(engine: Engine) -> None:
    """After an outage, replace the engine's connections and report the database as down."""
    last_logged = [0.0]

    @event.listens_for(engine, "handle_error")
    def _heal(context: ExceptionContext) -> Any:
        original = context.original_exception
        if not needs_fresh_connections(original):
            return None
        context.is_disconnect = True
        context.invalidate_pool_on_disconnect = True  # every pooled connection may be stale
        if time.monotonic() - last_logged[0] > LOG_EVERY:
            last_logged[0] = time.monotonic()
            log.warning("database refused a write (%s): reopening connections", original)
        wrapped = context.sqlalchemy_exception
        if isinstance(wrapped, DBAPIError) and not isinstance(wrapped, OperationalError):
            # "Read-only transaction" is an InternalError to the driver; to the app it is the
            # database being unavailable for now: 503 and retry, like any outage.
            return OperationalError(
                wrapped.statement,
                wrapped.params,
                original,
                connection_invalidated=True,
            )
        return None
