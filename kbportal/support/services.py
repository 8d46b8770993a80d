"""Filing and closing requests without Flask: the request and its outbox in one transaction."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kbportal.content.request_types import RequestTypes
from kbportal.db import utcnow
from kbportal.support.models import (
    CLOSED,
    CONFIRMATION,
    CREATED,
    Attachment,
    FormSession,
    OutboxMessage,
    SupportRequest,
)
from kbportal.support.validation import Cleaned, Upload, check

log = logging.getLogger(__name__)

REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read over the phone
RATE_WINDOW = timedelta(hours=1)
MAX_KEY = 64
VERIFIED = "verified_email"  # tells agents and destinations the e-mail is vouched for


class SubmitError(Exception):
    """The submission cannot be taken: field -> error code (the customer's text is kept)."""

    def __init__(self, errors: dict[str, str], cleaned: Cleaned | None = None) -> None:
        super().__init__(", ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors
        self.cleaned = cleaned


class RateLimited(SubmitError):
    """Too many requests from one session or address within the hour."""

    def __init__(self) -> None:
        super().__init__({"form": "rate_limited"})


@dataclass(frozen=True)
class Submission:
    """What a customer sent, as any surface (form, widget, API) hands it over."""

    type: str
    locale: str
    values: dict[str, str]  # subject, description, email, name and the type's own fields
    idempotency_key: str
    uploads: list[Upload] = field(default_factory=list)
    surface: str = "form"
    session_id: str | None = None
    client_hash: str | None = None  # see `client_hash`: never the address itself
    source_article: str | None = None
    source_query: str | None = None
    site_url: str | None = None  # the portal's address, for links in the customer's e-mail
    # The host's server vouched for the e-mail (the widget's signed identity): written with the
    # request itself, so no destination ever hears of the request without the mark.
    verified_email: bool = False


@dataclass(frozen=True)
class Submitted:
    """The stored request, and whether this call made it (False: a repeat of the same key)."""

    request: SupportRequest
    created: bool


def new_key() -> str:
    """A fresh idempotency key for a form (also the form session's key)."""
    return secrets.token_urlsafe(24)


def new_reference() -> str:
    """A reference number for the customer, e.g. KB-7HQ4M2XD."""
    return "KB-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))


def client_hash(secret: str, address: str, now: datetime | None = None) -> str:
    """A keyed, daily-rotating hash of the client's address: enough to rate-limit, not to track."""
    day = (now or utcnow()).date().isoformat()
    return hmac.new(secret.encode(), f"{day}|{address}".encode(), hashlib.sha256).hexdigest()[:32]


def find(session: Session, reference: str) -> SupportRequest | None:
    """A request by its reference number."""
    return session.scalar(select(SupportRequest).where(SupportRequest.reference == reference))


def _rate_limited(session: Session, sub: Submission, limit: int, now: datetime) -> bool:
    """Whether this session or address has filed `limit` requests within the last hour."""
    keys = []
    if sub.session_id:
        keys.append(SupportRequest.session_id == sub.session_id)
    if sub.client_hash:
        keys.append(SupportRequest.client_hash == sub.client_hash)
    if not keys:
        return False
    since = now - RATE_WINDOW
    for key in keys:
        count = session.scalar(
            select(func.count(SupportRequest.id)).where(key, SupportRequest.created_at >= since)
        )
        if (count or 0) >= limit:
            return True
    return False


def submit(
    session: Session,
    types: RequestTypes,
    sub: Submission,
    *,
    destinations: Sequence[str],
    rate_limit: int = 5,
    max_file_bytes: int = 10 * 1024 * 1024,
    now: datetime | None = None,
) -> Submitted:
    """Store the request and one outbox row per destination in one transaction, or raise.

    A key seen before returns the request it made (no second request, no second delivery).
    """
    now = now or utcnow()
    key = (sub.idempotency_key or "").strip()
    if not key or len(key) > MAX_KEY:
        raise SubmitError({"form": "bad_key"})
    existing = session.scalar(select(SupportRequest).where(SupportRequest.idempotency_key == key))
    if existing is not None:
        return Submitted(existing, created=False)
    rtype = types.get(sub.type)
    if rtype is None:
        raise SubmitError({"type": "bad_choice"})
    cleaned = check(rtype, sub.values, sub.uploads, max_file_bytes=max_file_bytes)
    if cleaned.errors:
        raise SubmitError(cleaned.errors, cleaned)
    if _rate_limited(session, sub, rate_limit, now):
        raise RateLimited()
    own = dict(cleaned.fields)
    own.pop(VERIFIED, None)  # only a checked signature sets it, never a field of the form
    if sub.verified_email:
        own[VERIFIED] = "yes"
    request = SupportRequest(
        reference=new_reference(),
        idempotency_key=key,
        type=rtype.name,
        priority=rtype.priority,
        locale=sub.locale,
        subject=cleaned.subject,
        description=cleaned.description,
        email=cleaned.email,
        name=cleaned.name,
        fields=json.dumps(own, ensure_ascii=False),
        surface=sub.surface,
        session_id=sub.session_id,
        client_hash=sub.client_hash,
        source_article=(sub.source_article or "")[:512] or None,
        source_query=(sub.source_query or "")[:200] or None,
        site_url=(sub.site_url or "")[:300] or None,
        created_at=now,
    )
    request.attachments = [
        Attachment(
            field=f.field,
            filename=f.filename,
            content_type=f.content_type,
            size=len(f.data),
            sha256=f.sha256,
            data=f.data,
        )
        for f in cleaned.files
    ]
    request.outbox = [
        OutboxMessage(destination=name, event=CREATED, next_attempt_at=now, created_at=now)
        for name in destinations
    ]
    try:
        session.add(request)
        session.flush()
        _link_form_session(session, key, request, now)
        session.commit()
    except IntegrityError:
        session.rollback()
        # The same key raced in from a second click (or a rare reference clash): look again.
        existing = session.scalar(
            select(SupportRequest).where(SupportRequest.idempotency_key == key)
        )
        if existing is not None:
            return Submitted(existing, created=False)
        raise
    count = len(destinations)
    log.info("request %s filed (%s, %d destinations)", request.reference, rtype.name, count)
    return Submitted(request, created=True)


def _link_form_session(session: Session, key: str, request: SupportRequest, now: datetime) -> None:
    """Mark the form session of this key as submitted (deflection counts it as a request)."""
    form = session.scalar(select(FormSession).where(FormSession.form_key == key))
    if form is not None:
        form.request_id = request.id
        form.submitted_at = now


def close(session: Session, reference: str, now: datetime | None = None) -> bool:
    """Close a request at the customer's word; False if it was already closed (single use).

    Every destination told about the request is told it was closed, through the outbox.
    """
    now = now or utcnow()
    request = session.scalar(
        select(SupportRequest).where(SupportRequest.reference == reference).with_for_update()
    )
    if request is None or request.closed_at is not None:
        return False
    request.closed_at = now
    # Everyone told about the request hears it was closed; the customer, who closed it, not.
    told = {m.destination for m in request.outbox if m.event == CREATED} - {CONFIRMATION}
    for name in sorted(told):
        session.add(
            OutboxMessage(
                request_id=request.id,
                destination=name,
                event=CLOSED,
                next_attempt_at=now,
                created_at=now,
            )
        )
    try:
        session.commit()
    except IntegrityError:  # a second close raced this one (SQLite has no row locks)
        session.rollback()
        return False
    return True
