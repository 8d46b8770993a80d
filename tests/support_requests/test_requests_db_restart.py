"""The database going away for real while requests are filed and relayed: a PostgreSQL server
of our own stopped and started (a clean stop and a crash), and a SQLite file locked by another
process. Every request a customer was told about is stored once and delivered exactly once,
to a webhook consumer and to an SMTP server (aiosmtpd, counted by Message-ID);
a submit that failed is retried with the same form key and makes no second request."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from requests_sample import GOOD, TYPES
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from standins import SECRET, SmtpHandler, WebhookReceiver, free_port, smtp_server

from kbportal.db import Database
from kbportal.support import services
from kbportal.support.channels import Channel
from kbportal.support.channels.smtp import SmtpChannel, SmtpSettings
from kbportal.support.channels.webhook import WebhookChannel
from kbportal.support.models import OutboxMessage, SupportRequest
from kbportal.support.relay import Relay

MAX_REQUESTS = 400  # the filer's bound: the test stops by itself whatever happens
DESTINATIONS = ["webhook", "email"]
BATCH = 20  # the relay's claim size (Relay's default)


class OwnPostgres:
    """A throwaway PostgreSQL cluster on a loopback port (Debian's binaries), ours to restart."""

    def __init__(self) -> None:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not found:
            pytest.skip("Debian's postgresql is not installed (scripts/test-postgres.sh does it)")
        self.bin = Path(found[-1]).parent
        self.root = Path(tempfile.mkdtemp(prefix="kbportal-restart-"))
        self.port = free_port()
        self.run_as: list[str] = []
        if os.getuid() == 0:  # PostgreSQL refuses to run as root
            self.run_as = ["runuser", "-u", "postgres", "--"]
            shutil.chown(self.root, "postgres")
        self._pg(
            "initdb", "-D", str(self.root / "data"), "-U", "postgres", "-E", "UTF8",
            "--locale=C.UTF-8", "--auth-host=trust", "--auth-local=trust", "--no-sync",
        )  # fmt: skip

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _pg(self, tool: str, *args: str) -> None:
        subprocess.run(
            [*self.run_as, str(self.bin / tool), *args],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=60,
        )

    def start(self) -> None:
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} -c fsync=off"
        data, log = str(self.root / "data"), str(self.root / "server.log")
        self._pg("pg_ctl", "-D", data, "-l", log, "-w", "-t", "30", "-o", options, "start")

    def stop(self, mode: str = "fast") -> None:
        """`fast` is a clean restart; `immediate` is a crash (recovery runs on the next start)."""
        self._pg("pg_ctl", "-D", str(self.root / "data"), "-m", mode, "-w", "stop")

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture
def own_postgres() -> Iterator[OwnPostgres]:
    server = OwnPostgres()
    try:
        server.start()
        yield server
    finally:
        server.remove()


@pytest.fixture
def mailbox() -> Iterator[tuple[SmtpHandler, str]]:
    """The support mailbox: a real SMTP server."""
    with smtp_server() as (handler, url):
        yield handler, url


FROM = "help@orbita.example"


class Filer(threading.Thread):
    """A stream of customers submitting; a failed submit is retried with the same key."""

    def __init__(self, database: Database) -> None:
        super().__init__(daemon=True)
        self.database = database
        self.stop = threading.Event()
        self.keys: list[str] = []  # confirmed: the customer saw a reference number
        self.failures = 0  # submits that failed (the customer saw an error and retried)

    def run(self) -> None:
        for n in range(MAX_REQUESTS):
            if self.stop.is_set():
                return
            key = f"restart-{n}"
            while True:
                try:
                    with self.database.session() as session:
                        sub = services.Submission("question", "en", dict(GOOD), key)
                        services.submit(
                            session, TYPES, sub, destinations=DESTINATIONS, rate_limit=10**6
                        )
                    break
                except SQLAlchemyError:
                    self.failures += 1
                    time.sleep(0.05)
                    if self.failures > 10_000:
                        return
            self.keys.append(key)
            time.sleep(0.01)


