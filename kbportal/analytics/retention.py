"""Retention: raw rows older than KBPORTAL_ANALYTICS_RETENTION_DAYS become daily aggregates."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from kbportal.analytics import rollup
from kbportal.analytics.models import AgentCopy, Click, SearchRow, SurfaceEvent, Vote

log = logging.getLogger(__name__)

DAY = 24 * 3600


@dataclass(frozen=True)
class PurgeReport:
    """What a purge did."""

    before: date
    aggregated_days: int
    searches: int
    clicks: int
    votes: int
    other: int

    def summary(self) -> str:
        """One line for the CLI and the log."""
        return (
            f"removed rows before {self.before.isoformat()}: {self.searches} searches "
            f"({self.aggregated_days} days kept as daily figures), {self.clicks} clicks, "
            f"{self.votes} votes, {self.other} other rows"
        )


def _delete(session: Session, stmt: Any) -> int:
    """Run a DELETE and return how many rows it removed."""
    result: Any = session.execute(stmt)
    return int(result.rowcount or 0)


def purge(sessions: Callable[[], Session], retention_days: int, today: date) -> PurgeReport:
    """Fold searches older than the retention into daily figures and delete old raw rows."""
    before = today - timedelta(days=retention_days)
    with sessions() as session, session.begin():
        # Replace, not add: a day the hourly rollup already folded in holds the same figures.
        rows = rollup.daily_figures(session, before)
        rollup.store(session, rows)
        rollup.advance(session, before)
        days = {row["day"] for row in rows}
        removed_clicks = _delete(session, delete(Click).where(Click.day < before))
        removed = _delete(session, delete(SearchRow).where(SearchRow.day < before))
        votes = _delete(session, delete(Vote).where(Vote.day < before))
        other = _delete(session, delete(SurfaceEvent).where(SurfaceEvent.day < before))
        cutoff = datetime(before.year, before.month, before.day, tzinfo=UTC)
        other += _delete(session, delete(AgentCopy).where(AgentCopy.at < cutoff))
    report = PurgeReport(before, len(days), removed, removed_clicks, votes, other)
    log.info("analytics purge: %s", report.summary())
    return report


class DailyPurge:
    """Runs the purge at most once a day per data folder, from a serving process's flusher."""

    def __init__(
        self, sessions: Callable[[], Session], retention_days: int, stamp: Path | None
    ) -> None:
        self.sessions = sessions
        self.retention_days = retention_days
        self.stamp = stamp
        self._next_check = 0.0

    def maybe_run(self) -> PurgeReport | None:
        """Purge if a day has passed since the last purge (checked at most once an hour)."""
        now = time.time()
        if now < self._next_check or self.stamp is None:
            return None
        self._next_check = now + 3600
        try:
            if now - self.stamp.stat().st_mtime < DAY:
                return None
        except FileNotFoundError:
            pass
        try:
            self.stamp.parent.mkdir(parents=True, exist_ok=True)
            self.stamp.touch()  # first: the other workers skip this day's run
            os.utime(self.stamp, (now, now))
            return purge(self.sessions, self.retention_days, date.today())
        except Exception:  # a failed purge is retried tomorrow; recording goes on
            log.exception("analytics purge failed")
            return None
