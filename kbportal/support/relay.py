"""The relay: claims outbox rows with a lease, delivers them, and records what happened.

Several relays (threads in web workers, `kbportal deliver` processes, other nodes) share one
database: a claim is one UPDATE that takes rows no live lease holds (on PostgreSQL its sub-select
is `FOR UPDATE SKIP LOCKED`, so relays never wait on each other), and every later write names
the claim's token, so a relay whose lease ran out cannot overwrite another's result.
Delivery is at least once; each destination gets a stable idempotency key, which is what makes
it exactly once at the receiver.
"""

from __future__ import annotations

import json
import logging
import os
import random
import secrets
import socket
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from kbportal.db import utcnow
from kbportal.support.channels import Channel, Delivery, DeliveryError, RequestDoc
from kbportal.support.channels.base import FileDoc
from kbportal.support.models import (
    CLOSED,
    CREATED,
    DEAD,
    DELIVERED,
    PENDING,
    Destination,
    OutboxMessage,
    SupportRequest,
)

log = logging.getLogger(__name__)

FIRST_DELAY = 30.0  # seconds before the second attempt
MAX_DELAY = 12 * 3600.0
# 16 attempts: 30 s doubling to 12 h, then 12 h steps: about three days from first to last.
MAX_ATTEMPTS = 16
WAITING_DELAY = 15.0  # a close waits this long for its request to reach the destination
WAITING = {"waiting": True}


def backoff(attempts: int, rng: random.Random | None = None) -> float:
    """Seconds before the next try after `attempts` failures: doubling, capped, +-20% jitter."""
    base = min(FIRST_DELAY * 2 ** max(attempts - 1, 0), MAX_DELAY)
    return base * (0.8 + 0.4 * (rng or random).random())


