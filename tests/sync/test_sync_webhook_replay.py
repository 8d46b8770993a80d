"""A signed push is acted on once: replays start nothing, providers' retries still get a 2xx."""

from __future__ import annotations

import json
import time

import pytest
from test_sync_webhook import PROVIDERS, github, make_app, post

from kbportal.sync.web import EXTENSION


def push(after: str = "a" * 40, **extra: object) -> bytes:
    return json.dumps({"ref": "refs/heads/main", "after": after, **extra}).encode()


@PROVIDERS
def test_the_same_signed_push_twice_starts_one_sync(tmp_path, sign):
    app = make_app(tmp_path)
    body = push()
    first = post(app, body, sign(body))
    assert first.status_code == 202
    runner = app.extensions.pop(EXTENSION)
    runner.wait(first.get_json()["sync_id"], timeout=30)
    again = post(app, body, sign(body))
    assert again.status_code == 200  # a provider retrying after a timeout sees success...
    assert again.get_json()["status"] == "duplicate"
    assert EXTENSION not in app.extensions  # ...and nothing runs a second time


def test_a_new_delivery_id_does_not_make_a_replay_new(tmp_path):
    """GitHub does not sign X-GitHub-Delivery: the signed body decides what is a replay."""
    app = make_app(tmp_path)
    body = push()
    headers = {**github(body), "X-GitHub-Delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958"}
    first = post(app, body, headers)
    assert first.status_code == 202
    app.extensions.pop(EXTENSION).wait(first.get_json()["sync_id"], timeout=30)
    headers["X-GitHub-Delivery"] = "11111111-2222-3333-4444-555555555555"
    assert post(app, body, headers).get_json()["status"] == "duplicate"


def test_two_pushes_are_both_acted_on(tmp_path):
    app = make_app(tmp_path)
    for after in ("a" * 40, "b" * 40):
        body = push(after)
        assert post(app, body, github(body)).status_code == 202


@pytest.mark.parametrize("where", ["repository", "top"])
def test_a_push_older_than_a_week_is_refused(tmp_path, where):
    app = make_app(tmp_path)
    old = int(time.time()) - 8 * 86400
    extra = {"repository": {"pushed_at": old}} if where == "repository" else {"pushed_at": old}
    body = push(**extra)
    response = post(app, body, github(body))
    assert response.status_code == 409
    assert response.get_json()["error"] == "stale delivery"
    assert EXTENSION not in app.extensions
    fresh = push(**{"pushed_at": int(time.time())})
    assert post(app, fresh, github(fresh)).status_code == 202


def test_malformed_timestamps_are_not_stale(tmp_path):
    app = make_app(tmp_path)
    for stamp in ("2026-01-01T00:00:00Z", True, 10**30, None):
        body = push(repository={"pushed_at": stamp})
        assert post(app, body, github(body)).status_code == 202


def test_the_first_delivery_is_new_on_every_database(db_url):
    # psycopg reports rowcount -1 for INSERT .. ON CONFLICT DO NOTHING: every push was a "replay".
    from kbportal.db import Database, utcnow
    from kbportal.sync.deliveries import first_delivery

    database = Database(db_url)
    try:
        with database.connect() as connection:
            assert first_delivery(connection, b'{"after": "1"}', "github", None, utcnow())
            assert not first_delivery(connection, b'{"after": "1"}', "github", None, utcnow())
            assert first_delivery(connection, b'{"after": "2"}', "github", None, utcnow())
    finally:
        database.dispose()
