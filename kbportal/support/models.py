"""Tables of support requests: the request, its attachments, its outbox and form sessions."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kbportal.db import Base, UTCDateTime, utcnow

log = logging.getLogger(__name__)

# Outbox states. "pending" rows wait for their next attempt (or a relay's lease on them);
# "dead" rows used every attempt and wait for staff to press "retry now".
PENDING, DELIVERED, DEAD = "pending", "delivered", "dead"
CREATED, CLOSED = "created", "closed"  # what an outbox row tells a destination
CONFIRMATION = "confirmation"  # the destination that e-mails the customer their confirmation


class SupportRequest(Base):
    """One request a customer filed through the form (or the widget's API)."""

    __tablename__ = "support_requests"
    __table_args__ = (
        Index("ix_support_requests_created_at", "created_at"),
        Index("ix_support_requests_client_created", "client_hash", "created_at"),
        Index("ix_support_requests_session_created", "session_id", "created_at"),
        Index("ix_support_requests_email_type", "email", "type"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)  # what the customer quotes
    # The form's key: a double click or a retried post finds the first request, not a second.
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    type: Mapped[str] = mapped_column(String(64))
    priority: Mapped[str] = mapped_column(String(8))
    locale: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    email: Mapped[str] = mapped_column(String(254))  # normalised (lower-case domain)
    name: Mapped[str] = mapped_column(String(200), default="")
    fields: Mapped[str] = mapped_column(Text, default="{}")  # JSON: the type's own fields
    surface: Mapped[str] = mapped_column(String(16), default="form")  # form, widget, api
    session_id: Mapped[str | None] = mapped_column(String(64), default=None)  # visitor session
    client_hash: Mapped[str | None] = mapped_column(String(64), default=None)  # keyed, daily
    source_article: Mapped[str | None] = mapped_column(String(512), default=None)
    source_query: Mapped[str | None] = mapped_column(String(200), default=None)
    # The portal's address when it was filed: links in the customer's e-mail point there.
    site_url: Mapped[str | None] = mapped_column(String(300), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="Attachment.id"
    )
    outbox: Mapped[list[OutboxMessage]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="OutboxMessage.id"
    )


class Attachment(Base):
    """A file a customer attached: kept in the database, served to staff only."""

    __tablename__ = "support_attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("support_requests.id", ondelete="CASCADE"), index=True
    )
    field: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))  # from the content, not the upload
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)

    request: Mapped[SupportRequest] = relationship(back_populates="attachments")


class OutboxMessage(Base):
    """One thing to tell one destination about one request, until it has been told."""

    __tablename__ = "support_outbox"
    __table_args__ = (
        UniqueConstraint("request_id", "destination", "event", name="uq_support_outbox_message"),
        Index("ix_support_outbox_due", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("support_requests.id", ondelete="CASCADE"))
    destination: Mapped[str] = mapped_column(String(32))  # email, webhook, zendesk, freshdesk
    event: Mapped[str] = mapped_column(String(16))  # created, closed
    state: Mapped[str] = mapped_column(String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The lease: which relay holds the row and until when (a killed relay's lease runs out).
    lease_owner: Mapped[str | None] = mapped_column(String(64), default=None)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    last_status: Mapped[str | None] = mapped_column(String(64), default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    external_id: Mapped[str | None] = mapped_column(String(64), default=None)  # helpdesk ticket
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    request: Mapped[SupportRequest] = relationship(back_populates="outbox")


class Destination(Base):
    """A destination's switch: a 410 Gone turns it off until staff turn it back on."""

    __tablename__ = "support_destinations"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FormSession(Base):
    """One customer's visit to the form: what they typed, saw and clicked (for deflection)."""

    __tablename__ = "support_form_sessions"
    __table_args__ = (
        Index("ix_support_form_sessions_opened", "opened_at"),
        Index("ix_support_form_sessions_session", "session_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    form_key: Mapped[str] = mapped_column(String(64), unique=True)  # = the idempotency key
    session_id: Mapped[str | None] = mapped_column(String(64), default=None)
    type: Mapped[str] = mapped_column(String(64))
    locale: Mapped[str] = mapped_column(String(16))
    surface: Mapped[str] = mapped_column(String(16), default="form")
    holdout: Mapped[bool] = mapped_column(Boolean, default=False)  # suggestions hidden
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    typed_chars: Mapped[int] = mapped_column(Integer, default=0)
    shown: Mapped[int] = mapped_column(Integer, default=0)  # suggestion lists shown
    clicks: Mapped[int] = mapped_column(Integer, default=0)
    first_click_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    solved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    solved_article: Mapped[str | None] = mapped_column(String(512), default=None)
    clicked: Mapped[str] = mapped_column(Text, default="[]")  # JSON: article URLs opened
    request_id: Mapped[int | None] = mapped_column(
        ForeignKey("support_requests.id", ondelete="SET NULL"), default=None
    )
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