def run_through(
    database: Database, receiver: WebhookReceiver, smtp: str, outages: list[Callable[[], None]]
) -> Filer:
    """File and relay while each outage happens in turn; returns the filer when all is done."""
    channels: dict[str, Channel] = {
        "webhook": WebhookChannel(receiver.url, SECRET, 5.0),
        "email": SmtpChannel(SmtpSettings.from_url(smtp), "support@example.com", FROM, 5.0),
    }
    relay = Relay(database.session, channels, lease_seconds=2)
    stop = threading.Event()
    relaying = threading.Thread(target=relay.run, args=(stop, 0.05), daemon=True)
    filer = Filer(database)
    relaying.start()
    filer.start()
    try:
        for outage in outages:
            before = len(filer.keys)
            wait_for(lambda: len(filer.keys) >= before + 10)  # noqa: B023 (called right here)
            outage()
        count = len(filer.keys)
        wait_for(lambda: len(filer.keys) >= count + 10)  # customers get through again
        filer.stop.set()
        filer.join(timeout=60)

        def all_delivered() -> bool:
            with database.session() as session:
                states = session.scalars(select(OutboxMessage.state)).all()
            expected = len(filer.keys) * len(DESTINATIONS)
            return len(states) == expected and set(states) == {"delivered"}

        wait_for(all_delivered, 120)
    finally:
        filer.stop.set()
        stop.set()
        relay.wake.set()
        relaying.join(timeout=30)
    return filer


def wait_for(check: Callable[[], bool], timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if check():
                return
        except SQLAlchemyError:
            pass  # the database is still coming back
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def check_exactly_once(
    database: Database,
    receiver: WebhookReceiver,
    mailbox: SmtpHandler,
    filer: Filer,
    outages: int,
) -> None:
    with database.session() as session:
        stored = session.scalars(select(SupportRequest).order_by(SupportRequest.id)).all()
        outbox = session.scalar(select(func.count()).select_from(OutboxMessage))
    assert sorted(r.idempotency_key for r in stored) == sorted(filer.keys)  # one per key
    assert outbox == len(stored) * len(DESTINATIONS)
    assert sorted(receiver.processed) == sorted(f"{r.reference}.created" for r in stored)
    message_ids = sorted(f"<{r.reference}.created@orbita.example>" for r in stored)
    assert sorted(mailbox.by_message_id()) == message_ids
    # On the wire, only what was in flight when the database went away is sent again (same
    # webhook-id, same Message-ID): at most one claimed batch per outage.
    again = sum(n - 1 for n in receiver.transport_counts().values()) + sum(
        n - 1 for n in mailbox.transport_counts().values()
    )
    assert again <= BATCH * outages


def test_postgresql_restarted_and_crashed_while_filing_and_relaying(
    own_postgres: OwnPostgres, receiver: WebhookReceiver, mailbox: tuple[SmtpHandler, str]
) -> None:
    database = Database(own_postgres.url, timeout=2.0)
    database.ensure_ready()

    def restart(mode: str) -> Callable[[], None]:
        def outage() -> None:
            own_postgres.stop(mode)
            time.sleep(1.0)  # down for a while: submits and the relay fail meanwhile
            own_postgres.start()

        return outage

    try:
        outages = [restart("fast"), restart("immediate")]
        filer = run_through(database, receiver, mailbox[1], outages)
        check_exactly_once(database, receiver, mailbox[0], filer, len(outages))
        assert filer.failures > 0  # the outages were felt, not slept through
    finally:
        database.dispose()


def test_sqlite_file_locked_by_another_process_and_back(
    tmp_path: Path, receiver: WebhookReceiver, mailbox: tuple[SmtpHandler, str]
) -> None:
    path = tmp_path / "kbportal.db"
    database = Database(f"sqlite:///{path}", timeout=0.3)
    database.ensure_ready()

    def lock() -> None:
        script = (
            "import sqlite3, sys, time\n"
            "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
            "c.execute('BEGIN EXCLUSIVE'); print('locked', flush=True)\n"
            "time.sleep(2); c.execute('COMMIT')"
        )  # another process holds the file's write lock for 2 s
        with subprocess.Popen(
            [sys.executable, "-c", script, str(path)], stdout=subprocess.PIPE
        ) as holder:
            assert holder.stdout is not None and holder.stdout.readline() == b"locked\n"
            assert holder.wait(timeout=30) == 0

    try:
        filer = run_through(database, receiver, mailbox[1], [lock, lock])
        check_exactly_once(database, receiver, mailbox[0], filer, 2)
        assert filer.failures > 0
    finally:
        database.dispose()
    with sqlite3.connect(path) as check:  # the file itself is sound after it all
        assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)
