"""`kbportal users ...` and `kbportal tokens ...` through the Flask CLI runner."""

from __future__ import annotations

import pytest
from accounts_sample import PASSWORD
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from kbportal.accounts import services, tokens
from kbportal.accounts.models import ApiToken, User


def run(app: Flask, *args: str, stdin: str | None = None):
    return app.test_cli_runner().invoke(args=list(args), input=stdin)


def test_users_create_from_stdin(app: Flask, db: Session) -> None:
    result = run(
        app, "users", "create", "Lead@Example.com", "--role", "editor", "--group", "l2",
        "--group", "billing", "--password-stdin", stdin=PASSWORD + "\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "created lead@example.com (editor)" in result.output
    user = services.get_user(db, "lead@example.com")
    assert user is not None and user.groups == {"l2", "billing"} and user.role == "editor"
    assert services.verify_password(user.password_hash, PASSWORD)


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["users", "create", "a@example.com", "--password-stdin"], "short\n", "at least"),
        (["users", "create", "nope", "--password-stdin"], PASSWORD + "\n", "not an e-mail"),
        (["users", "create", "a@example.com", "--role", "root", "--password-stdin"], "", "root"),
        (["users", "set-password", "ghost@example.com", "--password-stdin"], PASSWORD, "no user"),
        (["users", "disable", "ghost@example.com"], None, "no user"),
        (["tokens", "create", "ghost@example.com"], None, "no user"),
        (["tokens", "revoke", "42"], None, "no token with id 42"),
        (["tokens", "revoke", "abc"], None, "not a valid integer"),
    ],
)
def test_bad_input_exits_non_zero_with_a_message(app: Flask, db, args, stdin, message) -> None:
    result = run(app, *args, stdin=stdin)
    assert result.exit_code != 0
    assert message in result.output
    assert db.scalar(select(User)) is None


def test_duplicate_user_is_refused(app: Flask, make_user) -> None:
    make_user()
    result = run(app, "users", "create", "AGENT@example.com", "--password-stdin", stdin=PASSWORD)
    assert result.exit_code == 1
    assert "already exists" in result.output


def test_set_password_disable_enable_list(app: Flask, db: Session, make_user) -> None:
    make_user()
    new = "an entirely new password"
    assert run(app, "users", "set-password", "agent@example.com", "--password-stdin",
               stdin=new + "\n").exit_code == 0  # fmt: skip
    db.expire_all()
    assert services.authenticate(db, "agent@example.com", new, "127.0.0.1").user is not None
    assert run(app, "users", "disable", "agent@example.com").exit_code == 0
    listing = run(app, "users", "list").output
    assert listing.startswith("EMAIL\tROLE\tGROUPS\tSTATE\tLAST SIGN-IN\n")
    assert "agent@example.com\tagent\t-\tdisabled" in listing
    assert run(app, "users", "enable", "agent@example.com").exit_code == 0
    assert "\tactive\t" in run(app, "users", "list").output


def test_users_list_when_empty(app: Flask) -> None:
    assert run(app, "users", "list").output.strip() == "no users"


def test_tokens_create_list_revoke(app: Flask, db: Session, make_user) -> None:
    make_user()
    result = run(app, "tokens", "create", "agent@example.com", "--name", "desk")
    assert result.exit_code == 0, result.output
    raw = result.stdout.strip()  # stdout holds the token alone, for scripts
    assert raw.startswith("kbp_")
    assert "not shown again" in result.stderr
    assert tokens.staff_for_token(db, raw) is not None
    token_id = db.scalar(select(ApiToken.id))
    listing = run(app, "tokens", "list").output
    assert listing.startswith("ID\tUSER\tNAME\tPREFIX\tCREATED\tLAST USED\tSTATE\n")
    assert f"{token_id}\tagent@example.com\tdesk\t{raw[:10]}" in listing
    assert raw not in listing
    assert run(app, "tokens", "revoke", str(token_id)).exit_code == 0
    assert "revoked" in run(app, "tokens", "list").output
    db.expire_all()
    assert tokens.staff_for_token(db, raw) is None


def test_commands_are_on_the_kbportal_command(app: Flask) -> None:
    from kbportal.cli import cli

    result = CliRunner().invoke(cli, ["--help"])
    for group in ("users", "tokens", "db"):
        assert group in result.output


def test_db_commands(app: Flask) -> None:
    from kbportal.db import head_revision

    head = head_revision()  # the newest migration, whichever it is
    current = run(app, "db", "current")
    assert current.exit_code == 0
    assert "current: empty" in current.output and f"head:    {head}" in current.output
    assert f"migrated at {head}" in run(app, "db", "upgrade").output
    assert f"current: {head}" in run(app, "db", "current").output
    assert f"already at {head}" in run(app, "db", "upgrade").output


def test_the_database_is_migrated_on_first_use_only(app: Flask) -> None:
    from kbportal.db import current_revision, get_database, head_revision

    app.test_client().get("/en/articles/account/reset")  # a public page, a buffered view
    assert current_revision(get_database(app).engine) is None
    get_database(app).session().close()  # first real use migrates
    assert current_revision(get_database(app).engine) == head_revision()


def test_set_role_and_groups(app: Flask, db: Session, make_user) -> None:
    make_user(groups=("l1",))
    result = run(app, "users", "set-role", "agent@example.com", "--role", "editor", "--keep-groups")
    assert result.output.strip() == "agent@example.com: editor, groups l1"
    result = run(app, "users", "set-role", "agent@example.com", "--role", "agent", "--group", "l2")
    assert result.output.strip() == "agent@example.com: agent, groups l2"
    assert (
        "groups -" in run(app, "users", "set-role", "agent@example.com", "--role", "admin").output
    )
    assert run(app, "users", "set-role", "ghost@example.com", "--role", "admin").exit_code == 1
