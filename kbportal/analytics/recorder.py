"""The recorder: high-volume rows go through a bounded buffer, votes and copies straight in."""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
import weakref
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session

from kbportal.analytics import journal
from kbportal.analytics.journal import Journal
from kbportal.analytics.models import Click, SearchRow, SurfaceEvent, ViewCount

log = logging.getLogger(__name__)

COLLECT_EVERY = 60.0  # seconds between looks for the journals of processes that died

# What a search upsert may change on a row that is already stored (never its clicks or id).
_SEARCH_UPDATES = ("at", "query", "normalized", "total", "corrected", "shown", "filters", "segment")


@dataclass
class Batch:
    """What one flush writes."""

    searches: list[dict[str, Any]] = field(default_factory=list)
    reformulated: set[int] = field(default_factory=set)
    clicks: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    views: Counter[tuple[date, str]] = field(default_factory=Counter)

    @property
    def size(self) -> int:
        """Rows (and view counters) in the batch."""
        parts = (self.searches, self.reformulated, self.clicks, self.events, self.views)
        return sum(len(part) for part in parts)

    def each(self) -> list[Batch]:
        """One batch per row, to find the one the database refuses."""
        return [
            *(Batch(searches=[s]) for s in self.searches),
            *(Batch(reformulated={r}) for r in self.reformulated),
            *(Batch(clicks=[c]) for c in self.clicks),
            *(Batch(events=[e]) for e in self.events),
            *(Batch(views=Counter({k: v})) for k, v in self.views.items()),
        ]


