"""API tokens: read-only bearer tokens for helpdesk integrations, stored as SHA-256 only."""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from kbportal.accounts.identity import Reader, StaffUser, staff_for_token_hash, touch_token
from kbportal.accounts.models import ApiToken
from kbportal.accounts.services import AccountError, require_user
from kbportal.db import utcnow

log = logging.getLogger(__name__)

TOKEN_PREFIX = "kbp_"
MAX_TOKEN_CHARS = 200
# Writing last_used_at on every API call would turn reads into writes; once a minute is plenty.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def hash_token(raw: str) -> str:
    """The stored form of a token: hex SHA-256 (tokens carry 256 random bits, so no KDF)."""
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def create_token(session: Session, email: str, name: str = "") -> tuple[ApiToken, str]:
    """A new token for the user: the stored row and the raw token, which is never kept."""
    user = require_user(session, email)
    if not user.active:
        raise AccountError(f"user {user.email!r} is disabled")
    if len(name) > 100:
        raise AccountError("the token name must have at most 100 characters")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user=user, name=name, token_hash=hash_token(raw), prefix=raw[:10])
    session.add(token)
    session.commit()
    log.info("created API token %d for %s", token.id, user.email)
    return token, raw


def revoke_token(session: Session, token_id: int) -> ApiToken:
    """Revoke a token for good; AccountError if there is no such token."""
    token = session.get(ApiToken, token_id)
    if token is None:
        raise AccountError(f"no token with id {token_id}")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.commit()
        log.info("revoked API token %d", token_id)
    return token


def list_tokens(session: Session) -> list[ApiToken]:
    """Every token, revoked ones included, oldest first."""
    return list(session.scalars(select(ApiToken).order_by(ApiToken.id)))


def staff_for_token(reader: Reader, raw: str) -> StaffUser | None:
    """The active staff user a live token belongs to, or None: one indexed query, no write."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > MAX_TOKEN_CHARS:
        return None
    return staff_for_token_hash(reader, hash_token(raw))


def needs_touch(staff: StaffUser, now: datetime) -> bool:
    """Whether a token's last use is older than LAST_USED_RESOLUTION (or was never set)."""
    last = staff.token_last_used
    return staff.token_id is not None and (last is None or now - last >= LAST_USED_RESOLUTION)


def record_use(reader: Reader, token_id: int, now: datetime | None = None) -> bool:
    """Store a token's last use (skipped if another worker did within the minute)."""
    return touch_token(reader, token_id, now or utcnow(), LAST_USED_RESOLUTION)
