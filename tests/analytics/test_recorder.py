"""The recorder on a real database: buffered rows, upserts, bounded buffer, processes, bad rows."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from kbportal.analytics.models import AgentCopy, Click, SearchRow, ViewCount
from kbportal.analytics.popularity import Popularity
from kbportal.analytics.recorder import Recorder
from kbportal.db import utcnow

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def search(search_id: int, query: str = "refund", **fields: Any) -> dict[str, Any]:
    row = {
        "id": search_id,
        "at": NOW,
        "day": NOW.date(),
        "session_id": "s1",
        "user_id": None,
        "surface": "page",
        "locale": "en",
        "query": query,
        "normalized": query,
        "total": 3,
        "corrected": None,
        "shown": "en/billing/refunds",
        "filters": "",
        "segment": "customer",
        "page": 1,
    }
    return {**row, **fields}


def click(search_id: int | None, position: int = 1) -> dict[str, Any]:
    return {
        "search_id": search_id,
        "at": NOW,
        "day": NOW.date(),
        "article": "en/billing/refunds",
        "section": "",
        "position": position,
        "session_id": "s1",
        "segment": "customer",
    }


def views(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return session.scalar(select(func.sum(ViewCount.views))) or 0


def rows(sessions: sessionmaker[Session]) -> list[SearchRow]:
    with sessions() as session:
        return list(session.scalars(select(SearchRow).order_by(SearchRow.id)))


def test_views_are_buffered_then_counted_per_day(recorder: Recorder, sessions) -> None:
    for _ in range(3):
        recorder.view(NOW.date(), "en/billing/refunds")
    recorder.view(NOW.date(), "en/start/welcome")
    assert views(sessions) == 0  # still in memory
    assert recorder.flush() == 2  # two counters
    recorder.view(NOW.date(), "en/billing/refunds")
    recorder.flush()
    with sessions() as session:
        counted = {row.article: row.views for row in session.scalars(select(ViewCount))}
    assert counted == {"en/billing/refunds": 4, "en/start/welcome": 1}


def test_a_search_row_is_updated_in_place_by_later_keystrokes(recorder: Recorder, sessions) -> None:
    recorder.search(search(7, "ref", total=9))
    recorder.flush()
    recorder.search(search(7, "refund", total=3, page=2))
    recorder.search(search(7, "refunds", total=2, page=1))  # back to page 1: furthest stays 2
    recorder.flush()
    [row] = rows(sessions)
    assert (row.query, row.total, row.page) == ("refunds", 2, 2)


def test_clicks_count_on_their_search_whichever_arrives_first(recorder: Recorder, sessions) -> None:
    recorder.click(click(11, 2))  # another worker's click, flushed before the search
    recorder.flush()
    recorder.search(search(11))
    recorder.search(search(12))
    recorder.click(click(12, 1))
    recorder.click(click(12, 3))
    recorder.reformulated(12)
    recorder.flush()
    assert [(r.id, r.clicks, r.reformulated) for r in rows(sessions)] == [
        (11, 1, False),
        (12, 2, True),
    ]
    with sessions() as session:
        assert session.scalar(select(func.count(Click.id))) == 3


def test_copies_are_written_before_the_call_returns(sessions) -> None:
    from kbportal.analytics.feedback import record_copy

    record_copy(sessions, "link", "en/billing/refunds", "refund-timing", None, NOW, "markdown")
    with sessions() as session:
        copy = session.scalar(select(AgentCopy))
    assert copy is not None
    assert (copy.kind, copy.article, copy.section, copy.how) == (
        "link",
        "en/billing/refunds",
        "refund-timing",
        "markdown",
    )


def test_popular_articles_by_locale_window_and_filter(recorder: Recorder, sessions) -> None:
    today = utcnow().date()
    for key, n in [("en/a", 5), ("en/b", 3), ("en/c", 1), ("ru/a", 9), ("en/secret", 7)]:
        for _ in range(n):
            recorder.view(today, key)
    recorder.flush()
    with sessions() as session, session.begin():  # views from long ago do not count
        old = today - timedelta(days=40)
        session.add(ViewCount(day=old, article="en/c", locale="en", views=100))
    popular = Popularity(sessions)
    assert popular.articles("en", limit=3) == ["en/secret", "en/a", "en/b"]
    popular.forget()
    keep = lambda key: key != "en/secret"  # noqa: E731  (a viewer's check)
    assert popular.articles("en", limit=2, keep=keep) == ["en/a", "en/b"]
    assert popular.articles("ru") == ["ru/a"]
    assert popular.articles("en", days=60)[0] == "en/c"
    assert popular.articles("de") == []


def test_the_buffer_is_bounded_and_drops_are_counted(sessions) -> None:
    # A batch size above the bound: the flusher is not woken to empty the buffer meanwhile.
    rec = Recorder(sessions, flush_interval=60, batch_size=1000, max_buffer=20)
    for i in range(25):
        rec.click(click(None, i))
    assert rec.dropped == 5  # exactly what did not fit, counted
    rec.close()
    with sessions() as session:
        assert session.scalar(select(func.count(Click.id))) == 20


def test_the_flusher_writes_in_the_background(sessions) -> None:
    rec = Recorder(sessions, flush_interval=0.05)
    rec.view(NOW.date(), "en/a")
    deadline = time.monotonic() + 10
    while views(sessions) == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert views(sessions) == 1
    rec.close()


WORKER = """
import sys
from datetime import date
from sqlalchemy.orm import sessionmaker
from kbportal.db import make_engine
from kbportal.analytics.recorder import Recorder
rec = Recorder(sessionmaker(make_engine(sys.argv[1])), flush_interval=0.2, batch_size=50)
for i in range(int(sys.argv[2])):
    rec.view(date(2026, 11, 20), "en/a")
# no explicit flush: what is still buffered must be written at exit
"""


def test_nothing_buffered_is_lost_at_exit_across_processes(db_url: str, sessions) -> None:
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, db_url, "300"]) for _ in range(3)]
    assert [proc.wait(timeout=120) for proc in procs] == [0, 0, 0]
    assert views(sessions) == 900


def test_hostile_text_is_stored_not_fatal(recorder: Recorder, sessions) -> None:
    recorder.view(NOW.date(), "en/a\x00b")
    assert recorder.flush() == 1
    with sessions() as session:
        assert session.scalar(select(ViewCount.article)) == "en/a\ufffdb"


def test_an_unstorable_row_does_not_block_the_rest(recorder: Recorder, sessions) -> None:
    recorder.view(NOW.date(), "en/a")
    recorder.search(search(5, at="not a time"))
    recorder.view(NOW.date(), "en/b")
    assert recorder.flush() == 2
    assert views(sessions) == 2
    assert recorder.dropped == 1
    assert recorder.flush() == 0  # the bad one is gone, not retried for ever


def test_clicks_learn_their_search_query_whichever_is_stored_first(sessions) -> None:
    rec = Recorder(sessions, flush_interval=60)
    rec.click(click(7))  # the click reaches the database before its search (another worker)
    rec.flush()
    rec.search(search(7, query="refund policy"))
    rec.search(search(8, query="invoice"))
    rec.flush()
    rec.click(click(8))
    rec.flush()
    rec.close()
    with sessions() as session:
        found = dict(session.execute(select(Click.search_id, Click.normalized)).all())
        clicks = dict(session.execute(select(SearchRow.id, SearchRow.clicks)).all())
    assert found == {7: "refund policy", 8: "invoice"}
    assert clicks == {7: 1, 8: 1}
