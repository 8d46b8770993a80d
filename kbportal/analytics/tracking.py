"""Recording from a request: the one API views (and the request form, the widget) call."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path

from flask import Flask, current_app

from kbportal.analytics import feedback, sessions
from kbportal.analytics.gapcache import GapCache
from kbportal.analytics.popularity import Popularity
from kbportal.analytics.recorder import Recorder
from kbportal.analytics.retention import DailyPurge
from kbportal.analytics.rollup import HourlyRollup
from kbportal.analytics.searchlog import SearchLog, SearchMade, Shown, click_row
from kbportal.analytics.visitors import Throttle
from kbportal.db import get_database, utcnow

log = logging.getLogger(__name__)

EXTENSION_KEY = "kbportal_analytics"
VOTES_PER_ADDRESS = 30  # in VOTE_WINDOW seconds: a reader votes a few times, a script more
VOTE_WINDOW = 600.0


class Analytics:
    """One app's recorder, search log and popularity cache."""

    def __init__(self, app: Flask) -> None:
        database = get_database(app)
        self.sessions = database.session
        # A per-process journal in the data folder counts rows a crash loses.
        journal = Path(app.config["KBPORTAL_DATA_DIR"]) / "analytics-journal"
        self.recorder = Recorder(database.session, journal=journal)
        self.search_log = SearchLog(self.recorder)
        self.popularity = Popularity(database.session)
        self.gaps = GapCache(database.session)
        # Votes per address (a daily-salted hash, never stored): a reader votes a few times.
        self.vote_throttle = Throttle(VOTES_PER_ADDRESS, VOTE_WINDOW)
        if not app.config.get("TESTING"):
            # Serving processes purge once a day (a stamp file in the data folder says when).
            stamp = Path(app.config["KBPORTAL_DATA_DIR"]) / "analytics-purge.stamp"
            days = int(app.config["KBPORTAL_ANALYTICS_RETENTION_DAYS"])
            purge = DailyPurge(database.session, days, stamp)
            rolling = HourlyRollup(database.session)
            self.recorder.tick = lambda: (rolling.maybe_run(), purge.maybe_run())

    def close(self) -> None:
        """Write what is buffered and stop the flusher."""
        self.recorder.close()


def get_analytics(app: Flask | None = None) -> Analytics:
    """The Analytics of `app` (default: the current app)."""
    analytics: Analytics = (app or current_app).extensions[EXTENSION_KEY]
    return analytics


def record_search(
    surface: str,
    locale: str,
    query: str,
    total: int,
    shown: Sequence[Shown] = (),
    *,
    corrected: str | None = None,
    filters: str = "",
    page: int = 1,
    prev: int | None = None,
) -> int:
    """Record a search made in this request; returns the search id to hand to the client.

    `surface` names where it was made ("page", "api", "suggest", "form", "widget", ...);
    `prev` is the id of the search this one may continue (as-you-type without a cookie).
    Never raises: a lost row must not cost the reader their results.
    """
    visitor = sessions.current_session()
    made = SearchMade(surface, locale, query, total, shown, corrected, filters, page)
    try:
        search_id, last = get_analytics().search_log.record(visitor, made, sessions.now(), prev)
    except Exception:
        log.warning("could not record a search", exc_info=True)
        return 0
    sessions.touch(last)
    return search_id


def record_click(
    search_id: int | None, key: str, section: str, position: int | None, surface: str = "page"
) -> None:
    """Record that a result of a search was opened (buffered; never raises)."""
    visitor = sessions.current_session()
    if not visitor.recording:
        return
    try:
        row = click_row(visitor, search_id, key, section, position, sessions.now())
        row["surface"] = surface[:16]
        get_analytics().recorder.click(row)
    except Exception:
        log.warning("could not record a click", exc_info=True)
    sessions.touch()


def record_event(
    kind: str,
    surface: str,
    locale: str,
    articles: Sequence[str] = (),
    query: str = "",
    session_id: str | None = None,
    request_type: str = "",
) -> None:
    """Record suggestions shown ("exposure") or a request not filed ("deflection"); buffered."""
    if kind not in ("exposure", "deflection"):
        raise ValueError(f"unknown event kind {kind!r}; known: exposure, deflection")
    visitor = sessions.current_session()
    if not visitor.recording:
        return
    now = utcnow()
    row = {
        "kind": kind,
        "at": now,
        "day": now.date(),
        "surface": surface[:16],
        "locale": locale[:16],
        "article": articles[0][:512] if articles else None,
        "articles": "\n".join(a[:512] for a in articles[:20]),
        "query": query.replace("\x00", "")[:500],
        "session_id": session_id[:64] if session_id and visitor.tracked else None,
        "request_type": request_type[:64],
        "segment": visitor.segment,
    }
    try:
        get_analytics().recorder.event(row)
    except Exception:
        log.warning("could not record a %s event", kind, exc_info=True)


def record_view(key: str) -> None:
    """Count a page view of an article (buffered; never raises)."""
    try:
        get_analytics().recorder.view(utcnow().date(), key)
    except Exception:
        log.warning("could not count a view", exc_info=True)


def record_vote(vote: feedback.VoteIn) -> int:
    """Store a vote before the response returns; returns its id (raises on database errors)."""
    visitor = sessions.current_session()
    vote_id = feedback.record_vote(get_analytics().sessions, visitor, vote, utcnow())
    sessions.touch()
    return vote_id


def record_copy(
    kind: str, article: str, section: str | None, user_id: int | None, how: str | None = None
) -> None:
    """Store an agent's copy of a link or template before the response returns."""
    feedback.record_copy(get_analytics().sessions, kind, article, section, user_id, utcnow(), how)


def popular_articles(
    locale: str, limit: int = 5, days: int = 30, keep: Callable[[str], bool] | None = None
) -> list[str]:
    """Most viewed article keys of `locale` (see Popularity.articles)."""
    return get_analytics().popularity.articles(locale, limit=limit, days=days, keep=keep)
