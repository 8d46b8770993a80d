"""Analytics tests: a migrated database (SQLite and PostgreSQL) and a recorder on it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from kbportal.analytics.recorder import Recorder
from kbportal.db import make_engine, upgrade


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
def recorder(sessions: sessionmaker[Session]) -> Iterator[Recorder]:
    # A long interval: tests decide when buffered rows are flushed.
    rec = Recorder(sessions, flush_interval=60)
    yield rec
    rec.close()