class Recorder:
    """Buffers searches, clicks and views and writes them in batches from a thread.

    A crash loses at most one flush interval of buffered rows, and counts them: with a
    `journal` folder, the number of rows held unwritten is kept in a file a later process
    finds (kbportal.analytics.journal). When the database is away the rows wait (up to
    `max_buffer`, then the oldest are dropped and counted in `dropped`).
    """

    def __init__(
        self,
        sessions: Callable[[], Session],
        *,
        flush_interval: float = 1.0,
        batch_size: int = 1000,
        max_buffer: int = 50_000,
        journal: Path | None = None,
    ) -> None:
        self.sessions = sessions
        self.flush_interval = flush_interval
        self.batch_size = batch_size
        self.max_buffer = max_buffer
        self.dropped = 0
        self.written = 0
        self._warned_at = 0.0
        self._searches: dict[int, dict[str, Any]] = {}  # by id: a later keystroke replaces
        self._reformulated: set[int] = set()
        self._clicks: list[dict[str, Any]] = []
        self._events: list[dict[str, Any]] = []
        self._views: Counter[tuple[date, str]] = Counter()
        self._view_count = 0  # views held (the counter holds one key per day and article)
        self._in_flight = 0  # rows taken by a flush and not yet committed
        self.journal_folder = journal
        self._journal: Journal | None = None
        self._next_collect = 0.0
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._thread_pid = 0
        # Called from the flusher after each flush (e.g. the daily retention purge).
        self.tick: Callable[[], object] | None = None
        _LIVE.add(self)

    # -- recording -------------------------------------------------------------------------

    def search(self, row: dict[str, Any]) -> None:
        """Buffer a search row (a new one, or a newer state of one already recorded)."""
        with self._lock:
            previous = self._searches.get(row["id"])
            if previous is not None:
                row = {**previous, **row, "page": max(previous["page"], row["page"])}
            self._searches[row["id"]] = row
        self._queued()

    def reformulated(self, search_id: int) -> None:
        """Mark a search as followed by a different search in the same session."""
        with self._lock:
            self._reformulated.add(search_id)
        self._queued()

    def click(self, row: dict[str, Any]) -> None:
        """Buffer a result click."""
        with self._lock:
            self._clicks.append(row)
        self._queued()

    def event(self, row: dict[str, Any]) -> None:
        """Buffer a surface event (suggestions shown, a deflection)."""
        with self._lock:
            self._events.append(row)
        self._queued()

    def view(self, day: date, article: str) -> None:
        """Count one page view of an article."""
        article = article.replace("\x00", "\ufffd")[:512]  # PostgreSQL stores no NUL
        with self._lock:
            self._views[(day, article)] += 1
            self._view_count += 1
        self._queued()

    def pending(self) -> int:
        """Rows waiting in the buffer."""
        return (
            len(self._searches)
            + len(self._reformulated)
            + len(self._clicks)
            + len(self._events)
            + len(self._views)
        )

    def held(self) -> int:
        """Rows a crash now would lose: buffered, or taken by a flush not yet committed."""
        rows = len(self._searches) + len(self._reformulated) + len(self._clicks)
        return rows + len(self._events) + self._view_count + self._in_flight

    def _note(self) -> None:
        """Keep the journal's count current (a store into a memory map: no system call)."""
        if self.journal_folder is None:
            return
        with self._lock:  # the count and the rows it counts change together
            if self._journal is None:
                try:
                    self._journal = Journal(self.journal_folder)
                except OSError:  # no journal: rows are still recorded, a loss uncounted
                    log.warning("no analytics journal in %s", self.journal_folder)
                    self.journal_folder = None
                    return
            self._journal.set(self.held())

    def _queued(self) -> None:
        self._note()
        size = self.pending()
        if size > self.max_buffer:
            self._shed(size - self.max_buffer)
        self._ensure_thread()
        if size >= self.batch_size:
            self._wake.set()

    def _shed(self, excess: int) -> None:
        """The database is not keeping up (or is down): lose the oldest rows, not the process."""
        with self._lock:
            dropped = 0
            for queue in (self._events, self._clicks):
                while dropped < excess and queue:
                    queue.pop(0)
                    dropped += 1
            for key in list(self._searches)[: max(excess - dropped, 0)]:
                del self._searches[key]
                dropped += 1
            self.dropped += dropped  # every row lost is counted
        self._note()
        if time.monotonic() - self._warned_at > 10:  # say so, but do not flood the log
            self._warned_at = time.monotonic()
            log.warning("analytics buffer full; %d rows dropped so far", self.dropped)

    # -- writing ---------------------------------------------------------------------------

    def flush(self) -> int:
        """Write every buffered row now; returns how many were written."""
        with self._flush_lock:
            with self._lock:
                batch = Batch(
                    list(self._searches.values()),
                    self._reformulated,
                    self._clicks,
                    self._events,
                    self._views,
                )
                self._searches, self._reformulated, self._clicks = {}, set(), []
                self._events, self._views = [], Counter()
                self._in_flight, self._view_count = self._in_flight + self._view_count, 0
                self._in_flight += batch.size - len(batch.views)
            count = batch.size
            if not count:
                return 0
            try:
                self._write(batch)
            except OperationalError as exc:
                # Unreachable or locked: keep the rows for the next flush. One line, no
                # traceback: an outage would otherwise print one every second.
                log.warning("could not write %d analytics rows; will retry: %s", count, exc.orig)
                self._requeue(batch)
                return 0
            except SQLAlchemyError:
                return self._write_each(batch)
            finally:
                self._in_flight = 0
                self._note()
            self.written += count
            return count

    def _requeue(self, batch: Batch) -> None:
        with self._lock:
            for row in batch.searches:
                self._searches.setdefault(row["id"], row)
            self._reformulated |= batch.reformulated
            self._clicks[:0] = batch.clicks
            self._events[:0] = batch.events
            self._views.update(batch.views)
            self._view_count += sum(batch.views.values())
        size = self.pending()
        if size > self.max_buffer:
            self._shed(size - self.max_buffer)

    def _write_each(self, batch: Batch) -> int:
        """Write rows one at a time, dropping (and counting) any the database refuses."""
        written = 0
        for part in batch.each():
            try:
                self._write(part)
                written += 1
            except SQLAlchemyError:
                self.dropped += 1
                log.exception("dropped an unstorable analytics row")
        self.written += written
        return written

    def _write(self, batch: Batch) -> None:
        """Everything buffered, in one transaction: searches first, so clicks find them."""
        with self.sessions() as session, session.begin():
            dialect = _dialect(session)
            if batch.searches:
                _upsert_searches(session, dialect, batch.searches)
            if batch.reformulated:
                session.execute(
                    update(SearchRow)
                    .where(SearchRow.id.in_(sorted(batch.reformulated)))
                    .values(reformulated=True)
                )
            if batch.clicks:
                session.execute(insert(Click), batch.clicks)
            # Each touched search's clicks, counted from the clicks table: right whichever of a
            # search and its clicks reached the database first (two workers flush apart).
            touched = {row["id"] for row in batch.searches}
            touched |= {c["search_id"] for c in batch.clicks if c["search_id"]}
            if touched:
                counted = (
                    select(func.count(Click.id))
                    .where(Click.search_id == SearchRow.id)
                    .scalar_subquery()
                )
                session.execute(
                    update(SearchRow)
                    .where(SearchRow.id.in_(sorted(touched)))
                    .values(clicks=counted)
                )
            if touched:
                # Clicks carry their search's final normalised query, whichever reached the
                # database first: reports then read "searches that led here" from clicks alone.
                query = (
                    select(SearchRow.normalized)
                    .where(SearchRow.id == Click.search_id)
                    .scalar_subquery()
                )
                session.execute(
                    update(Click)
                    .where(Click.search_id.in_(sorted(touched)))
                    .values(normalized=query)
                )
            if batch.events:
                session.execute(insert(SurfaceEvent), batch.events)
            for (day, article), count in sorted(batch.views.items()):
                _add_views(session, dialect, day, article, count)

    # -- the flusher thread ----------------------------------------------------------------

    def _ensure_thread(self) -> None:
        """Start the flusher in this process (again after a fork: threads do not survive it)."""
        if self._thread is not None and self._thread_pid == os.getpid():
            return
        with self._lock:
            if self._thread is not None and self._thread_pid == os.getpid():
                return
            self._thread_pid = os.getpid()
            self._thread = threading.Thread(
                target=self._run, name="kbportal-analytics", daemon=True
            )
            self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.flush_interval)
            self._wake.clear()
            try:
                self.flush()
                self._collect()
                if self.tick is not None:
                    self.tick()
            except Exception:  # the flusher must outlive any one bad batch
                log.exception("analytics flush failed")

    def _collect(self) -> None:
        """Store the losses of processes that died with rows unwritten (once a minute)."""
        if self.journal_folder is None or time.monotonic() < self._next_collect:
            return
        self._next_collect = time.monotonic() + COLLECT_EVERY
        journal.collect(self.sessions, self.journal_folder)

    def close(self) -> None:
        """Stop the flusher and write what is buffered."""
        self._stop.set()
        self._wake.set()
        thread = self._thread
        if thread is not None and thread.is_alive() and self._thread_pid == os.getpid():
            thread.join(timeout=5)
        self.flush()
        if self._journal is not None and self.held() == 0:
            self._journal.close()  # all written: nothing to count
            self._journal = None
        _LIVE.discard(self)

    def _reset_after_fork(self) -> None:
        # The parent still holds and will write these rows; a forked child writing them too
        # would count them twice.
        self._searches, self._reformulated, self._clicks = {}, set(), []
        self._events, self._views = [], Counter()
        self._view_count = self._in_flight = 0
        if self._journal is not None:  # the parent's file: the child keeps its own
            self._journal.abandon()
            self._journal = None
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = None


