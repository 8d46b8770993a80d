"""Who a request belongs to: one read per staff request, no writes, and every change at once."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from accounts_sample import L2_TITLE, sign_in
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event
from sqlalchemy.orm import Session

from kbportal.accounts import identity, services, sessions, tokens
from kbportal.db import get_database, utcnow

SEARCH = "/api/v1/search?q=outage"
PAGE = "/en/articles/account/reset"


@contextmanager
def statements(app: Flask) -> Iterator[list[str]]:
    """The SQL statements the app's engine runs inside the block."""
    seen: list[str] = []

    def note(_conn, _cursor, sql: str, *_args) -> None:
        seen.append(sql.split(None, 1)[0].upper())

    engine = get_database(app).engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def titles(response) -> set[str]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return {hit["title"] for hit in response.get_json()["results"]}


def test_a_signed_in_page_view_reads_the_user_once(app: Flask, client, make_user) -> None:
    make_user(groups=("l2",))
    sign_in(client, "agent@example.com")
    client.get(PAGE)  # the first request after sign-in may migrate/warm up
    with statements(app) as seen:
        assert client.get(PAGE).status_code == 200
    assert seen == ["SELECT"]


def test_a_token_request_reads_once_and_writes_only_after_answering(
    app: Flask, client: FlaskClient, db: Session, make_user
) -> None:
    make_user()
    _token, raw = tokens.create_token(db, "agent@example.com")
    with statements(app) as seen:
        response = client.get(SEARCH, headers={"Authorization": f"Bearer {raw}"})
        assert response.status_code == 200
        assert seen == ["SELECT"]
        response.close()
    assert seen == ["SELECT", "UPDATE"]
    with statements(app) as seen:
        client.get(SEARCH, headers={"Authorization": f"Bearer {raw}"}).close()
    assert seen == ["SELECT"]  # used within the minute: nothing to write


def test_role_and_group_changes_apply_to_the_next_request(
    client: FlaskClient, db: Session, make_user
) -> None:
    make_user()
    _token, raw = tokens.create_token(db, "agent@example.com")
    headers = {"Authorization": f"Bearer {raw}"}
    assert L2_TITLE not in titles(client.get(SEARCH, headers=headers))
    services.set_role(db, "agent@example.com", "agent", groups=("l2",))
    assert L2_TITLE in titles(client.get(SEARCH, headers=headers))
    services.set_role(db, "agent@example.com", "agent", groups=())
    assert L2_TITLE not in titles(client.get(SEARCH, headers=headers))


def test_session_ids_are_parsed_strictly(db: Session, make_user) -> None:
    user = make_user(groups=("l2", "billing"))
    session_id = sessions.start(db.connection(), user.id, utcnow())
    db.commit()
    live = sessions.id_hash(session_id)
    staff = identity.staff_for_live_session(db, user.get_id(), live)
    assert staff is not None
    assert (staff.id, staff.email, staff.role) == (user.id, user.email, "agent")
    assert staff.groups == frozenset({"l2", "billing"})
    assert staff.get_id() == user.get_id()
    for ident in ["", ":", f"{user.id}", f"{user.id}:", "x:1", f"{user.id}:2", "١:١", "9" * 40]:
        assert identity.staff_for_live_session(db, ident, live) is None, ident
    assert identity.staff_for_live_session(db, user.get_id(), "no such session") is None
