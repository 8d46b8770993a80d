"""Account services on a real database: users, passwords, throttling."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from support import TEST_PASSWORD as PASSWORD

from kbportal.accounts import services, sessions
from kbportal.accounts.identity import staff_for_live_session
from kbportal.accounts.models import LoginAttempt, User
from kbportal.accounts.services import AccountError, authenticate
from kbportal.db import utcnow


def test_password_is_hashed_with_argon2id(db: Session, make_user) -> None:
    user = make_user()
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash
    assert services.verify_password(user.password_hash, PASSWORD)
    assert not services.verify_password(user.password_hash, PASSWORD + "x")
    assert not services.verify_password("not a hash", PASSWORD)


def test_email_is_unique_case_insensitively(db: Session, make_user) -> None:
    make_user("Agent@Example.com")
    with pytest.raises(AccountError, match="already exists"):
        services.create_user(db, " AGENT@example.COM ", PASSWORD)
    assert services.get_user(db, "agent@EXAMPLE.com") is not None


@pytest.mark.parametrize(
    ("email", "password", "role", "message"),
    [
        ("not-an-email", PASSWORD, "agent", "not an e-mail"),
        ("a@example.com", "short", "agent", "at least"),
        ("a@example.com", PASSWORD, "root", "unknown role"),
    ],
)
def test_bad_input_is_refused_clearly(db: Session, email, password, role, message) -> None:
    with pytest.raises(AccountError, match=message):
        services.create_user(db, email, password, role=role)
    assert db.scalar(select(User)) is None


def test_groups_are_kept(db: Session, make_user) -> None:
    user = make_user(groups=("l2", "billing", "l2"))
    db.expire_all()
    assert db.get(User, user.id).groups == frozenset({"l2", "billing"})  # type: ignore[union-attr]
    with pytest.raises(AccountError, match="bad group"):
        services.create_user(db, "b@example.com", PASSWORD, groups=("no spaces",))


def test_authenticate_success_and_failures(db: Session, make_user) -> None:
    user = make_user()
    assert authenticate(db, "AGENT@example.com", PASSWORD, "10.0.0.1").user == user
    assert user.last_login_at is not None
    assert authenticate(db, "agent@example.com", "wrong password", "10.0.0.1").user is None
    assert authenticate(db, "nobody@example.com", PASSWORD, "10.0.0.1").user is None
    services.set_active(db, "agent@example.com", False)
    assert authenticate(db, "agent@example.com", PASSWORD, "10.0.0.1").user is None


def test_password_change_ends_old_sessions(db: Session, make_user) -> None:
    user = make_user()
    old_id = user.get_id()
    session_hash = live_session(db, user.id)
    assert staff_id(db, old_id, session_hash) == user.id
    services.set_password(db, user.email, "another long password")
    assert staff_id(db, old_id, session_hash) is None
    assert staff_id(db, user.get_id(), session_hash) == user.id
    assert staff_id(db, "garbage", session_hash) is None


def live_session(db: Session, user_id: int) -> str:
    """A server-side session of the user, as signing in makes one; the hash its cookie finds."""
    session_id = sessions.start(db.connection(), user_id, utcnow())
    db.commit()
    return sessions.id_hash(session_id)


def staff_id(db: Session, session_ident: str, session_hash: str) -> int | None:
    """Whom a session cookie signs in, as the sign-in check itself reads it."""
    staff = staff_for_live_session(db, session_ident, session_hash)
    return None if staff is None else staff.id


def test_throttling_per_account(db: Session, make_user) -> None:
    make_user()
    now = utcnow()
    for i in range(services.MAX_FAILURES_PER_ACCOUNT):
        result = authenticate(db, "agent@example.com", "bad", f"10.0.0.{i}", now=now)
        assert result.user is None and result.retry_after == 0
    # The right password is refused too while throttled, from any address.
    blocked = authenticate(db, "agent@example.com", PASSWORD, "10.9.9.9", now=now)
    assert blocked.user is None
    assert 0 < blocked.retry_after <= services.THROTTLE_WINDOW.total_seconds() + 1
    later = now + services.THROTTLE_WINDOW + timedelta(seconds=1)
    assert authenticate(db, "agent@example.com", PASSWORD, "10.9.9.9", now=later).user is not None
    # Success cleared the account's run of failures.
    failures = db.scalars(select(LoginAttempt).where(LoginAttempt.success.is_(False))).all()
    assert failures == []


def test_throttling_per_ip_covers_unknown_accounts(db: Session, make_user) -> None:
    make_user()
    now = utcnow()
    for i in range(services.MAX_FAILURES_PER_IP):
        authenticate(db, f"guess{i}@example.com", "bad", "192.0.2.7", now=now)
    assert authenticate(db, "agent@example.com", PASSWORD, "192.0.2.7", now=now).retry_after > 0
    assert authenticate(db, "agent@example.com", PASSWORD, "192.0.2.8", now=now).user is not None


def test_unknown_email_is_throttled_like_a_real_one(db: Session) -> None:
    now = utcnow()
    for _ in range(services.MAX_FAILURES_PER_ACCOUNT):
        authenticate(db, "ghost@example.com", "bad", "10.0.0.1", now=now)
    assert authenticate(db, "ghost@example.com", "bad", "10.0.0.2", now=now).retry_after > 0
