"""Daily aggregates kept current: closed days fold into `search_daily`, reports read them.

A report over a year then reads a few thousand aggregate rows plus the raw rows of the days
not yet rolled up (today, usually), instead of a year of raw rows. The horizon in
`analytics_rollup` says where aggregates end: every day before it is read from `search_daily`
only, every day from it on from the raw rows only, so no day is counted twice.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from kbportal.analytics.models import POSITION_COLUMNS, Click, Rollup, SearchDaily, SearchRow
from kbportal.db import utcnow

log = logging.getLogger(__name__)

NAME = "search_daily"
# Days re-rolled each run: a click on yesterday's search, or a row a worker flushed just after
# midnight, still reaches its day's figures. A day's figures are final two days after it ends.
REROLL_DAYS = 2
CHECK_EVERY = 3600.0  # seconds between runs in a serving process
FIGURES = (
    "searches",
    "zero",
    "with_results",
    "clicked",
    "corrected",
    "reformulated",
    "clicks",
    "position_sum",
)


def count_where(condition: Any) -> Any:
    """SQL: how many rows of the group meet the condition."""
    return func.sum(case((condition, 1), else_=0))


def search_counts() -> tuple[Any, ...]:
    """SQL columns of FIGURES[:6] over SearchRow: the rollup and the raw overview count alike."""
    has_results = SearchRow.total > 0
    return (
        func.count(),
        count_where(SearchRow.total == 0),
        count_where(has_results),
        count_where(and_(has_results, SearchRow.clicks > 0)),
        count_where(SearchRow.corrected.is_not(None)),
        count_where(SearchRow.reformulated),
    )


def horizon(session: Session) -> date | None:
    """The first day not yet in the aggregates (None: nothing rolled up, all days are raw)."""
    return session.scalar(select(Rollup.until).where(Rollup.name == NAME))


def daily_figures(
    session: Session, before: date, since: date | None = None
) -> list[dict[str, Any]]:
    """Aggregate rows computed from the raw rows of days in [since, before)."""
    keys = (SearchRow.day, SearchRow.locale, SearchRow.surface, SearchRow.segment)
    days = [SearchRow.day < before] + ([SearchRow.day >= since] if since else [])
    counted = select(*keys, *search_counts()).where(*days).group_by(*keys)
    rows: dict[tuple[Any, ...], dict[str, Any]] = {}
    for day, locale, surface, segment, *counts in session.execute(counted):
        row: dict[str, Any] = {"day": day, "locale": locale, "surface": surface}
        row["segment"] = segment
        row.update(zip(FIGURES[:6], (int(c or 0) for c in counts), strict=True))
        row.update({"clicks": 0, "position_sum": 0}, **dict.fromkeys(POSITION_COLUMNS, 0))
        rows[(day, locale, surface, segment)] = row
    # Clicks with a position, as the raw overview counts them.
    least = func.least if session.get_bind().dialect.name == "postgresql" else func.min
    bucket = least(Click.position, len(POSITION_COLUMNS))
    clicked = (
        select(*keys, bucket, func.count(Click.id), func.sum(Click.position))
        .join(Click, Click.search_id == SearchRow.id)
        .where(*days, Click.position.is_not(None))
        .group_by(*keys, bucket)
    )
    for day, locale, surface, segment, position, n, position_sum in session.execute(clicked):
        found = rows.get((day, locale, surface, segment))
        if found is None:
            continue
        found["clicks"] += int(n)
        found["position_sum"] += int(position_sum or 0)
        found[POSITION_COLUMNS[max(int(position), 1) - 1]] += int(n)
    return list(rows.values())


def store(session: Session, rows: list[dict[str, Any]]) -> None:
    """Write aggregate rows, replacing what a day held (so running again changes nothing)."""
    if not rows:
        return
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(SearchDaily)
    values = (*FIGURES, *POSITION_COLUMNS)
    stmt = stmt.on_conflict_do_update(
        index_elements=[
            SearchDaily.day,
            SearchDaily.locale,
            SearchDaily.surface,
            SearchDaily.segment,
        ],
        set_={name: getattr(stmt.excluded, name) for name in values},
    )
    for start in range(0, len(rows), 1000):
        session.execute(stmt, rows[start : start + 1000])


def advance(session: Session, until: date) -> None:
    """Move the horizon forward to `until` (never back)."""
    row = session.get(Rollup, NAME)
    if row is None:
        session.add(Rollup(name=NAME, until=until, at=utcnow()))
    elif row.until < until:
        row.until = until
        row.at = utcnow()


def roll_up(sessions: Callable[[], Session], today: date) -> int:
    """Fold every closed day (before `today`) into the aggregates; returns the rows written."""
    with sessions() as session, session.begin():
        current = horizon(session)
        since = None if current is None else min(current, today) - timedelta(days=REROLL_DAYS)
        rows = daily_figures(session, today, since)
        store(session, rows)
        advance(session, today)
    return len(rows)


class HourlyRollup:
    """Runs `roll_up` from a serving process's flusher: at start, then once an hour."""

    def __init__(self, sessions: Callable[[], Session]) -> None:
        self.sessions = sessions
        self._next = 0.0

    def maybe_run(self) -> int | None:
        """Roll up if the last run is an hour old; a failure is logged and retried later."""
        now = time.monotonic()
        if now < self._next:
            return None
        self._next = now + CHECK_EVERY
        try:
            return roll_up(self.sessions, utcnow().date())
        except Exception:  # reports read raw rows meanwhile: slower, still right
            log.exception("analytics rollup failed")
            return None
