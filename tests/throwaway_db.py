"""Throwaway databases for tests and benchmarks: SQLite always, PostgreSQL when configured.

Test modules import it as `throwaway_db`; benchmarks put `tests/` on sys.path first.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, make_url, text

POSTGRES_ENV = "KBPORTAL_TEST_POSTGRES_URL"
BACKENDS = ("sqlite", "postgresql")


def postgres_url() -> str | None:
    """The PostgreSQL server tests may use (see scripts/test-postgres.sh), or None."""
    return os.environ.get(POSTGRES_ENV) or None


@contextmanager
def temporary_database(backend: str, directory: Path) -> Iterator[str]:
    """The URL of a new empty database, dropped afterwards (SQLite: a file in `directory`)."""
    if backend == "sqlite":
        yield f"sqlite:///{directory / 'kbportal.sqlite'}"
        return
    base = postgres_url()
    if base is None:
        raise LookupError(f"{POSTGRES_ENV} is not set")
    # A schema per test, not a database: CREATE DATABASE costs ~0.6 s, CREATE SCHEMA ~nothing.
    name = "kbp_test_" + secrets.token_hex(6)
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{name}"'))
        url = make_url(base).update_query_dict({"options": f"-csearch_path={name}"})
        yield url.render_as_string(hide_password=False)
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
    finally:
        admin.dispose()
