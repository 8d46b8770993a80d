"""Account services: users, passwords and sign-in with throttling (no Flask in here)."""

from __future__ import annotations

import logging
import random
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from kbportal.accounts.identity import STAFF_ROLES
from kbportal.accounts.models import ROLES, LoginAttempt, User, UserGroup
from kbportal.db import utcnow

log = logging.getLogger(__name__)

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024  # argon2 takes any length; this only stops absurd request bodies
THROTTLE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5
# Higher than per account: a support team behind one office NAT shares an address.
MAX_FAILURES_PER_IP = 20
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_GROUP = re.compile(r"^[\w.-]{1,64}$")

# argon2id with argon2-cffi's defaults (RFC 9106 low-memory profile).
_hasher = PasswordHasher()


class AccountError(ValueError):
    """A request about accounts that cannot be carried out; the message says why."""


def normalize_email(email: str) -> str:
    """The stored form of an address: stripped and lower-case; AccountError if it is not one."""
    value = email.strip().lower()
    if len(value) > 254 or not _EMAIL.match(value) or not value.isprintable():
        raise AccountError(f"not an e-mail address: {email!r}")
    return value


def check_password_strength(password: str) -> None:
    """Raise AccountError if the password is too short or too long."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(f"the password must have at most {MAX_PASSWORD_LENGTH} characters")


def hash_password(password: str) -> str:
    """An argon2id hash of the password, with its salt and parameters."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether the password matches the hash."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def _dummy_hash() -> str:
    """A hash to verify against for unknown e-mails, so they take as long as known ones."""
    return hash_password("kbportal-dummy-password")


def _check_role(role: str) -> str:
    if role not in STAFF_ROLES:
        raise AccountError(f"unknown role {role!r}; choose one of: {', '.join(ROLES)}")
    return role


def _check_groups(groups: Iterable[str]) -> list[str]:
    names = sorted({g.strip() for g in groups if g.strip()})
    for name in names:
        if not _GROUP.match(name):
            raise AccountError(f"bad group name {name!r}: letters, digits, '.', '_', '-' only")
    return names


def get_user(session: Session, email: str) -> User | None:
    """The user with this e-mail (any case), or None."""
    try:
        normalized = normalize_email(email)
    except AccountError:
        return None
    return session.scalar(select(User).where(User.email == normalized))


def require_user(session: Session, email: str) -> User:
    """The user with this e-mail; AccountError if there is none."""
    user = get_user(session, email)
    if user is None:
        raise AccountError(f"no user {email!r}")
    return user


def create_user(
    session: Session, email: str, password: str, role: str = "agent", groups: Iterable[str] = ()
) -> User:
    """Create an active user; AccountError for a taken e-mail or bad input."""
    normalized = normalize_email(email)
    _check_role(role)
    check_password_strength(password)
    names = _check_groups(groups)
    if session.scalar(select(User.id).where(User.email == normalized)) is not None:
        raise AccountError(f"a user {normalized!r} already exists")
    user = User(email=normalized, password_hash=hash_password(password), role=role, active=True)
    user.group_rows = [UserGroup(name=name) for name in names]
    session.add(user)
    session.commit()
    log.info("created user %s (%s)", normalized, role)
    return user


def set_password(session: Session, email: str, password: str) -> User:
    """Change a user's password and sign out their existing sessions."""
    user = require_user(session, email)
    check_password_strength(password)
    user.password_hash = hash_password(password)
    user.auth_version += 1
    session.commit()
    return user


def set_active(session: Session, email: str, active: bool) -> User:
    """Enable or disable a user; disabling signs out their sessions and stops their tokens."""
    user = require_user(session, email)
    if user.active != active:
        user.active = active
        user.auth_version += 1
        session.commit()
    return user


def set_role(session: Session, email: str, role: str, groups: Iterable[str] | None = None) -> User:
    """Change a user's role and, if given, replace their groups."""
    user = require_user(session, email)
    user.role = _check_role(role)
    if groups is not None:
        user.group_rows = [UserGroup(name=name) for name in _check_groups(groups)]
    session.commit()
    return user


