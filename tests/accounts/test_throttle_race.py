"""The sign-in throttle holds under parallel attempts: check and count are one step."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from argon2 import PasswordHasher

from kbportal.accounts import services
from kbportal.accounts.models import LoginAttempt
from kbportal.db import Database


@pytest.fixture
def database(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    yield database
    database.dispose()


def test_forty_parallel_wrong_passwords_check_at_most_the_limit(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A hash that takes a little while, as a real one does: the window the race needs.
    monkeypatch.setattr(
        services, "_hasher", PasswordHasher(time_cost=2, memory_cost=8192, parallelism=1)
    )
    with database.session() as session:
        services.create_user(session, "agent@example.com", "correct horse battery", role="agent")

    def attempt(_n: int) -> int:
        with database.session() as session:
            result = services.authenticate(session, "agent@example.com", "wrong", "10.0.0.1")
            return result.retry_after

    with ThreadPoolExecutor(max_workers=16) as pool:
        waits = list(pool.map(attempt, range(40)))
    checked = sum(1 for wait in waits if wait == 0)
    assert checked == services.MAX_FAILURES_PER_ACCOUNT
    with database.session() as session:
        assert session.query(LoginAttempt).count() == services.MAX_FAILURES_PER_ACCOUNT
    with database.session() as session:  # and the right password is throttled as well now
        result = services.authenticate(
            session, "agent@example.com", "correct horse battery", "10.0.0.2"
        )
        assert result.user is None and result.retry_after > 0