def relay_name() -> str:
    """This process's name in leases: host and pid, for people reading the outbox."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}"


def snapshot(message: OutboxMessage, request: SupportRequest) -> Delivery:
    """A delivery with plain values, read inside the session, used after it closes."""
    doc = RequestDoc(
        id=request.id,
        reference=request.reference,
        type=request.type,
        type_label=request.type,
        priority=request.priority,
        locale=request.locale,
        subject=request.subject,
        description=request.description,
        email=request.email,
        name=request.name,
        fields=json.loads(request.fields or "{}"),
        created_at=request.created_at,
        closed_at=request.closed_at,
        surface=request.surface,
        source_article=request.source_article,
        source_query=request.source_query,
        site_url=request.site_url,
        attachments=tuple(
            FileDoc(a.filename, a.content_type, a.data, a.sha256) for a in request.attachments
        ),
    )
    external = None
    if message.event == CLOSED:
        created = next(
            (
                m
                for m in request.outbox
                if m.event == CREATED and m.destination == message.destination
            ),
            None,
        )
        external = created.external_id if created and created.state == DELIVERED else None
        if created is not None and created.state != DELIVERED:
            # Never tell a destination "closed" before it has heard of the request.
            return Delivery(message.id, message.event, message.attempts + 1, doc, None, WAITING)
    return Delivery(message.id, message.event, message.attempts + 1, doc, external)


class Relay:
    """Delivers due outbox messages to their channels; run it once, or until told to stop."""

    def __init__(
        self,
        sessions: Callable[[], Session],
        channels: dict[str, Channel],
        *,
        lease_seconds: float = 120.0,
        batch: int = 20,
        name: str | None = None,
        rng: random.Random | None = None,
        concurrency: int = 4,
    ) -> None:
        self.sessions = sessions
        self.channels = channels
        self.lease = timedelta(seconds=lease_seconds)
        self.batch = batch
        self.name = name or relay_name()
        self.rng = rng or random.Random()
        self.concurrency = concurrency
        self.wake = threading.Event()  # set by a submit in this process: deliver now

    def claim(self, now: datetime | None = None) -> list[tuple[int, str]]:
        """Lease up to `batch` due messages; returns (id, lease token) pairs."""
        if not self.channels:
            return []
        now = now or utcnow()
        token = f"{self.name}:{secrets.token_hex(4)}"[:64]
        disabled = select(Destination.name).where(Destination.disabled.is_(True))
        due = (
            select(OutboxMessage.id)
            .where(
                OutboxMessage.state == PENDING,
                OutboxMessage.next_attempt_at <= now,
                or_(OutboxMessage.lease_until.is_(None), OutboxMessage.lease_until < now),
                OutboxMessage.destination.in_(sorted(self.channels)),
                OutboxMessage.destination.not_in(disabled),
            )
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(self.batch)
            .with_for_update(skip_locked=True)  # PostgreSQL; SQLite serialises writers anyway
        )
        with self.sessions() as session, session.begin():
            # One statement: on SQLite a read-then-write transaction could fail to upgrade.
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(due.scalar_subquery()))
                .values(lease_owner=token, lease_until=now + self.lease),
                execution_options={"synchronize_session": False},
            )
            ids = session.scalars(
                select(OutboxMessage.id).where(OutboxMessage.lease_owner == token)
            ).all()
        return [(i, token) for i in sorted(ids)]

    def run_once(self) -> int:
        """Claim and deliver one batch; returns how many messages were attempted."""
        claimed = self.claim()
        if self.concurrency > 1 and len(claimed) > 1:
            # Deliveries wait on the network: a few at once, each under its own lease.
            with ThreadPoolExecutor(min(self.concurrency, len(claimed))) as pool:
                list(pool.map(lambda item: self.deliver(*item), claimed))
        else:
            for message_id, token in claimed:
                self.deliver(message_id, token)
        return len(claimed)

    def drain(self, limit: int = 10_000) -> int:
        """Deliver until nothing is due (tests, `kbportal deliver`); returns attempts made."""
        total = 0
        while total < limit:
            done = self.run_once()
            if not done:
                break
            total += done
        return total

    def deliver(self, message_id: int, token: str) -> None:
        """Deliver one claimed message and record the outcome (if we still hold the lease)."""
        with self.sessions() as session:
            message = session.get(OutboxMessage, message_id)
            if message is None or message.lease_owner != token:
                return
            destination = message.destination
            switch = session.get(Destination, destination)
            if switch is not None and switch.disabled:  # went 410 earlier in this batch
                message.lease_owner = message.lease_until = None
                session.commit()
                return
            delivery = snapshot(message, message.request)
        channel = self.channels[destination]
        try:
            if delivery.extra.get("waiting"):
                raise DeliveryError(
                    "waiting for the request itself to be delivered", status="waiting"
                )  # noqa: E501
            external_id = channel.deliver(delivery)
        except DeliveryError as exc:
            self._failed(delivery, destination, token, exc)
        except Exception as exc:  # a channel bug must not stop the relay or lose the message
            log.exception("channel %s crashed on message %d", destination, message_id)
            self._failed(delivery, destination, token, DeliveryError(repr(exc), status="crash"))
        else:
            self._delivered(delivery, token, external_id)

    def _delivered(self, delivery: Delivery, token: str, external_id: str | None) -> None:
        now = utcnow()
        with self.sessions() as session, session.begin():
            done = session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == delivery.message_id, OutboxMessage.lease_owner == token)
                .values(
                    state=DELIVERED,
                    attempts=OutboxMessage.attempts + 1,
                    delivered_at=now,
                    last_attempt_at=now,
                    last_status="delivered",
                    last_error=None,
                    external_id=external_id,
                    lease_owner=None,
                    lease_until=None,
                )
            )
        if done.rowcount == 0:  # type: ignore[attr-defined]
            log.warning("message %d delivered after its lease ran out", delivery.message_id)
        else:
            log.info("delivered %s to %s", delivery.key, token.rsplit(":", 1)[0])

    def _failed(self, delivery: Delivery, destination: str, token: str, exc: DeliveryError) -> None:
        now = utcnow()
        attempts = delivery.attempt
        values: dict[str, object] = {
            "last_attempt_at": now,
            "last_status": (exc.status or "failed")[:64],
            "last_error": str(exc)[:2000],
            "lease_owner": None,
            "lease_until": None,
        }
        if exc.status == "waiting":  # not a real attempt: the close waits for its request
            values["next_attempt_at"] = now + timedelta(seconds=WAITING_DELAY)
        else:
            values["attempts"] = attempts
            if exc.gone:
                values["next_attempt_at"] = now
            elif attempts >= MAX_ATTEMPTS:
                values["state"] = DEAD
            else:
                wait = (
                    exc.retry_after if exc.retry_after is not None else backoff(attempts, self.rng)
                )
                values["next_attempt_at"] = now + timedelta(seconds=wait)
        with self.sessions() as session, session.begin():
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == delivery.message_id, OutboxMessage.lease_owner == token)
                .values(**values)
            )
            if exc.gone:
                set_destination(session, destination, disabled=True, reason=str(exc)[:500])
        log.warning(
            "delivery of %s to %s failed (attempt %d): %s", delivery.key, destination, attempts, exc
        )

    def run(self, stop: threading.Event, idle: float = 2.0) -> None:
        """Deliver until `stop` is set; a database outage is waited out, never fatal."""
        pause = idle
        while not stop.is_set():
            try:
                attempted = self.run_once()
                pause = idle
            except SQLAlchemyError as exc:
                log.warning("relay: database unavailable, retrying: %s", getattr(exc, "orig", exc))
                attempted, pause = 0, min(pause * 2, 30.0)
            if not attempted:
                self.wake.wait(pause)
                self.wake.clear()


def set_destination(session: Session, name: str, *, disabled: bool, reason: str | None) -> None:
    """Turn a destination off (410) or back on (staff), inside the caller's transaction."""
    row = session.get(Destination, name)
    if row is None:
        row = Destination(name=name)
        session.add(row)
    row.disabled = disabled
    row.reason = reason
    row.changed_at = utcnow()


def retry_now(session: Session, message_id: int) -> bool:
    """Staff's "retry now": due at once, dead letters revived, its destination turned back on."""
    message = session.get(OutboxMessage, message_id)
    if message is None or message.state == DELIVERED:
        return False
    message.state = PENDING
    message.next_attempt_at = utcnow()
    message.lease_owner = message.lease_until = None
    if message.attempts >= MAX_ATTEMPTS:
        message.attempts = MAX_ATTEMPTS - 1  # one more try; failing again makes it dead again
    set_destination(session, message.destination, disabled=False, reason=None)
    session.commit()
    return True
