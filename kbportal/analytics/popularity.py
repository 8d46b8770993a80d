"""Most viewed articles per locale, from the daily view counters (cached briefly)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kbportal.analytics.models import ViewCount
from kbportal.db import utcnow


class Popularity:
    """Ranks article keys by views; one query per locale and window per `ttl` seconds."""

    def __init__(self, sessions: Callable[[], Session], ttl: float = 60.0) -> None:
        self.sessions = sessions
        self.ttl = ttl
        self._cache: dict[tuple[str, int], tuple[float, list[str]]] = {}
        self._lock = threading.Lock()

    def articles(
        self,
        locale: str,
        limit: int = 5,
        days: int = 30,
        keep: Callable[[str], bool] | None = None,
    ) -> list[str]:
        """Keys of `locale` by views over `days` days; `keep` filters (internal keys count too)."""
        now = time.monotonic()
        cached = self._cache.get((locale, days))
        if cached is None or now - cached[0] > self.ttl:
            since = utcnow().date() - timedelta(days=days - 1)
            total = func.sum(ViewCount.views)
            stmt = (
                select(ViewCount.article)
                .where(ViewCount.locale == locale, ViewCount.day >= since)
                .group_by(ViewCount.article)
                .order_by(total.desc(), ViewCount.article)
                .limit(200)  # enough to fill `limit` after dropping what a viewer can't see
            )
            with self.sessions() as session:
                ranked = list(session.scalars(stmt))
            cached = (now, ranked)
            with self._lock:
                self._cache[(locale, days)] = cached
        keys = cached[1] if keep is None else [k for k in cached[1] if keep(k)]
        return keys[: max(limit, 0)]

    def forget(self) -> None:
        """Drop cached rankings, so the next call reads the database."""
        with self._lock:
            self._cache.clear()
