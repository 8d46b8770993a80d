"""Analytics events: the one module that records views, searches, clicks and copied links."""

from __future__ import annotations

import atexit
import json
import logging
import os
import threading
import time
import weakref
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from flask import Flask, current_app
from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Mapped, Session, mapped_column

import kbportal.accounts.models  # noqa: F401  (events.user_id refers to the users table)
from kbportal.db import Base, UTCDateTime, get_database, utcnow

log = logging.getLogger(__name__)

EXTENSION_KEY = "kbportal_events"
KINDS = frozenset(
    {"view", "search", "click", "copy_link", "copy_template", "vote", "deflection", "exposure"}
)
# Kinds that may wait in memory for a batched write: a crash loses at most one flush interval.
# Everything else (copy_link and copy_template above all: editors rank by them) is written before
# record() returns.
BUFFERED_KINDS = frozenset({"view", "search", "click"})


class Event(Base):
    """One recorded event other than a page view (views are counted per day, see ViewCount)."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_kind_at", "kind", "at"),
        Index("ix_events_kind_article", "kind", "article"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    locale: Mapped[str | None] = mapped_column(String(16), default=None)
    article: Mapped[str | None] = mapped_column(String(512), default=None)  # "locale/slug"
    section: Mapped[str | None] = mapped_column(String(255), default=None)
    query: Mapped[str | None] = mapped_column(String(500), default=None)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    data: Mapped[str | None] = mapped_column(Text, default=None)  # JSON


class ViewCount(Base):
    """Page views of an article on one day: 300+ views/s would drown a row-per-view table."""

    __tablename__ = "view_counts"
    __table_args__ = (Index("ix_view_counts_locale_day", "locale", "day"),)

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    article: Mapped[str] = mapped_column(String(512), primary_key=True)
    locale: Mapped[str] = mapped_column(String(16))
    views: Mapped[int] = mapped_column(Integer, default=0)


class _Keyed(Protocol):
    @property
    def key(self) -> str: ...


class EventLog:
    """Records events into one database; views and searches go through a bounded buffer."""

    def __init__(
        self,
        sessions: Callable[[], Session],
        *,
        flush_interval: float = 1.0,
        batch_size: int = 1000,
        max_buffer: int = 50_000,
        popular_ttl: float = 60.0,
    ) -> None:
        self.sessions = sessions
        self.flush_interval = flush_interval
        self.batch_size = batch_size
        self.max_buffer = max_buffer
        self.popular_ttl = popular_ttl
        self.dropped = 0
        self._warned_at = 0.0
        self._buffer: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._thread_pid = 0
        self._popular: dict[tuple[str, int], tuple[float, list[str]]] = {}
        _LIVE.add(self)

    def record(
        self,
        kind: str,
        *,
        article: str | _Keyed | None = None,
        section: str | None = None,
        query: str | None = None,
        user_id: int | None = None,
        data: dict[str, Any] | None = None,
    ) -> None:
        """Record one event; raises ValueError for an unknown kind or unserialisable data."""
        if kind not in KINDS:
            raise ValueError(f"unknown event kind {kind!r}; known: {', '.join(sorted(KINDS))}")
        key = article if isinstance(article, str) or article is None else article.key
        row: dict[str, Any] = {
            "kind": kind,
            "at": utcnow(),
            "locale": _text(key.partition("/")[0], 16) if key else None,
            "article": _text(key, 512) if key else None,
            "section": _text(section, 255) if section else None,
            "query": _text(query, 500) if query is not None else None,
            "user_id": user_id,
            "data": json.dumps(data, ensure_ascii=False) if data is not None else None,
        }
        if kind not in BUFFERED_KINDS:
            self._write([row])
            return
        if kind == "view" and not key:
            raise ValueError("a view event needs an article")
        with self._lock:
            if len(self._buffer) >= self.max_buffer:
                # The database is not keeping up (or is down): lose the oldest, not the process.
                lost = min(self.batch_size, len(self._buffer))
                del self._buffer[:lost]
                self.dropped += lost
                if time.monotonic() - self._warned_at > 10:  # say so, but do not flood the log
                    self._warned_at = time.monotonic()
                    log.warning("event buffer full; %d events dropped so far", self.dropped)
            self._buffer.append(row)
            full = len(self._buffer) >= self.batch_size
        self._ensure_thread()
        if full:
            self._wake.set()

    def flush(self) -> int:
        """Write every buffered event now; returns how many were written."""
        with self._flush_lock:
            with self._lock:
                rows, self._buffer = self._buffer, []
            if not rows:
                return 0
            try:
                self._write(rows)
            except OperationalError as exc:
                # The database is unreachable or locked: keep the events for the next flush.
                # One line, no traceback: an outage would otherwise print one every second.
                log.warning("could not write %d events; will retry: %s", len(rows), exc.orig or exc)
                with self._lock:
                    self._buffer[:0] = rows
                    # Still bounded while the database is away; what has to go is counted.
                    excess = len(self._buffer) - self.max_buffer
                    if excess > 0:
                        del self._buffer[:excess]
                        self.dropped += excess
                return 0
            except SQLAlchemyError:
                # Something in the batch is unstorable: write the rest, one by one.
                return self._write_each(rows)
            return len(rows)

    def _write_each(self, rows: list[dict[str, Any]]) -> int:
        """Write rows one at a time, dropping (and logging) any the database refuses."""
        written = 0
        for row in rows:
            try:
                self._write([row])
                written += 1
            except SQLAlchemyError:
                log.exception("dropped an unstorable %s event", row["kind"])
        return written

    def _write(self, rows: list[dict[str, Any]]) -> None:
        """Insert events and add views to the per-day counters, in one transaction."""
        views: Counter[tuple[date, str]] = Counter()
        others = []
        for row in rows:
            if row["kind"] == "view":
                views[(row["at"].date(), row["article"])] += 1
            else:
                others.append(row)
        with self.sessions() as session, session.begin():
            if others:
                session.execute(insert(Event), others)
            for (day, article), count in sorted(views.items()):
                _add_views(session, day, article, count)

    def popular_articles(
        self,
        locale: str,
        limit: int = 5,
        days: int = 30,
        keep: Callable[[str], bool] | None = None,
    ) -> list[str]:
        """Article keys of `locale` by views over the last `days` days, most viewed first.

        Pass `keep` (e.g. a Viewer check) to filter: keys of internal articles are counted too.
        """
        now = time.monotonic()
        cached = self._popular.get((locale, days))
        if cached is None or now - cached[0] > self.popular_ttl:
            since = utcnow().date() - timedelta(days=days - 1)
            total = func.sum(ViewCount.views)
            stmt = (
                select(ViewCount.article)
                .where(ViewCount.locale == locale, ViewCount.day >= since)
                .group_by(ViewCount.article)
                .order_by(total.desc(), ViewCount.article)
                .limit(200)  # enough to fill `limit` after filtering out what a viewer can't see
            )
            with self.sessions() as session:
                ranked = list(session.scalars(stmt))
            cached = (now, ranked)
            self._popular[(locale, days)] = cached
        keys = cached[1] if keep is None else [k for k in cached[1] if keep(k)]
        return keys[: max(limit, 0)]

    def forget_cache(self) -> None:
        """Drop cached rankings, so the next popular_articles() reads the database."""
        self._popular.clear()

    def _ensure_thread(self) -> None:
        """Start the flusher in this process (again after a fork: threads do not survive it)."""
        if self._thread is not None and self._thread_pid == os.getpid():
            return
        with self._lock:
            if self._thread is not None and self._thread_pid == os.getpid():
                return
            self._thread_pid = os.getpid()
            self._thread = threading.Thread(target=self._run, name="kbportal-events", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.flush_interval)
            self._wake.clear()
            self.flush()

    def close(self) -> None:
        """Stop the flusher and write what is buffered."""
        self._stop.set()
        self._wake.set()
        thread = self._thread
        if thread is not None and thread.is_alive() and self._thread_pid == os.getpid():
            thread.join(timeout=5)
        self.flush()
        _LIVE.discard(self)


def _text(value: str, limit: int) -> str:
    """A string PostgreSQL can store (no NUL) and that fits its column."""
    return value.replace("\x00", "\ufffd")[:limit]


def _add_views(session: Session, day: date, article: str, count: int) -> None:
    """Add `count` views to an article's counter for `day` (an upsert on both backends)."""
    values = {"day": day, "article": article, "locale": article.partition("/")[0], "views": count}
    dialect = session.get_bind().dialect.name
    module: Any = postgresql if dialect == "postgresql" else sqlite
    stmt = module.insert(ViewCount).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=[ViewCount.day, ViewCount.article],
        set_={"views": ViewCount.views + stmt.excluded.views},
    )
    session.execute(stmt)


