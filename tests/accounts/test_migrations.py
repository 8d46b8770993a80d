"""Alembic migrations on an empty database, SQLite and PostgreSQL."""

from __future__ import annotations

import subprocess
import sys

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from kbportal.db import (
    Base,
    alembic_config,
    current_revision,
    head_revision,
    make_engine,
    upgrade,
)
from kbportal.models import import_models

TABLES = {
    "users",
    "user_groups",
    "api_tokens",
    "login_attempts",
    "view_counts",
    "search_log",
    "search_clicks",
    "article_votes",
    "agent_copies",
    "search_daily",
    "gap_decisions",
}


def test_migrations_build_the_models_schema(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        assert current_revision(engine) is None
        assert upgrade(engine) is True
        assert current_revision(engine) == head_revision()
        assert set(inspect(engine).get_table_names()) >= TABLES
        import_models()
        with engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        assert diff == [], "models and migrations disagree: write a migration"
        assert upgrade(engine) is False  # at head: nothing to do
    finally:
        engine.dispose()


def test_downgrade_to_base_and_back(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        upgrade(engine)
        command.downgrade(alembic_config(db_url), "base")
        assert not TABLES & set(inspect(engine).get_table_names())
        assert upgrade(engine) is True
        assert set(inspect(engine).get_table_names()) >= TABLES
    finally:
        engine.dispose()


def test_workers_starting_together_migrate_once(db_url: str) -> None:
    code = (
        "import sys; from kbportal.db import make_engine, upgrade;"
        "print(upgrade(make_engine(sys.argv[1])))"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", code, db_url], stdout=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    outputs = [proc.communicate(timeout=120)[0].strip() for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0, 0]
    assert sorted(outputs) == ["False", "False", "True"]
