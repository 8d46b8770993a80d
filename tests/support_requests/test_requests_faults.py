"""Faults for real: a relay killed with kill -9 mid-delivery, two relay processes on one
PostgreSQL, the database dropping every connection. Each ends with every request delivered
exactly once at the receiver and nothing lost."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, select, text
from standins import SECRET, WebhookReceiver, smtp_server

from kbportal.db import Database
from kbportal.support.channels.webhook import WebhookChannel
from kbportal.support.models import OutboxMessage, SupportRequest
from kbportal.support.relay import Relay

RUN_CLI = "from kbportal.cli import main; main()"


@contextmanager
def relay_process(
    db_url: str, tmp_path: Path, webhook: str = "", lease: int = 2, **settings: str
) -> Iterator[subprocess.Popen[bytes]]:
    """`kbportal deliver --watch` as its own process (the way production runs it).

    `settings` are more KBPORTAL_ settings, e.g. SMTP_URL for the e-mail destination.
    """
    env = {
        **os.environ,
        "KBPORTAL_DATABASE_URL": db_url,
        "KBPORTAL_DATA_DIR": str(tmp_path / "data"),
        "KBPORTAL_ARTICLES_DIR": str(tmp_path / "articles"),
        "KBPORTAL_SECRET_KEY": "test",
        "KBPORTAL_REQUESTS_LEASE_SECONDS": str(lease),
        "KBPORTAL_REQUESTS_DELIVERY_TIMEOUT": "5",
        **{f"KBPORTAL_{name}": value for name, value in settings.items()},
    }
    if webhook:
        env["KBPORTAL_REQUESTS_WEBHOOK_URL"] = webhook
        env["KBPORTAL_REQUESTS_WEBHOOK_SECRET"] = SECRET
    process = subprocess.Popen(
        [sys.executable, "-c", RUN_CLI, "deliver", "--watch", "--interval", "0.1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process.stderr is not None:
            process.stderr.close()


def states(database: Database) -> list[str]:
    with database.session() as session:
        return list(session.scalars(select(OutboxMessage.state).order_by(OutboxMessage.id)))


def wait_until(check: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def references(requests: list[SupportRequest]) -> list[str]:
    return sorted(f"{r.reference}.created" for r in requests)


def test_relay_killed_between_claim_and_ack(
    database: Database,
    db_url: str,
    tmp_path: Path,
    receiver: WebhookReceiver,
    file_request: Callable[..., SupportRequest],
) -> None:
    filed = [file_request() for _ in range(3)]
    receiver.holding = True  # the first delivery hangs: the relay is mid-flight
    with relay_process(db_url, tmp_path, receiver.url) as process:
        assert receiver.arrived.wait(30)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    receiver.holding = False
    receiver.hold.set()  # the consumer finishes the call nobody is waiting for any more
    assert states(database) == ["pending"] * 3  # claimed, never acknowledged: not lost
    with relay_process(db_url, tmp_path, receiver.url):
        wait_until(lambda: states(database) == ["delivered"] * 3)
    assert sorted(receiver.processed) == references(filed)
    counts = receiver.transport_counts()
    # Those in flight at the kill (the relay delivers a few at once) were sent again, with the
    # same webhook-id; the consumer processed each request once.
    assert max(counts.values()) == 2 and min(counts.values()) >= 1
    assert 4 <= sum(counts.values()) <= 6


@pytest.fixture
def postgres_only(db_url: str) -> str:
    if not db_url.startswith("postgresql"):
        pytest.skip("several relay processes and connection drops: PostgreSQL")
    return db_url


def test_two_relays_on_postgresql_never_deliver_twice(
    database: Database,
    postgres_only: str,
    tmp_path: Path,
    receiver: WebhookReceiver,
    file_request: Callable[..., SupportRequest],
) -> None:
    both = ("webhook", "email")
    filed = [file_request(destinations=both) for _ in range(40)]
    with smtp_server() as (mailbox, smtp):
        mail = {"SMTP_URL": smtp, "REQUESTS_EMAIL_TO": "support@example.com"}
        with (
            relay_process(postgres_only, tmp_path, receiver.url, lease=30, **mail),
            relay_process(postgres_only, tmp_path, receiver.url, lease=30, **mail),
        ):
            late = [file_request(destinations=both) for _ in range(20)]  # while both run
            wait_until(lambda: states(database) == ["delivered"] * 120)
    assert sorted(receiver.processed) == references(filed + late)
    assert set(receiver.transport_counts().values()) == {1}  # not even a duplicate on the wire
    assert sorted(mailbox.by_message_id()) == sorted(
        f"<{r.reference}.created@example.com>" for r in filed + late
    )
    assert set(mailbox.transport_counts().values()) == {1}


def test_database_dropping_connections_loses_nothing(
    database: Database,
    postgres_only: str,
    receiver: WebhookReceiver,
    file_request: Callable[..., SupportRequest],
) -> None:
    name = "kbp_relay_" + secrets.token_hex(4)
    url = make_url(postgres_only).update_query_dict({"application_name": name})
    relay_db = Database(url.render_as_string(hide_password=False))
    channels = {"webhook": WebhookChannel(receiver.url, SECRET)}
    relay = Relay(relay_db.session, channels, lease_seconds=2)
    stop = threading.Event()
    thread = threading.Thread(target=relay.run, args=(stop, 0.05), daemon=True)
    admin = create_engine(postgres_only, isolation_level="AUTOCOMMIT")
    filed: list[SupportRequest] = []
    try:
        thread.start()
        for _ in range(6):
            filed.extend(file_request() for _ in range(5))
            with admin.connect() as connection:  # what a database restart does to clients
                connection.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                        " WHERE application_name = :name"
                    ),
                    {"name": name},
                )
            time.sleep(0.2)
        wait_until(lambda: states(database) == ["delivered"] * 30)
    finally:
        stop.set()
        relay.wake.set()
        thread.join(timeout=30)
        admin.dispose()
        relay_db.dispose()
    assert sorted(receiver.processed) == references(filed)
