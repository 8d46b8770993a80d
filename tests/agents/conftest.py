"""Fixtures for the agents' workspace: a real app, real database, real KB, real accounts."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from agents_sample import ARTICLES, sign_in
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from support import TEST_PASSWORD, cheap_password_hashing, write_tree

from kbportal import create_app, publish
from kbportal.accounts import services
from kbportal.accounts.models import User
from kbportal.analytics import get_analytics
from kbportal.db import get_database


@pytest.fixture
def articles_dir(tmp_path: Path) -> Path:
    """A fresh copy of the sample articles."""
    return write_tree(tmp_path / "articles", ARTICLES)


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
    get_analytics(application).close()
    get_database(application).dispose()
    publish.close_all()


@pytest.fixture
def db(app: Flask) -> Iterator[Session]:
    """A session on the app's database."""
    session = get_database(app).session()
    yield session
    session.close()


@pytest.fixture(autouse=True)
def cheap_hashing() -> Iterator[None]:
    """Every test here signs in: argon2id with small parameters (support.py)."""
    with cheap_password_hashing():
        yield


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
