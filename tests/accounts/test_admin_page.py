"""The admin page: users, roles, groups and tokens managed in the browser, CSRF-checked, audited."""

from __future__ import annotations

from accounts_sample import PASSWORD, csrf_token, sign_in
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from kbportal.accounts import audit, services, tokens

PAGE = "/staff/admin/users"
STRONG = "a-long-enough-passphrase"


def admin_client(app: Flask, make_user) -> FlaskClient:
    make_user("boss@example.com", role="admin")
    client = app.test_client()
    sign_in(client, "boss@example.com")
    return client


def post(client: FlaskClient, url: str, **form: str):
    return client.post(url, data={**form, "csrf_token": csrf_token(client, PAGE)})


def actions(db: Session) -> list[tuple[str, str, str]]:
    db.expire_all()
    return [(e.actor, e.action, e.target) for e in reversed(audit.recent(db))]


def test_only_admins_reach_it(app: Flask, client: FlaskClient, make_user) -> None:
    assert client.get(PAGE).location.startswith("/login?next=/staff/admin/users")
    make_user("agent@example.com")
    sign_in(client, "agent@example.com")
    assert client.get(PAGE).status_code == 403
    assert client.post(PAGE, data={"email": "x@example.com"}).status_code in (400, 403)
    assert "/staff/admin" not in client.get("/staff/search").text  # not in an agent's nav


def test_add_change_disable_and_reset_a_user(app: Flask, db: Session, make_user) -> None:
    boss = admin_client(app, make_user)
    page = boss.get(PAGE)
    assert page.status_code == 200 and "no-store" in page.headers["Cache-Control"]
    assert 'href="/staff/admin/users" aria-current="page"' in page.text
    created = post(
        boss, PAGE, email="New@Example.com", role="agent", groups="billing, l2", password=STRONG
    )
    assert created.status_code == 303
    assert "Created new@example.com." in boss.get(PAGE).text
    user = services.get_user(db, "new@example.com")
    assert user is not None and user.groups == {"billing", "l2"}
    assert post(boss, f"{PAGE}/{user.id}/role", role="editor", groups="l2").status_code == 303
    assert post(boss, f"{PAGE}/{user.id}/active", active="0").status_code == 303
    assert post(boss, f"{PAGE}/{user.id}/password", password=STRONG + "!").status_code == 303
    db.expire_all()
    user = services.get_user(db, "new@example.com")
    assert user is not None and (user.role, user.groups, user.active) == ("editor", {"l2"}, False)
    assert actions(db) == [
        ("boss@example.com", "user.create", "new@example.com"),
        ("boss@example.com", "user.role", "new@example.com"),
        ("boss@example.com", "user.disable", "new@example.com"),
        ("boss@example.com", "user.password", "new@example.com"),
    ]
    details = audit.recent(db)[2].details  # the role change says what it was before
    assert details["was"] == {"role": "agent", "groups": ["billing", "l2"]}
    assert STRONG not in str([e.detail for e in audit.recent(db)])  # never a password
    history = boss.get(PAGE).text
    assert "user.role" in history and "Recent changes" in history


def test_bad_input_is_refused_and_changes_nothing(app: Flask, db: Session, make_user) -> None:
    boss = admin_client(app, make_user)
    weak = post(boss, PAGE, email="weak@example.com", role="agent", password="short")
    assert weak.status_code == 400 and "notice-error" in weak.text
    bad_role = post(boss, PAGE, email="r@example.com", role="owner", password=STRONG)
    assert bad_role.status_code == 400
    assert post(boss, f"{PAGE}/99999/role", role="agent").status_code == 400
    assert services.get_user(db, "weak@example.com") is None
    assert actions(db) == []


def test_an_admin_cannot_lock_themselves_out(app: Flask, db: Session, make_user) -> None:
    boss = admin_client(app, make_user)
    me = services.get_user(db, "boss@example.com")
    assert me is not None
    demote = post(boss, f"{PAGE}/{me.id}/role", role="agent", groups="")
    assert demote.status_code == 400 and "ask another admin" in demote.text
    assert post(boss, f"{PAGE}/{me.id}/active", active="0").status_code == 400
    assert boss.get(PAGE).status_code == 200  # still an admin


def test_forms_without_the_csrf_token_are_refused(app: Flask, db: Session, make_user) -> None:
    boss = admin_client(app, make_user)
    form = {"email": "csrf@example.com", "role": "admin", "password": STRONG}
    assert boss.post(PAGE, data=form).status_code == 400
    assert services.get_user(db, "csrf@example.com") is None


def test_tokens_created_once_shown_and_revoked(app: Flask, db: Session, make_user) -> None:
    boss = admin_client(app, make_user)
    make_user("desk@example.com")
    created = post(boss, "/staff/admin/tokens", email="desk@example.com", name="helpdesk")
    assert created.status_code == 200 and "no-store" in created.headers["Cache-Control"]
    token = tokens.list_tokens(db)[0]
    raw = created.text.split('aria-label="API token"')[0].rsplit('value="', 1)[1].split('"')[0]
    assert raw.startswith(token.prefix) and tokens.staff_for_token(db, raw) is not None
    assert raw not in boss.get(PAGE).text  # shown once
    assert post(boss, f"/staff/admin/tokens/{token.id}/revoke").status_code == 303
    db.expire_all()
    assert tokens.staff_for_token(db, raw) is None
    assert actions(db)[-2:] == [
        ("boss@example.com", "token.create", "desk@example.com"),
        ("boss@example.com", "token.revoke", "desk@example.com"),
    ]


def test_command_line_changes_are_audited_too(app: Flask, db: Session) -> None:
    runner = app.test_cli_runner()
    runner.invoke(args=["users", "create", "cli@example.com", "--password-stdin"], input=PASSWORD)
    runner.invoke(args=["users", "disable", "cli@example.com"])
    assert actions(db) == [
        ("command line", "user.create", "cli@example.com"),
        ("command line", "user.disable", "cli@example.com"),
    ]


def test_the_page_speaks_russian(app: Flask, make_user) -> None:
    boss = admin_client(app, make_user)
    page = boss.get(PAGE + "?locale=ru").text
    assert "Пользователи и токены" in page and "Добавить сотрудника" in page
