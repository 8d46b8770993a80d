"""`kbportal users ...` and `kbportal tokens ...`: thin wrappers over the account services."""

from __future__ import annotations

import logging
import sys
from datetime import datetime

import click
from flask.cli import AppGroup

from kbportal.accounts import audit, services, tokens
from kbportal.accounts.models import ROLES
from kbportal.accounts.services import AccountError
from kbportal.db import get_session

log = logging.getLogger(__name__)

users_cli = AppGroup("users", help="Staff accounts.")
tokens_cli = AppGroup("tokens", help="API tokens for helpdesk integrations.")

# Header rows of the tab-separated listings (still easy to `cut`, now readable by a person).
USER_COLUMNS = ("EMAIL", "ROLE", "GROUPS", "STATE", "LAST SIGN-IN")
TOKEN_COLUMNS = ("ID", "USER", "NAME", "PREFIX", "CREATED", "LAST USED", "STATE")


def _read_password(from_stdin: bool) -> str:
    """The new password: the first line of stdin, or asked twice without echo."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else "-"


def _audit(action: str, target: str, **detail: object) -> None:
    """Record a change made here in the audit log the admin page shows."""
    session = get_session()
    audit.record(session, audit.COMMAND_LINE, action, target, **detail)
    session.commit()


def _fail(error: AccountError) -> None:
    raise click.ClickException(str(error))


@users_cli.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), default="agent", show_default=True)
@click.option("--group", "groups", multiple=True, help="Audience group; repeat for several.")
@click.option("--password-stdin", is_flag=True, help="Read the password from stdin.")
def create_user(email: str, role: str, groups: tuple[str, ...], password_stdin: bool) -> None:
    """Create a staff user."""
    password = _read_password(password_stdin)
    try:
        user = services.create_user(get_session(), email, password, role=role, groups=groups)
    except AccountError as error:
        _fail(error)
        return
    _audit("user.create", user.email, role=user.role, groups=sorted(user.groups))
    click.echo(f"created {user.email} ({user.role})")


@users_cli.command("set-password")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the password from stdin.")
def set_password(email: str, password_stdin: bool) -> None:
    """Set a user's password (signs out their sessions)."""
    password = _read_password(password_stdin)
    try:
        user = services.set_password(get_session(), email, password)
    except AccountError as error:
        _fail(error)
        return
    _audit("user.password", user.email)
    click.echo(f"password changed for {user.email}")


@users_cli.command("disable")
@click.argument("email")
def disable_user(email: str) -> None:
    """Disable a user: no sign-in, sessions ended, tokens stop working."""
    try:
        user = services.set_active(get_session(), email, False)
    except AccountError as error:
        _fail(error)
        return
    _audit("user.disable", user.email)
    click.echo(f"disabled {user.email}")


@users_cli.command("enable")
@click.argument("email")
def enable_user(email: str) -> None:
    """Enable a disabled user again."""
    try:
        user = services.set_active(get_session(), email, True)
    except AccountError as error:
        _fail(error)
        return
    _audit("user.enable", user.email)
    click.echo(f"enabled {user.email}")


@users_cli.command("set-role")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--group", "groups", multiple=True, help="Replace the groups; repeat for several.")
@click.option("--keep-groups", is_flag=True, help="Leave the groups as they are.")
def set_role(email: str, role: str, groups: tuple[str, ...], keep_groups: bool) -> None:
    """Change a user's role and audience groups."""
    try:
        user = services.set_role(get_session(), email, role, None if keep_groups else groups)
    except AccountError as error:
        _fail(error)
        return
    _audit("user.role", user.email, role=user.role, groups=sorted(user.groups))
    click.echo(f"{user.email}: {user.role}, groups {','.join(sorted(user.groups)) or '-'}")


@users_cli.command("list")
def list_users() -> None:
    """List users: e-mail, role, groups, state, last sign-in."""
    rows = services.list_users(get_session())
    if not rows:
        click.echo("no users")
        return
    click.echo("\t".join(USER_COLUMNS))
    for user in rows:
        state = "active" if user.active else "disabled"
        groups = ",".join(sorted(user.groups)) or "-"
        click.echo(f"{user.email}\t{user.role}\t{groups}\t{state}\t{_when(user.last_login_at)}")


@tokens_cli.command("create")
@click.argument("email")
@click.option("--name", default="", help="What the token is for, e.g. the helpdesk's name.")
def create_token(email: str, name: str) -> None:
    """Create a read-only API token and print it (once: only its hash is kept)."""
    try:
        token, raw = tokens.create_token(get_session(), email, name)
    except AccountError as error:
        _fail(error)
        return
    _audit("token.create", token.user.email, id=token.id, name=name)
    click.echo(
        f"token {token.id} for {token.user.email}; copy it now, it is not shown again:", err=True
    )
    click.echo(raw)


@tokens_cli.command("revoke")
@click.argument("token_id", type=int)
def revoke_token(token_id: int) -> None:
    """Revoke a token by its id."""
    try:
        token = tokens.revoke_token(get_session(), token_id)
    except AccountError as error:
        _fail(error)
        return
    _audit("token.revoke", token.user.email, id=token.id)
    click.echo(f"revoked token {token.id}")


@tokens_cli.command("list")
def list_tokens() -> None:
    """List tokens: id, user, name, prefix, created, last used, state."""
    rows = tokens.list_tokens(get_session())
    if not rows:
        click.echo("no tokens")
        return
    click.echo("\t".join(TOKEN_COLUMNS))
    for token in rows:
        state = f"revoked {_when(token.revoked_at)}" if token.revoked_at else "active"
        click.echo(
            f"{token.id}\t{token.user.email}\t{token.name or '-'}\t{token.prefix}…\t"
            f"{_when(token.created_at)}\t{_when(token.last_used_at)}\t{state}"
        )
