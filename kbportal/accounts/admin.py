"""What the admin page does to accounts, each change audited (no Flask: testable alone)."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from sqlalchemy.orm import Session

from kbportal.accounts import audit, services, tokens
from kbportal.accounts.models import ApiToken, User
from kbportal.accounts.services import AccountError

log = logging.getLogger(__name__)


def split_groups(text: str | None) -> list[str]:
    """Groups typed as "billing, l2" -> ["billing", "l2"]."""
    return [part.strip() for part in (text or "").replace(";", ",").split(",") if part.strip()]


def user_by_id(session: Session, user_id: int) -> User:
    """The user with this id; AccountError if there is none."""
    user = session.get(User, user_id)
    if user is None:
        raise AccountError("no such user")
    return user


def _not_yourself(actor: User, user: User, what: str) -> None:
    """Refuse changes that would lock the acting admin out of this page."""
    if actor.id == user.id:
        raise AccountError(f"you cannot {what} yourself; ask another admin")


def create_user(
    session: Session, actor: User, email: str, password: str, role: str, groups: Iterable[str]
) -> User:
    """Create a user and audit it."""
    user = services.create_user(session, email, password, role=role, groups=groups)
    audit.record(session, actor.email, "user.create", user.email, role=role, groups=sorted(groups))
    session.commit()
    return user


def change_role(
    session: Session, actor: User, user_id: int, role: str, groups: Iterable[str]
) -> User:
    """Change a user's role and groups and audit it (an admin cannot demote themselves)."""
    user = user_by_id(session, user_id)
    if role != "admin":
        _not_yourself(actor, user, "remove the admin role from")
    before = (user.role, sorted(user.groups))
    user = services.set_role(session, user.email, role, list(groups))
    audit.record(
        session,
        actor.email,
        "user.role",
        user.email,
        role=user.role,
        groups=sorted(user.groups),
        was={"role": before[0], "groups": before[1]},
    )
    session.commit()
    return user


def set_active(session: Session, actor: User, user_id: int, active: bool) -> User:
    """Enable or disable a user and audit it (an admin cannot disable themselves)."""
    user = user_by_id(session, user_id)
    if not active:
        _not_yourself(actor, user, "disable")
    user = services.set_active(session, user.email, active)
    audit.record(session, actor.email, "user.enable" if active else "user.disable", user.email)
    session.commit()
    return user


def set_password(session: Session, actor: User, user_id: int, password: str) -> User:
    """Set a new password (ends the user's sessions) and audit it (never the password)."""
    user = services.set_password(session, user_by_id(session, user_id).email, password)
    audit.record(session, actor.email, "user.password", user.email)
    session.commit()
    return user


def create_token(session: Session, actor: User, email: str, name: str) -> tuple[ApiToken, str]:
    """A new read-only API token for a user (its raw value is shown once) and audit it."""
    token, raw = tokens.create_token(session, email, name)
    audit.record(session, actor.email, "token.create", token.user.email, id=token.id, name=name)
    session.commit()
    return token, raw


def revoke_token(session: Session, actor: User, token_id: int) -> ApiToken:
    """Revoke a token and audit it."""
    token = tokens.revoke_token(session, token_id)
    audit.record(session, actor.email, "token.revoke", token.user.email, id=token.id)
    session.commit()
    return token