def _dialect(session: Session) -> Any:
    return postgresql if session.get_bind().dialect.name == "postgresql" else sqlite


def _upsert_searches(session: Session, dialect: Any, rows: list[dict[str, Any]]) -> None:
    """Insert search rows, or bring stored ones up to date (keystrokes, later pages): one
    statement for the whole batch."""
    stmt = dialect.insert(SearchRow)
    updates: dict[str, Any] = {name: getattr(stmt.excluded, name) for name in _SEARCH_UPDATES}
    page = func.greatest if dialect is postgresql else func.max
    updates["page"] = page(SearchRow.page, stmt.excluded.page)
    stmt = stmt.on_conflict_do_update(index_elements=[SearchRow.id], set_=updates)
    session.execute(stmt, rows)


def _add_views(session: Session, dialect: Any, day: date, article: str, count: int) -> None:
    """Add `count` views to an article's counter for `day` (an upsert on both backends)."""
    values = {"day": day, "article": article, "locale": article.partition("/")[0], "views": count}
    stmt = dialect.insert(ViewCount).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=[ViewCount.day, ViewCount.article],
        set_={"views": ViewCount.views + stmt.excluded.views},
    )
    session.execute(stmt)


_LIVE: weakref.WeakSet[Recorder] = weakref.WeakSet()


def _reset_in_child() -> None:
    for recorder in list(_LIVE):
        recorder._reset_after_fork()


os.register_at_fork(after_in_child=_reset_in_child)


@atexit.register
def _flush_all_at_exit() -> None:
    for recorder in list(_LIVE):
        try:
            recorder.close()
        except Exception:  # at exit there is nobody left to tell but the log
            log.exception("could not flush analytics at exit")
