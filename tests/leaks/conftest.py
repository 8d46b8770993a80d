"""One built sample KB with internal articles, staff accounts and tokens, for the leak tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from leaks_sample import ARTICLES, Tokens, sign_in
from support import TEST_PASSWORD, cheap_password_hashing, close_app, make_app

from kbportal import publish
from kbportal.accounts import services, tokens
from kbportal.db import get_database


@pytest.fixture(scope="session", autouse=True)
def cheap_hashing() -> Iterator[None]:
    """Staff sign in throughout: argon2id with small parameters (support.py)."""
    with cheap_password_hashing():
        yield


@pytest.fixture(scope="session")
def leak_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The real app over the leak sample, with CSRF on, a real SQLite database and real users."""
    app = make_app(tmp_path_factory.mktemp("leaks"), ARTICLES, SECRET_KEY="leak-secret")
    session = get_database(app).session()
    try:
        services.create_user(session, "agent@example.com", TEST_PASSWORD)
        services.create_user(session, "l2@example.com", TEST_PASSWORD, groups=("l2",))
        services.create_user(session, "gone@example.com", TEST_PASSWORD)
    finally:
        session.close()
    yield app
    close_app(app)
    publish.close_all()


@pytest.fixture(scope="session")
def api_tokens(leak_app: Flask) -> Tokens:
    """A live token, a revoked one, and one of a user who was disabled afterwards."""
    session = get_database(leak_app).session()
    try:
        _row, live = tokens.create_token(session, "agent@example.com", "live")
        row, revoked = tokens.create_token(session, "agent@example.com", "revoked")
        tokens.revoke_token(session, row.id)
        _row, disabled = tokens.create_token(session, "gone@example.com", "user disabled")
        services.set_active(session, "gone@example.com", False)
    finally:
        session.close()
    return Tokens(live, revoked, disabled)


@pytest.fixture
def public(leak_app: Flask) -> FlaskClient:
    """A customer: no cookie, no token."""
    return leak_app.test_client()


@pytest.fixture(scope="session")
def agent(leak_app: Flask) -> FlaskClient:
    """A signed-in agent in no audience group."""
    client = leak_app.test_client()
    sign_in(client, "agent@example.com")
    return client


@pytest.fixture
def articles_dir(leak_app: Flask) -> Path:
    return Path(leak_app.config["KBPORTAL_ARTICLES_DIR"])
