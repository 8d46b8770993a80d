"""Analytics events on a real database: buffered views, synchronous link copies, rankings."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from kbportal.db import make_engine, upgrade, utcnow
from kbportal.events import Event, EventLog, ViewCount


@pytest.fixture
def db_url(db_url: str) -> str:
    """The shared empty database (tests/conftest.py), migrated."""
    engine = make_engine(db_url)
    upgrade(engine)
    engine.dispose()
    return db_url


@pytest.fixture
def sessions(db_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(db_url)
    yield sessionmaker(engine)
    engine.dispose()


@pytest.fixture
def events(sessions: sessionmaker[Session]) -> Iterator[EventLog]:
    # A long interval: tests decide when buffered events are flushed.
    event_log = EventLog(sessions, flush_interval=60)
    yield event_log
    event_log.close()


def count(sessions: sessionmaker[Session], kind: str) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).where(Event.kind == kind)) or 0


def views(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return session.scalar(select(func.sum(ViewCount.views))) or 0


def test_views_are_buffered_then_counted_per_day(events: EventLog, sessions) -> None:
    for _ in range(3):
        events.record("view", article="en/billing/refunds")
    events.record("view", article="en/start/welcome")
    assert views(sessions) == 0  # still in memory
    assert events.flush() == 4
    assert views(sessions) == 4
    events.record("view", article="en/billing/refunds")
    events.flush()
    with sessions() as session:
        rows = {row.article: row.views for row in session.scalars(select(ViewCount))}
    assert rows == {"en/billing/refunds": 4, "en/start/welcome": 1}


def test_link_copies_are_written_before_record_returns(events: EventLog, sessions) -> None:
    events.record("copy_link", article="en/billing/refunds", section="refund-timing", user_id=None,
                  data={"format": "markdown"})  # fmt: skip
    with sessions() as session:
        event = session.scalar(select(Event))
    assert event is not None
    assert (event.kind, event.locale, event.article, event.section) == (
        "copy_link", "en", "en/billing/refunds", "refund-timing"
    )  # fmt: skip
    assert event.data == '{"format": "markdown"}'
    assert event.at is not None and abs(utcnow() - event.at) < timedelta(minutes=1)


def test_searches_and_clicks_keep_their_fields(events: EventLog, sessions) -> None:
    events.record("search", query="как вернуть деньги", data={"total": 0, "locale": "ru"})
    events.record("click", article="ru/billing/refunds", query="возврат")
    assert events.flush() == 2
    with sessions() as session:
        search = session.scalar(select(Event).where(Event.kind == "search"))
    assert search is not None and search.query == "как вернуть деньги"


def test_bad_events_are_refused(events: EventLog) -> None:
    with pytest.raises(ValueError, match="unknown event kind"):
        events.record("pageview", article="en/x")
    with pytest.raises(ValueError, match="needs an article"):
        events.record("view")
    with pytest.raises(TypeError):
        events.record("copy_link", article="en/x", data={"bad": object()})


def test_popular_articles_by_locale_window_and_filter(events: EventLog, sessions) -> None:
    for key, n in [("en/a", 5), ("en/b", 3), ("en/c", 1), ("ru/a", 9), ("en/secret", 7)]:
        for _ in range(n):
            events.record("view", article=key)
    events.flush()
    with sessions() as session, session.begin():  # views from long ago do not count
        old = utcnow().date() - timedelta(days=40)
        session.add(ViewCount(day=old, article="en/c", locale="en", views=100))
    assert events.popular_articles("en", limit=3) == ["en/secret", "en/a", "en/b"]
    events.forget_cache()
    keep = lambda key: key != "en/secret"  # noqa: E731  (a viewer's check)
    assert events.popular_articles("en", limit=2, keep=keep) == ["en/a", "en/b"]
    assert events.popular_articles("ru") == ["ru/a"]
    assert events.popular_articles("en", days=60)[0] == "en/c"
    assert events.popular_articles("de") == []


def test_the_buffer_is_bounded(sessions) -> None:
    event_log = EventLog(sessions, flush_interval=60, batch_size=10, max_buffer=20)
    for _ in range(25):
        event_log.record("view", article="en/a")
    assert event_log.dropped == 10
    event_log.close()
    assert views(sessions) == 15


def test_the_flusher_writes_in_the_background(sessions) -> None:
    event_log = EventLog(sessions, flush_interval=0.05)
    event_log.record("view", article="en/a")
    deadline = time.monotonic() + 10
    while views(sessions) == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert views(sessions) == 1
    event_log.close()


WORKER = """
import sys
from sqlalchemy.orm import sessionmaker
from kbportal.db import make_engine
from kbportal.events import EventLog
events = EventLog(sessionmaker(make_engine(sys.argv[1])), flush_interval=0.2, batch_size=50)
for i in range(int(sys.argv[2])):
    events.record("view", article="en/a")
    if i % 10 == 0:
        events.record("copy_link", article="en/a", user_id=None)
# no explicit flush: what is still buffered must be written at exit
"""


def test_no_event_is_lost_across_processes(db_url: str, sessions) -> None:
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, db_url, "300"]) for _ in range(3)]
    assert [proc.wait(timeout=120) for proc in procs] == [0, 0, 0]
    assert views(sessions) == 900
    assert count(sessions, "copy_link") == 90


def test_hostile_text_is_stored_not_fatal(events: EventLog, sessions) -> None:
    events.record("search", query="refund\x00" + "x" * 1000, data={"q": "\x00"})
    events.record("view", article="en/a\x00b")
    assert events.flush() == 2
    with sessions() as session:
        search = session.scalar(select(Event))
    assert search is not None and search.query is not None
    assert search.query.startswith("refund\ufffd") and len(search.query) == 500


def test_an_unstorable_event_does_not_block_the_rest(events: EventLog, sessions) -> None:
    events.record("view", article="en/a")
    events._buffer.append({"kind": "search", "at": "not a time", "query": "x"})
    events.record("view", article="en/b")
    assert events.flush() == 2
    assert views(sessions) == 2
    assert events.flush() == 0  # the bad one is gone, not retried for ever
