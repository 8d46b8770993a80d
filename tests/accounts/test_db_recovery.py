"""The database going read-only and coming back: sign-in and page views recover by themselves."""

from __future__ import annotations

import secrets
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from accounts_sample import ARTICLES, PASSWORD, csrf_token, sign_in
from flask import Flask
from sqlalchemy import create_engine, func, make_url, select, text
from support import close_app, write_tree
from throwaway_db import BACKENDS, postgres_url

from kbportal import create_app
from kbportal.accounts import services
from kbportal.analytics import get_analytics
from kbportal.analytics.models import Click, ViewCount
from kbportal.db import get_database, utcnow

Switch = Callable[[bool], None]


def sqlite_switch(tmp_path: Path) -> tuple[str, Switch]:
    """A SQLite file made immutable (chattr +i: read-only even for root) and writable again."""
    if shutil.which("chattr") is None:
        pytest.skip("chattr is not installed")
    probe = tmp_path / "chattr-probe"
    probe.touch()
    if subprocess.run(["chattr", "+i", str(probe)], capture_output=True).returncode != 0:
        pytest.skip("this filesystem (or user) cannot make a file immutable")
    subprocess.run(["chattr", "-i", str(probe)], check=True)
    path = tmp_path / "kbportal.sqlite"

    def switch(read_only: bool) -> None:
        subprocess.run(["chattr", "+i" if read_only else "-i", str(path)], check=True)

    return f"sqlite:///{path}", switch


@pytest.fixture(params=BACKENDS)
def switchable(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Switch]]:
    """A database URL and a switch that makes new connections to it read-only, or not."""
    if request.param == "sqlite":
        url, switch = sqlite_switch(tmp_path)
        yield url, switch
        switch(False)
        return
    base = postgres_url()
    if base is None:
        pytest.skip("KBPORTAL_TEST_POSTGRES_URL is not set")
    # Its own role and schema: ALTER ROLE ... read-only then touches nobody else's tests.
    name = "kbp_ro_" + secrets.token_hex(5)
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE ROLE "{name}" LOGIN'))
        connection.execute(text(f'CREATE SCHEMA "{name}" AUTHORIZATION "{name}"'))
    url = make_url(base).set(username=name).update_query_dict({"options": f"-csearch_path={name}"})

    def switch(read_only: bool) -> None:
        value = "on" if read_only else "off"
        with admin.connect() as connection:
            connection.execute(
                text(f'ALTER ROLE "{name}" SET default_transaction_read_only = {value}')
            )

    try:
        yield url.render_as_string(hide_password=False), switch
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
            connection.execute(text(f'DROP OWNED BY "{name}"'))
            connection.execute(text(f'DROP ROLE IF EXISTS "{name}"'))
        admin.dispose()


@pytest.fixture
def app(switchable: tuple[str, Switch], tmp_path: Path) -> Iterator[Flask]:
    write_tree(tmp_path / "articles", ARTICLES)
    application = create_app(
        {
            "DATA_DIR": tmp_path / "data",
            "ARTICLES_DIR": tmp_path / "articles",
            "DATABASE_URL": switchable[0],
            "SECRET_KEY": "test-secret",
            "TESTING": True,
        }
    )
    yield application
    close_app(application)


def views(app: Flask) -> int:
    with get_database(app).session() as session:
        return int(session.scalar(select(func.coalesce(func.sum(ViewCount.views), 0))) or 0)


def click_row(n: int) -> dict[str, object]:
    now = utcnow()
    return {
        "search_id": None,
        "at": now,
        "day": now.date(),
        "article": "en/account/reset",
        "section": "",
        "position": n + 1,
        "session_id": None,
        "segment": "customer",
        "surface": "page",
    }


def clicks(app: Flask) -> int:
    with get_database(app).session() as session:
        return int(session.scalar(select(func.count(Click.id))) or 0)


def test_sign_in_and_views_recover_when_the_database_is_writable_again(
    app: Flask, switchable: tuple[str, Switch]
) -> None:
    switch = switchable[1]
    database = get_database(app)
    with database.session() as session:
        services.create_user(session, "agent@example.com", PASSWORD, role="agent")
    events = get_analytics(app).recorder
    events.view(utcnow().date(), "en/account/reset")
    events.flush()
    assert views(app) == 1

    switch(True)
    database.dispose()  # connections opened during the outage (a new worker, a recycled pool)
    client = app.test_client()
    form = {"email": "agent@example.com", "password": "x", "csrf_token": csrf_token(client)}
    assert client.post("/login", data=form).status_code == 503
    for _ in range(3):
        events.view(utcnow().date(), "en/account/reset")
    assert events.flush() == 0  # kept for later, not dropped
    assert events.dropped == 0

    switch(False)
    # The very next attempts work: no worker restart.
    assert sign_in(client, "agent@example.com").status_code == 302
    events.flush()  # (the background flusher may have written them already)
    assert views(app) == 4 and events.dropped == 0


def test_a_full_buffer_counts_what_it_drops(app: Flask, switchable: tuple[str, Switch]) -> None:
    events = get_analytics(app).recorder
    # A tiny buffer, and no background flush racing the counts below.
    events.max_buffer, events.batch_size, events.flush_interval = 5, 1000, 3600.0
    events.view(utcnow().date(), "en/account/reset")
    events.flush()  # the schema exists before the outage
    switch = switchable[1]
    switch(True)
    get_database(app).dispose()
    for n in range(8):
        events.click(click_row(n))
        events.flush()
    kept = events.pending()
    assert kept <= 5
    assert events.dropped + kept == 8  # nothing lost without being counted
    switch(False)
    events.flush()
    assert clicks(app) == kept
