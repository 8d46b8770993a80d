"""Grouped gaps computed off the request path: a page never waits for a big grouping."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from kbportal.analytics.gaps import Status, gap_groups, statuses
from kbportal.analytics.grouping import Group
from kbportal.analytics.reports import Scope

log = logging.getLogger(__name__)

TTL = 600.0  # seconds a grouping is shown before it is worked out again
MAX_SCOPES = 32


@dataclass(frozen=True)
class Grouped:
    """A scope's groups, biggest first, and the answered status of the first ones."""

    groups: list[Group]
    states: dict[str, Status]


class GapCache:
    """Groupings by scope, computed in a background thread; stale ones are served meanwhile."""

    def __init__(self, sessions: Callable[[], Session], ttl: float = TTL) -> None:
        self.sessions = sessions
        self.ttl = ttl
        self._done: dict[Scope, tuple[float, Grouped]] = {}
        self._running: set[Scope] = set()
        self._lock = threading.Lock()

    def get(self, scope: Scope) -> Grouped | None:
        """The scope's groups (perhaps a few minutes old), or None while the first is worked out."""
        with self._lock:
            found = self._done.get(scope)
            fresh = found is not None and time.monotonic() - found[0] < self.ttl
            if not fresh and scope not in self._running:
                self._running.add(scope)
                threading.Thread(target=self._compute, args=(scope,), daemon=True).start()
        return found[1] if found else None

    def compute_now(self, scope: Scope) -> Grouped:
        """Work out the scope's groups in this thread (after an editor's merge or split)."""
        self._compute(scope)
        return self._done[scope][1]

    def forget(self) -> None:
        """Drop every grouping (an editor changed one)."""
        with self._lock:
            self._done.clear()

    def _compute(self, scope: Scope) -> None:
        try:
            with self.sessions() as session:
                groups = gap_groups(session, scope)
                grouped = Grouped(groups, statuses(session, scope, groups))
            with self._lock:
                if len(self._done) >= MAX_SCOPES:
                    self._done.clear()
                self._done[scope] = (time.monotonic(), grouped)
        except Exception:  # the page says "not ready"; the next visit tries again
            log.exception("could not group failed searches")
        finally:
            with self._lock:
                self._running.discard(scope)