def list_users(session: Session) -> list[User]:
    """Every user, by e-mail."""
    return list(session.scalars(select(User).order_by(User.email)))


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in attempt: a user, or a refusal (maybe with a wait)."""

    user: User | None
    retry_after: int = 0  # seconds to wait when throttled; 0 when not throttled


def throttle_wait(
    session: Session,
    email: str,
    ip: str,
    now: datetime | None = None,
    exclude_id: int | None = None,
) -> int:
    """Seconds until this e-mail and address may try again; 0 if they may now."""
    now = now or utcnow()
    since = now - THROTTLE_WINDOW
    waits = [0]
    for column, value, limit in (
        (LoginAttempt.email, email, MAX_FAILURES_PER_ACCOUNT),
        (LoginAttempt.ip, ip, MAX_FAILURES_PER_IP),
    ):
        failures = (
            select(LoginAttempt.at)
            .where(column == value, LoginAttempt.at > since, LoginAttempt.success.is_(False))
            .where(LoginAttempt.id != (exclude_id if exclude_id is not None else -1))
            .order_by(LoginAttempt.at.desc())
            .limit(limit)
        ).subquery()
        count, oldest = session.execute(select(func.count(), func.min(failures.c.at))).one()
        if count >= limit and oldest is not None:
            waits.append(max(1, int((oldest + THROTTLE_WINDOW - now).total_seconds()) + 1))
    return max(waits)


def reserve_attempt(session: Session, email: str, ip: str, now: datetime) -> LoginAttempt | int:
    """Count an attempt as a failure before its password is checked; or the wait if throttled.

    Check and count are one step, so parallel attempts cannot all pass the check before any is
    counted (40 parallel wrong passwords got 10 checked against a limit of 5). The attempt is
    inserted first: on SQLite that takes the database's write lock, so the count that follows
    sees every other attempt; PostgreSQL takes transaction locks on the e-mail and the address.
    """
    if session.get_bind().dialect.name == "postgresql":
        for key in sorted({f"email:{email}", f"ip:{ip}"}):  # one order everywhere: no deadlock
            session.execute(select(func.pg_advisory_xact_lock(func.hashtext(key))))
    attempt = LoginAttempt(email=email, ip=ip, at=now, success=False)
    session.add(attempt)
    session.flush()
    wait = throttle_wait(session, email, ip, now, exclude_id=attempt.id)
    if wait:
        session.rollback()  # not recorded: otherwise an attacker could keep an account locked
        return wait
    session.commit()
    return attempt


def authenticate(
    session: Session, email: str, password: str, ip: str, now: datetime | None = None
) -> SignIn:
    """Check a sign-in; every failure looks the same to the caller except throttling."""
    now = now or utcnow()
    try:
        normalized = normalize_email(email)
    except AccountError:
        # Still throttled by what was typed; PostgreSQL text cannot hold NUL or the like.
        # (Replaced, not dropped: "a\x00@b.c" must not become a real account's address.)
        typed = email.strip().lower()
        normalized = "".join(ch if ch.isprintable() else "?" for ch in typed)[:254]
    ip = ip[:64]
    attempt = reserve_attempt(session, normalized, ip, now)
    if isinstance(attempt, int):
        return SignIn(None, retry_after=attempt)
    user = session.scalar(select(User).where(User.email == normalized))
    # Always verify a hash, so unknown and disabled accounts take as long as real ones.
    ok = verify_password(
        user.password_hash if user else _dummy_hash(), password[:MAX_PASSWORD_LENGTH]
    )
    ok = ok and user is not None and user.active and user.role in STAFF_ROLES
    if ok and user is not None:
        attempt.success = True
        user.last_login_at = now
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        # A correct password ends the account's run of failures.
        session.execute(
            delete(LoginAttempt).where(
                LoginAttempt.email == normalized, LoginAttempt.success.is_(False)
            )
        )
    if random.random() < 0.01:  # now and then, forget attempts nobody will look at again
        session.execute(delete(LoginAttempt).where(LoginAttempt.at < now - timedelta(days=1)))
    session.commit()
    if not ok:
        log.info("failed sign-in for %s from %s", normalized, ip)
    return SignIn(user if ok else None)
