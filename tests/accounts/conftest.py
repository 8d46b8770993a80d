"""Fixtures for account tests: a real app on a real database (SQLite, and PostgreSQL in CI)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from accounts_sample import ARTICLES
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from support import TEST_PASSWORD, cheap_password_hashing, write_tree

from kbportal import create_app
from kbportal.accounts import services
from kbportal.accounts.models import User
from kbportal.analytics import get_analytics
from kbportal.db import get_database

PASSWORD = TEST_PASSWORD


@pytest.fixture
def app(db_url: str, tmp_path: Path) -> Iterator[Flask]:
    """The real app on the test database and a small real KB, with CSRF on as in production."""
    write_tree(tmp_path / "articles", ARTICLES)
    application = create_app(
        {
            "DATA_DIR": tmp_path / "data",
            "ARTICLES_DIR": tmp_path / "articles",
            "DATABASE_URL": db_url,
            "SECRET_KEY": "test-secret",
            "TESTING": True,
        }
    )
    yield application
    get_analytics(application).close()  # buffered views go in before the database is dropped
    get_database(application).dispose()


@pytest.fixture
def db(app: Flask) -> Iterator[Session]:
    """A session on the app's database (no app context: requests must get their own `g`)."""
    session = get_database(app).session()
    yield session
    session.close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def make_user(db: Session) -> Callable[..., User]:
    """Create a user with the test password."""

    def make(email: str = "agent@example.com", role: str = "agent", groups: tuple[str, ...] = ()):
        return services.create_user(db, email, PASSWORD, role=role, groups=groups)

    return make


@pytest.fixture(autouse=True)
def cheap_hashing() -> Iterator[None]:
    """Every test here signs in: argon2id with small parameters (support.py)."""
    with cheap_password_hashing():
        yield
