"""Zendesk and Freshdesk against a local stand-in that behaves like them (idempotency, search)."""

from __future__ import annotations

from collections.abc import Callable

from requests_sample import GOOD, TYPES
from sqlalchemy import select, update
from standins import FakeHelpdesk, Fault
from support import PNG

from kbportal.db import Database, utcnow
from kbportal.support import services
from kbportal.support.channels.helpdesks import FreshdeskChannel, ZendeskChannel
from kbportal.support.models import OutboxMessage, SupportRequest
from kbportal.support.relay import Relay
from kbportal.support.validation import Upload


def make_due(database: Database) -> None:
    with database.session() as session, session.begin():
        session.execute(update(OutboxMessage).values(next_attempt_at=utcnow()))


def outbox(database: Database) -> list[OutboxMessage]:
    with database.session() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_zendesk_retries_carry_the_same_idempotency_key(
    database: Database, helpdesk: FakeHelpdesk, file_request: Callable[..., SupportRequest]
) -> None:
    request = file_request(destinations=("zendesk",))
    helpdesk.lose_answers = 1  # Zendesk made the request but the answer never came back
    relay = Relay(database.session, {"zendesk": ZendeskChannel(helpdesk.url, "a@b.c", "tok")})
    relay.drain()
    assert outbox(database)[0].state == "pending"
    make_due(database)
    relay.drain()
    assert len(helpdesk.zendesk) == 1  # the retry was recognised by its key: one ticket
    (ticket_id, ticket) = next(iter(helpdesk.zendesk.items()))
    assert outbox(database)[0].external_id == str(ticket_id)
    assert ticket["requester"]["email"] == "Ann@example.com"
    assert ticket["priority"] == "normal" and request.reference in ticket["comment"]["body"]
    keys = [c["headers"].get("Idempotency-Key") for c in helpdesk.raw]
    assert keys == [f"{request.reference}.created"] * 2
    with database.session() as session:
        services.close(session, request.reference)
    relay.drain()
    assert helpdesk.zendesk[ticket_id]["status"] == "solved"


def test_freshdesk_looks_up_before_retrying(
    database: Database, helpdesk: FakeHelpdesk, file_request: Callable[..., SupportRequest]
) -> None:
    request = file_request(destinations=("freshdesk",))
    helpdesk.lose_answers = 1
    relay = Relay(database.session, {"freshdesk": FreshdeskChannel(helpdesk.url, "key")})
    relay.drain()
    make_due(database)
    relay.drain()
    assert len(helpdesk.freshdesk) == 1  # found by its reference tag, not created twice
    assert any(c["path"] == "/api/v2/search/tickets" for c in helpdesk.raw)
    (ticket_id, ticket) = next(iter(helpdesk.freshdesk.items()))
    assert ticket["tags"] == ["kbportal", request.reference] and ticket["priority"] == 2
    assert outbox(database)[0].external_id == str(ticket_id)
    with database.session() as session:
        services.close(session, request.reference)
    relay.drain()
    assert helpdesk.freshdesk[ticket_id]["status"] == 4


def test_a_close_waits_for_its_request(
    database: Database, helpdesk: FakeHelpdesk, file_request: Callable[..., SupportRequest]
) -> None:
    request = file_request(destinations=("freshdesk",))
    with database.session() as session:
        services.close(session, request.reference)
    helpdesk.fail(Fault(500))  # the request itself fails first
    relay = Relay(database.session, {"freshdesk": FreshdeskChannel(helpdesk.url, "key")})
    relay.drain()
    created, closed = outbox(database)
    assert created.state == "pending" and closed.state == "pending"
    assert closed.last_status == "waiting" and closed.attempts == 0
    make_due(database)
    relay.drain()
    make_due(database)
    relay.drain()
    assert [m.state for m in outbox(database)] == ["delivered", "delivered"]
    assert list(helpdesk.freshdesk.values())[0]["status"] == 4


def file_with_screenshot(database: Database, key: str = "with-file") -> SupportRequest:
    sub = services.Submission(
        type="problem",
        locale="en",
        values={**GOOD, "blocks_work": "", "since": "Monday"},
        idempotency_key=key,
        uploads=[Upload("screenshot", "screen.png", PNG)],
    )
    with database.session() as session:
        return services.submit(session, TYPES, sub, destinations=["zendesk"]).request


def test_zendesk_gets_the_files_once_through_lost_answers_and_failed_uploads(
    database: Database, helpdesk: FakeHelpdesk
) -> None:
    """The request (same payload, same key on every try), then the uploads and one comment."""
    request = file_with_screenshot(database)
    relay = Relay(database.session, {"zendesk": ZendeskChannel(helpdesk.url, "a@b.c", "tok")})
    uploads = "/api/v2/uploads.json"
    helpdesk.lose_answers = 1  # 1: the request is made, its answer lost
    relay.drain()
    helpdesk.fail_uploads = 1  # 2: the request is replayed by its key; the upload fails
    make_due(database)
    relay.drain()
    helpdesk.lose_put_answers = 1  # 3: the comment with the file is added, its answer lost
    make_due(database)
    relay.drain()
    make_due(database)  # 4: the comment is found: nothing is added twice
    relay.drain()
    (message,) = outbox(database)
    assert message.state == "delivered" and message.attempts == 4
    (ticket_id, ticket) = next(iter(helpdesk.zendesk.items()))
    assert len(helpdesk.zendesk) == 1 and message.external_id == str(ticket_id)
    first, files = ticket["comments"]
    assert "screen.png" in first["body"]  # named in the request too
    assert f"Attachments of {request.reference}" in files["body"]
    assert files["attachments"] == [
        {"filename": "screen.png", "content_type": "image/png", "data": PNG}
    ]
    posted = [c for c in helpdesk.raw if c["path"] == uploads]
    assert len(posted) == 2  # the failed one and the one used; nothing more


def test_freshdesk_gets_the_files_with_the_ticket_once(
    database: Database, helpdesk: FakeHelpdesk
) -> None:
    sub = services.Submission(
        type="problem",
        locale="en",
        values={**GOOD, "blocks_work": "", "since": "Monday"},
        idempotency_key="fd-file",
        uploads=[Upload("screenshot", "screen.png", PNG)],
    )
    with database.session() as session:
        request = services.submit(session, TYPES, sub, destinations=["freshdesk"]).request
    helpdesk.lose_answers = 1  # made, answer lost: the retry finds it by its tag
    relay = Relay(database.session, {"freshdesk": FreshdeskChannel(helpdesk.url, "key")})
    relay.drain()
    make_due(database)
    relay.drain()
    assert outbox(database)[0].state == "delivered"
    (ticket,) = helpdesk.freshdesk.values()
    assert ticket["tags"] == ["kbportal", request.reference] and ticket["priority"] == 3
    assert ticket["attachments"] == [
        {"filename": "screen.png", "content_type": "image/png", "data": PNG}
    ]
