"""API tokens: read-only bearer tokens for helpdesk integrations, stored as SHA-256 only."""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from kbportal.accounts.models import ApiToken, User
from kbportal.accounts.services import STAFF_ROLES, AccountError, require_user
from kbportal.db import utcnow

log = logging.getLogger(__name__)

TOKEN_PREFIX = "kbp_"
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


def user_for_token(session: Session, raw: str, now: datetime | None = None) -> User | None:
    """The active staff user a live token belongs to, or None."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(raw)))
    if token is None or token.revoked_at is not None:
        return None
    user = token.user
    if not user.active or user.role not in STAFF_ROLES:
        return None
    now = now or utcnow()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        token.last_used_at = now
        session.commit()
    return user
