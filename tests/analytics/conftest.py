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


@pytest.fixture
def portal(db_url: str, tmp_path):  # type: ignore[no-untyped-def]
    """The real app on the test database over the analytics sample, CSRF on as in production."""
    from analytics_sample import ARTICLES
    from support import close_app, make_app

    app = make_app(tmp_path, ARTICLES, DATABASE_URL=db_url, ANALYTICS_RETENTION_DAYS=30)
    yield app
    close_app(app)


@pytest.fixture
def editor(portal):  # type: ignore[no-untyped-def]
    """A signed-in editor's client and an editor's API token on the portal."""
    from support import TEST_PASSWORD, cheap_password_hashing, sign_in

    from kbportal.accounts import services
    from kbportal.accounts.tokens import create_token
    from kbportal.db import get_database

    with cheap_password_hashing():
        with get_database(portal).session() as session:
            services.create_user(session, "editor@example.com", TEST_PASSWORD, role="editor")
            services.create_user(session, "agent@example.com", TEST_PASSWORD, role="agent")
            _token, raw = create_token(session, "editor@example.com", "insights")
            _agent_token, agent_raw = create_token(session, "agent@example.com", "agent")
            session.commit()
        client = portal.test_client()
        sign_in(client, "editor@example.com", TEST_PASSWORD)
    client.token = raw  # type: ignore[attr-defined]
    client.agent_token = agent_raw  # type: ignore[attr-defined]
    return client
