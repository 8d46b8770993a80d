"""The search log's rules without Flask: one row per search, keystrokes and pages folded in."""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from kbportal.analytics.models import QUERY_CHARS
from kbportal.analytics.recorder import Recorder
from kbportal.analytics.visitors import (
    LastSearch,
    Pace,
    Visitor,
    new_search_id,
    reformulates,
    same_search,
)
from kbportal.search import analysis

SURFACE = re.compile(r"^[a-z][a-z0-9_-]{0,15}$")
SHOWN_KEPT = 10  # the top results remembered with a search
KNOWN_SURFACES = ("page", "api", "suggest", "form", "widget")
RECENT_KEPT = 10_000  # searches remembered per process for callers that pass `prev`


def surface_name(value: str | None, default: str) -> str:
    """A surface name callers may choose (lowercase word, <= 16 chars), else `default`."""
    text = (value or "").strip().lower()
    return text if SURFACE.match(text) else default


def normalize(query: str) -> str:
    """The search stack's own folding and stemming, word order ignored: one need, one form."""
    terms = analysis.terms(query)
    if not terms:  # only stop words ("how to"): keep the folded words themselves
        terms = analysis.words(query)
    return " ".join(sorted(set(terms)))[:QUERY_CHARS]


@dataclass(frozen=True)
class Shown:
    """One result a search showed: its article key and section anchor."""

    key: str  # "locale/slug"
    anchor: str = ""

    def encode(self) -> str:
        """The form kept in the search row."""
        return f"{self.key}#{self.anchor}" if self.anchor else self.key


@dataclass(frozen=True)
class SearchMade:
    """What a surface searched for and what it showed."""

    surface: str
    locale: str
    query: str
    total: int
    shown: Sequence[Shown] = ()
    corrected: str | None = None
    filters: str = ""
    page: int = 1


class SearchLog:
    """Turns searches into rows for the recorder, following the collapsing rules."""

    def __init__(self, recorder: Recorder, pace: Pace | None = None) -> None:
        self.recorder = recorder
        self.pace = pace or Pace()
        self._recent: OrderedDict[int, tuple[LastSearch, str | None]] = OrderedDict()
        self._lock = threading.Lock()

    def _previous(self, visitor: Visitor, prev: int | None) -> LastSearch | None:
        """The visitor's last search: from their session, else the `prev` id a script sent.

        `prev` is how visitors without a session cookie (Do-Not-Track) keep keystrokes in one
        row; it is honoured only for a search of the same (absent) session, in this process.
        """
        if visitor.last is not None or prev is None:
            return visitor.last
        with self._lock:
            found = self._recent.get(prev)
        if found is None or found[1] != visitor.session_id:
            return None
        return found[0]

    def _remember(self, last: LastSearch, session_id: str | None) -> None:
        with self._lock:
            self._recent[last.id] = (last, session_id)
            self._recent.move_to_end(last.id)
            while len(self._recent) > RECENT_KEPT:
                self._recent.popitem(last=False)

    def record(
        self, visitor: Visitor, made: SearchMade, now: float, prev: int | None = None
    ) -> tuple[int, LastSearch]:
        """Record a search; returns its id and what the visitor's session should remember."""
        query = _text(made.query)
        last = self._previous(visitor, prev)
        if same_search(last, query, made.locale, now):
            assert last is not None
            search_id = last.id
        else:
            search_id = new_search_id()
            if last is not None and visitor.recording and reformulates(last, now):
                self.recorder.reformulated(last.id)
        remembered = LastSearch(search_id, query, made.locale, now)
        self._remember(remembered, visitor.session_id)
        if not visitor.recording or not query:
            return search_id, remembered
        segment = visitor.segment
        tracked = visitor.session_id is not None
        if tracked and segment == "customer" and self.pace.too_fast(str(visitor.session_id)):
            segment = "bot"
        at = datetime.fromtimestamp(now, UTC)
        row: dict[str, Any] = {
            "id": search_id,
            "at": at,
            "day": at.date(),
            "session_id": visitor.session_id,
            "user_id": visitor.user_id,
            "surface": made.surface,
            "locale": made.locale[:16],
            "query": query,
            "normalized": normalize(query),
            "total": max(int(made.total), 0),
            "corrected": _text(made.corrected) if made.corrected else None,
            "shown": "\n".join(s.encode()[:600] for s in made.shown[:SHOWN_KEPT]),
            "filters": _text(made.filters)[:255],
            "segment": segment,
            "page": max(int(made.page), 1),
        }
        self.recorder.search(row)
        return search_id, remembered


def click_row(
    visitor: Visitor,
    search_id: int | None,
    key: str,
    section: str,
    position: int | None,
    now: float,
) -> dict[str, Any]:
    """A click row for the recorder."""
    at = datetime.fromtimestamp(now, UTC)
    return {
        "search_id": search_id,
        "at": at,
        "day": at.date(),
        "article": key[:512],
        "section": _text(section)[:255],
        "position": position,
        "session_id": visitor.session_id,
        "segment": visitor.segment,
        "surface": "page",
    }


def _text(value: str | None) -> str:
    """A string PostgreSQL can store (no NUL) that fits a query column."""
    return (value or "").replace("\x00", "\ufffd")[:QUERY_CHARS]
