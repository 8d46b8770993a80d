"""What every destination gets and how it says "try again": the channel interface."""

from __future__ import annotations

import email.utils
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

log = logging.getLogger(__name__)

MAX_RETRY_AFTER = 24 * 3600.0  # a destination asking us to wait longer is asked again tomorrow


@dataclass(frozen=True)
class FileDoc:
    """An attachment as channels send it."""

    filename: str
    content_type: str
    data: bytes
    sha256: str


@dataclass(frozen=True)
class RequestDoc:
    """A request as read for delivery: plain values, no database session attached."""

    id: int
    reference: str
    type: str
    type_label: str
    priority: str
    locale: str
    subject: str
    description: str
    email: str
    name: str
    fields: dict[str, str]
    created_at: datetime
    closed_at: datetime | None = None
    surface: str = "form"
    source_article: str | None = None
    source_query: str | None = None
    site_url: str | None = None
    attachments: tuple[FileDoc, ...] = ()


@dataclass(frozen=True)
class Delivery:
    """One outbox message for one destination: what happened to which request."""

    message_id: int
    event: str  # created, closed
    attempt: int  # 1 on the first try
    request: RequestDoc
    external_id: str | None = None  # the destination's id of the request, once created
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """The idempotency key: the same on every retry of this message, unique otherwise."""
        return f"{self.request.reference}.{self.event}"


class DeliveryError(Exception):
    """A failed attempt; the relay retries later unless the destination is gone."""

    def __init__(
        self,
        message: str,
        *,
        status: str | None = None,
        retry_after: float | None = None,
        gone: bool = False,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after
        self.gone = gone  # 410: the destination asked never to be called again


class Channel(Protocol):
    """A destination: delivers one message or raises DeliveryError."""

    name: str

    def deliver(self, delivery: Delivery) -> str | None:
        """Deliver; returns the destination's id for the request when it has one."""


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date), capped at a day."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return min(float(text), MAX_RETRY_AFTER)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    seconds = (when - (now or datetime.now(UTC))).total_seconds()
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)
