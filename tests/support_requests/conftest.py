"""Fixtures for support requests: a real database per backend, request types, stand-ins."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from requests_sample import GOOD, TYPES
from standins import FakeHelpdesk, WebhookReceiver, running

from kbportal.db import Database
from kbportal.support import services
from kbportal.support.models import SupportRequest


@pytest.fixture
def database(db_url: str) -> Iterator[Database]:
    """A migrated database (SQLite, and PostgreSQL when configured)."""
    database = Database(db_url)
    database.ensure_ready()
    yield database
    database.dispose()


@pytest.fixture
def file_request(database: Database) -> Callable[..., SupportRequest]:
    """File a request through the real service; keyword arguments override the form values."""
    counter = iter(range(1, 100_000))

    def make(destinations: tuple[str, ...] = ("webhook",), **values: str) -> SupportRequest:
        key = values.pop("key", f"key-{next(counter)}")
        kind = values.pop("type", "question")
        sub = services.Submission(
            type=kind, locale="en", values={**GOOD, **values}, idempotency_key=key
        )
        with database.session() as session:
            return services.submit(
                session, TYPES, sub, destinations=destinations, rate_limit=1000
            ).request

    return make


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    """A local webhook consumer that verifies signatures."""
    server = WebhookReceiver()
    with running(server):
        yield server


@pytest.fixture
def helpdesk() -> Iterator[FakeHelpdesk]:
    """A local Zendesk + Freshdesk stand-in."""
    server = FakeHelpdesk()
    with running(server):
        yield server
