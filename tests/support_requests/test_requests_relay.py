"""The relay against real local stand-ins: signed webhooks, SMTP, and every fault answer."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from standins import SECRET, Fault, WebhookReceiver, smtp_server

from kbportal.db import Database, utcnow
from kbportal.support import relay as relay_module
from kbportal.support import services
from kbportal.support.channels.smtp import SmtpChannel, SmtpSettings
from kbportal.support.channels.webhook import WebhookChannel
from kbportal.support.models import Destination, OutboxMessage, SupportRequest
from kbportal.support.relay import MAX_ATTEMPTS, Relay, retry_now


def webhook_relay(database: Database, url: str, timeout: float = 5.0) -> Relay:
    # One at a time: these tests script the receiver's answers in order.
    channels = {"webhook": WebhookChannel(url, SECRET, timeout)}
    return Relay(database.session, channels, concurrency=1)


def rows(database: Database) -> list[OutboxMessage]:
    with database.session() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def make_due(database: Database) -> None:
    """Skip the backoff wait (the schedule itself is tested on its own)."""
    with database.session() as session, session.begin():
        session.execute(update(OutboxMessage).values(next_attempt_at=utcnow()))


def test_webhook_is_signed_and_carries_the_documented_body(
    database: Database, receiver: WebhookReceiver, file_request: Callable[..., SupportRequest]
) -> None:
    request = file_request(area="billing")
    assert webhook_relay(database, receiver.url).drain() == 1
    (body,) = receiver.processed.values()
    for key in ("id", "type", "subject", "email", "locale", "fields", "created_at"):
        assert key in body
    assert body["id"] == request.reference
    assert body["event"] == "request.created"
    assert body["fields"] == {"area": "billing"}
    assert body["created_at"].endswith("Z")
    assert list(receiver.processed) == [f"{request.reference}.created"]
    (row,) = rows(database)
    assert row.state == "delivered" and row.attempts == 1 and row.lease_owner is None


def test_a_wrong_secret_is_refused_by_the_consumer(
    database: Database, receiver: WebhookReceiver, file_request: Callable[..., SupportRequest]
) -> None:
    file_request()
    bad = Relay(database.session, {"webhook": WebhookChannel(receiver.url, "whsec_d3Jvbmc=")})
    bad.drain()
    assert receiver.rejected == 1 and not receiver.processed
    assert rows(database)[0].state == "pending"


@pytest.mark.parametrize(
    "fault",
    [
        Fault(500),
        Fault(503, {"Retry-After": "120"}),
        Fault(429, {"Retry-After": "7"}),
        Fault(200, delay=3.0),  # answers too late: a timeout
    ],
    ids=["500", "503", "429", "timeout"],
)
def test_faults_are_retried_until_delivered_exactly_once(
    database: Database,
    receiver: WebhookReceiver,
    file_request: Callable[..., SupportRequest],
    fault: Fault,
) -> None:
    request = file_request()
    receiver.fail(fault)
    relay = webhook_relay(database, receiver.url, timeout=1.0)
    before = utcnow()
    assert relay.drain() == 1
    (row,) = rows(database)
    assert row.state == "pending" and row.attempts == 1
    wait = (row.next_attempt_at - before).total_seconds()
    if "Retry-After" in fault.headers:
        assert int(fault.headers["Retry-After"]) <= wait < int(fault.headers["Retry-After"]) + 5
    else:
        assert 0.8 * relay_module.FIRST_DELAY <= wait <= 1.2 * relay_module.FIRST_DELAY + 5
    assert relay.drain() == 0  # not due yet
    make_due(database)
    assert relay.drain() == 1
    assert rows(database)[0].state == "delivered"
    assert list(receiver.processed) == [f"{request.reference}.created"]


def test_destination_down_keeps_the_request(
    database: Database, file_request: Callable[..., SupportRequest]
) -> None:
    file_request()
    down = WebhookReceiver()  # never started: nothing listens on its port
    url = down.url
    down.httpd.server_close()
    relay = webhook_relay(database, url)
    relay.drain()
    (row,) = rows(database)
    assert row.state == "pending" and row.last_status == "unreachable"
    with WebhookReceiverRunning() as receiver:
        relay = webhook_relay(database, receiver.url)
        make_due(database)
        relay.drain()
        assert len(receiver.processed) == 1


class WebhookReceiverRunning:
    def __enter__(self) -> WebhookReceiver:
        self.server = WebhookReceiver()
        self.server.start()
        return self.server

    def __exit__(self, *exc: object) -> None:
        self.server.stop()


def test_410_disables_the_destination_until_staff_retry(
    database: Database, receiver: WebhookReceiver, file_request: Callable[..., SupportRequest]
) -> None:
    first, second = file_request(), file_request()
    receiver.fail(Fault(410))
    relay = webhook_relay(database, receiver.url)
    relay.drain()
    with database.session() as session:
        gone = session.get(Destination, "webhook")
        assert gone is not None and gone.disabled
    make_due(database)
    assert relay.drain() == 0  # nothing goes to a disabled destination
    assert all(r.state == "pending" for r in rows(database))  # and nothing is lost
    with database.session() as session:
        assert retry_now(session, rows(database)[0].id)
    relay.drain()
    assert sorted(receiver.processed) == sorted(f"{r.reference}.created" for r in (first, second))


def test_dead_letter_after_the_last_attempt_and_retry_now(
    database: Database, receiver: WebhookReceiver, file_request: Callable[..., SupportRequest]
) -> None:
    request = file_request()
    receiver.fail(*[Fault(500) for _ in range(MAX_ATTEMPTS)])
    relay = webhook_relay(database, receiver.url)
    for _ in range(MAX_ATTEMPTS):
        make_due(database)
        relay.drain()
    (row,) = rows(database)
    assert row.state == "dead" and row.attempts == MAX_ATTEMPTS
    make_due(database)
    assert relay.drain() == 0
    with database.session() as session:
        assert retry_now(session, row.id)
    relay.drain()
    assert rows(database)[0].state == "delivered"
    assert list(receiver.processed) == [f"{request.reference}.created"]


class NoJitter(random.Random):
    """A random source always at the middle of the jitter range (factor 1.0)."""

    def random(self) -> float:
        return 0.5


def test_backoff_spans_about_three_days_with_jitter() -> None:
    # docs/requests.md: 16 attempts over about 2.7 days (the waits between them, unjittered).
    waits = [relay_module.backoff(n, NoJitter()) for n in range(1, relay_module.MAX_ATTEMPTS)]
    assert len(waits) + 1 == 16 and waits[0] == relay_module.FIRST_DELAY
    assert timedelta(days=2.6) < timedelta(seconds=sum(waits)) < timedelta(days=2.8)
    delays = {round(relay_module.backoff(3)) for _ in range(50)}
    assert len(delays) > 10  # jittered
    assert all(0.8 * 120 <= d <= 1.2 * 120 + 1 for d in delays)


def test_smtp_delivery_headers_and_no_injection(
    database: Database, file_request: Callable[..., SupportRequest]
) -> None:
    request = file_request(
        destinations=("email",),
        subject="Help\r\nBcc: victim@example.com",
        name="Eve\nBcc: x@example.com",
    )
    with smtp_server() as (handler, url):
        channel = SmtpChannel(SmtpSettings.from_url(url), "support@example.com", "kb@example.com")
        relay = Relay(database.session, {"email": channel})
        relay.drain()
        with database.session() as session:
            assert services.close(session, request.reference)
        relay.drain()
    created, closed = handler.messages
    assert created["Message-ID"] == f"<{request.reference}.created@example.com>"
    assert created["To"] == "support@example.com"
    assert "ann@example.com" in created["Reply-To"].lower()
    assert created["Bcc"] is None and "\n" not in created["Subject"]
    assert created["Subject"] == f"[{request.reference}] Help Bcc: victim@example.com"
    assert closed["In-Reply-To"] == created["Message-ID"]
    assert [r.state for r in rows(database)] == ["delivered", "delivered"]


def test_smtp_refusal_is_retried(
    database: Database, file_request: Callable[..., SupportRequest]
) -> None:
    file_request(destinations=("email",))
    with smtp_server() as (handler, url):
        handler.refuse = 1
        channel = SmtpChannel(SmtpSettings.from_url(url), "support@example.com", "kb@example.com")
        relay = Relay(database.session, {"email": channel})
        relay.drain()
        assert rows(database)[0].last_status == "smtp 451"
        make_due(database)
        relay.drain()
    assert len(handler.by_message_id()) == len(handler.messages) == 1


def test_lease_keeps_a_second_relay_off_a_claimed_message(
    database: Database, receiver: WebhookReceiver, file_request: Callable[..., SupportRequest]
) -> None:
    file_request()
    one, two = webhook_relay(database, receiver.url), webhook_relay(database, receiver.url)
    claimed = one.claim()
    assert len(claimed) == 1 and two.claim() == []
    # The first relay "dies" holding it: once the lease runs out, the second takes over.
    later = utcnow() + one.lease + timedelta(seconds=1)
    taken = two.claim(now=later)
    assert [i for i, _ in taken] == [i for i, _ in claimed]
    two.deliver(*taken[0])
    one.deliver(*claimed[0])  # the old lease holder's late result changes nothing
    assert rows(database)[0].state == "delivered"
    assert (
        receiver.transport_counts()[rows(database)[0].request_id and next(iter(receiver.processed))]
        == 1
    )  # noqa: E501
    time.sleep(0)


def test_smtp_url_settings() -> None:
    from kbportal.config import ConfigError, load_config

    plain = SmtpSettings.from_url("smtp://mail.example.com")
    assert (plain.port, plain.tls, plain.starttls, plain.username) == (25, False, False, "")
    secure = SmtpSettings.from_url("smtps://us%40er:p%25ss@mail.example.com")
    assert (secure.port, secure.tls, secure.username, secure.password) == (
        465,
        True,
        "us@er",
        "p%ss",
    )
    assert SmtpSettings.from_url("smtp://h:587?starttls=1").starttls
    with pytest.raises(ConfigError, match="KBPORTAL_SMTP_URL"):
        load_config(environ={"KBPORTAL_SMTP_URL": "http://mail.example.com"})
    with pytest.raises(ConfigError, match="KBPORTAL_SMTP_URL"):
        load_config(environ={"KBPORTAL_SMTP_URL": "smtp://h:notaport"})