_LIVE: weakref.WeakSet[EventLog] = weakref.WeakSet()


def _drop_parent_buffers_in_child() -> None:
    # The parent still holds and will write these events; a forked child writing them too
    # would count them twice.
    for event_log in list(_LIVE):
        event_log._buffer = []
        event_log._lock = threading.Lock()
        event_log._flush_lock = threading.Lock()
        event_log._wake = threading.Event()
        event_log._stop = threading.Event()
        event_log._thread = None


os.register_at_fork(after_in_child=_drop_parent_buffers_in_child)


@atexit.register
def _flush_all_at_exit() -> None:
    for event_log in list(_LIVE):
        try:
            event_log.close()
        except Exception:  # at exit there is nobody left to tell but the log
            log.exception("could not flush events at exit")


def get_event_log(app: Flask | None = None) -> EventLog:
    """The EventLog of `app` (default: the current app)."""
    target = app or current_app
    return target.extensions[EXTENSION_KEY]


def record(
    kind: str,
    *,
    article: str | _Keyed | None = None,
    section: str | None = None,
    query: str | None = None,
    user_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """Record an event for the current app (see EventLog.record)."""
    get_event_log().record(
        kind, article=article, section=section, query=query, user_id=user_id, data=data
    )


def popular_articles(
    locale: str, limit: int = 5, days: int = 30, keep: Callable[[str], bool] | None = None
) -> list[str]:
    """Most viewed article keys of `locale` for the current app (see EventLog.popular_articles)."""
    return get_event_log().popular_articles(locale, limit=limit, days=days, keep=keep)


def init_app(app: Flask) -> EventLog:
    """Give `app` an event log on its database (call after kbportal.db.init_app)."""
    event_log = EventLog(get_database(app).session)
    app.extensions[EXTENSION_KEY] = event_log
    return event_log
