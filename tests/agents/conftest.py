"""Fixtures for the agents' workspace: a real app, real database, real KB, real accounts."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from agents_sample import ARTICLES, sign_in
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from kbportal import create_app, publish
from kbportal.accounts import services
from kbportal.accounts.models import User
from kbportal.accounts.testing import BACKENDS, TEST_PASSWORD, postgres_url, temporary_database
from kbportal.db import get_database
from kbportal.events import get_event_log


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: SQLite always, PostgreSQL when KBPORTAL_TEST_POSTGRES_URL is set."""
    if request.param == "postgresql" and postgres_url() is None:
        pytest.skip("KBPORTAL_TEST_POSTGRES_URL is not set (see scripts/test-postgres.sh)")
    with temporary_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def articles_dir(tmp_path: Path) -> Path:
    """A fresh copy of the sample articles."""
    root = tmp_path / "articles"
    for relpath, body in ARTICLES.items():
        path = root / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body, encoding="utf-8")
    return root


@pytest.fixture
def app(db_url: str, articles_dir: Path, tmp_path: Path) -> Iterator[Flask]:
    """The real app with CSRF on, as in production."""
    application = create_app(
        {
            "DATA_DIR": tmp_path / "data",
            "ARTICLES_DIR": articles_dir,
            "DATABASE_URL": db_url,
            "SECRET_KEY": "test-secret",
            "TESTING": True,
        }
    )
    yield application
    get_event_log(application).close()
    get_database(application).dispose()
    publish.close_all()


@pytest.fixture
def db(app: Flask) -> Iterator[Session]:
    """A session on the app's database."""
    session = get_database(app).session()
    yield session
    session.close()


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id with small parameters: the same code path, a fraction of the time."""
    monkeypatch.setattr(
        services, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )


@pytest.fixture
def make_user(db: Session) -> Callable[..., User]:
    """Create a staff user with the test password."""

    def make(email: str, role: str = "agent", groups: tuple[str, ...] = ()) -> User:
        return services.create_user(db, email, TEST_PASSWORD, role=role, groups=groups)

    return make


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def agent(client: FlaskClient, make_user: Callable[..., User]) -> FlaskClient:
    """A client signed in as a plain agent (no audience groups)."""
    make_user("agent@example.com")
    sign_in(client, "agent@example.com")
    return client


@pytest.fixture
def editor(app: Flask, make_user: Callable[..., User]) -> FlaskClient:
    """A client signed in as an editor."""
    make_user("editor@example.com", role="editor")
    client = app.test_client()
    sign_in(client, "editor@example.com")
    return client
