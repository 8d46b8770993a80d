"""The SQL database: declarative base, engines, per-request sessions and Alembic migrations."""

from __future__ import annotations

import logging
import os
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from filelock import FileLock
from flask import Flask, current_app, g
from flask.cli import AppGroup
from sqlalchemy import Connection, DateTime, Engine, MetaData, create_engine, event, make_url, text
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from kbportal import db_recovery

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
EXTENSION_KEY = "kbportal_db"
# Arbitrary constant: the PostgreSQL advisory lock that serialises migrations across workers.
PG_MIGRATION_LOCK = 0x6B6270  # "kbp"
# alembic's `context` and `op` are module globals: two migrations at once in one process (two
# apps, or the events thread beside a request) would swap each other's proxies mid-run.
_ALEMBIC_LOCK = threading.Lock()
DEFAULT_TIMEOUT = 5.0  # seconds a statement may wait for a lock (KBPORTAL_DB_TIMEOUT)

# Named constraints so migrations can alter them on SQLite (batch mode) and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of every table in kbportal."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored naive in UTC and always read back timezone-aware."""

    # SQLite has no time zones; storing naive UTC keeps both backends comparing the same way.
    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


def make_engine(url: str, timeout: float = DEFAULT_TIMEOUT, **kwargs: Any) -> Engine:
    """An engine for `url`; SQLite gets WAL, a busy timeout and foreign keys on every connection.

    `timeout` bounds how long a statement waits for a lock (and PostgreSQL for a connection):
    a request must not hold its thread for half a minute behind a locked database.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        kwargs.setdefault("pool_pre_ping", True)
        if parsed.get_backend_name() == "postgresql":
            kwargs.setdefault("connect_args", {}).setdefault(
                "connect_timeout", max(1, int(timeout))
            )
        engine = create_engine(url, **kwargs)
        if parsed.get_backend_name() == "postgresql":

            @event.listens_for(engine, "connect")
            def _pg_lock_timeout(dbapi_connection: Any, _record: Any) -> None:
                cursor = dbapi_connection.cursor()
                cursor.execute(f"SET lock_timeout = {int(timeout * 1000)}")
                cursor.close()
                dbapi_connection.commit()  # a SET in a rolled-back transaction would be undone

        db_recovery.install(engine)
        return engine
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": timeout}, **kwargs)

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")  # readers never block the writer
        # Wait for another worker's write, not fail; but not for long (see `timeout`).
        cursor.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")  # durable in WAL mode except on power loss
        cursor.close()

    db_recovery.install(engine)
    return engine


def alembic_config(url: str) -> AlembicConfig:
    """An Alembic configuration for kbportal's migrations on the database at `url`."""
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    # ConfigParser interpolation would choke on a '%' in a password.
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def head_revision() -> str | None:
    """The newest migration revision shipped with this code."""
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The migration revision the database is at, or None for an empty database."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[None]:
    """Hold a lock across processes so only one worker migrates at a time."""
    url = engine.url
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        lock_path = Path(url.database).with_name(Path(url.database).name + ".migrate.lock")
        with FileLock(lock_path):  # the one cross-process file lock (as builds and syncs)
            yield
    elif url.get_backend_name() == "postgresql":
        with engine.connect() as connection:
            # Another worker's migration may take longer than a request's lock timeout: wait.
            connection.execute(text("SET LOCAL lock_timeout = 0"))
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": PG_MIGRATION_LOCK})
            connection.commit()
            try:
                yield
            finally:
                connection.execute(
                    text("SELECT pg_advisory_unlock(:key)"), {"key": PG_MIGRATION_LOCK}
                )
                connection.commit()
    else:
        yield


def upgrade(engine: Engine, revision: str = "head") -> bool:
    """Migrate the database to `revision`; True if anything ran. Safe to call from every worker."""
    if revision == "head" and current_revision(engine) == head_revision():
        return False
    with _ALEMBIC_LOCK, _migration_lock(engine), engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SET LOCAL lock_timeout = 0"))  # DDL waits for its locks
        cfg = alembic_config(engine.url.render_as_string(hide_password=False))
        cfg.attributes["connection"] = connection
        before = MigrationContext.configure(connection).get_current_revision()
        command.upgrade(cfg, revision)
        after = MigrationContext.configure(connection).get_current_revision()
    if before != after:
        log.info("database migrated from %s to %s", before or "empty", after)
    return before != after


class Database:
    """One app's engine and session factory; migrates the database on first use."""

    def __init__(self, url: str, *, auto_upgrade: bool = True, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._ready = not auto_upgrade
        self._ready_lock = threading.Lock()
        _LIVE.add(self)

    def ensure_ready(self) -> None:
        """Migrate to the newest revision once per process (one query when already there)."""
        if self._ready:
            return
        with self._ready_lock:
            if not self._ready:
                upgrade(self.engine)
                self._ready = True

    def session(self) -> Session:
        """A new session on a migrated database; the caller closes it."""
        self.ensure_ready()
        return self.sessions()

    def connect(self) -> Connection:
        """A pooled connection on a migrated database for Core reads; the caller closes it."""
        self.ensure_ready()
        return self.engine.connect()

    def dispose(self) -> None:
        """Close every pooled connection (after a fork, or at shutdown)."""
        self.engine.dispose()


_LIVE: weakref.WeakSet[Database] = weakref.WeakSet()


def _forget_pools_in_child() -> None:
    # A forked worker must not use (or, on garbage collection, close) its parent's connections.
    global _ALEMBIC_LOCK
    _ALEMBIC_LOCK = threading.Lock()  # as below: a parent thread may have held it at the fork
    for database in list(_LIVE):
        database.engine.dispose(close=False)
        database._ready_lock = threading.Lock()  # another thread may have held it at the fork


os.register_at_fork(after_in_child=_forget_pools_in_child)


def get_database(app: Flask | None = None) -> Database:
    """The Database of `app` (default: the current app)."""
    target = app or current_app
    try:
        return target.extensions[EXTENSION_KEY]
    except KeyError:
        raise RuntimeError("kbportal.db.init_app(app) has not been called") from None


def get_session() -> Session:
    """The session of the current request (or app context), closed when the context ends."""
    if "kbportal_db_session" not in g:
        g.kbportal_db_session = get_database().session()
    session: Session = g.kbportal_db_session
    return session


def _close_session(_exc: BaseException | None) -> None:
    session: Session | None = g.pop("kbportal_db_session", None)
    if session is not None:
        session.close()  # rolls back anything a failed request left uncommitted


db_cli = AppGroup("db", help="Database migrations.")


@db_cli.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def upgrade_command(revision: str) -> None:
    """Apply migrations up to REVISION."""
    database = get_database()
    changed = upgrade(database.engine, revision)
    state = "migrated" if changed else "already"
    click.echo(f"{state} at {current_revision(database.engine) or 'empty'}")


@db_cli.command("current")
def current_command() -> None:
    """Print the database's migration revision and the newest one available."""
    click.echo(f"current: {current_revision(get_database().engine) or 'empty'}")
    click.echo(f"head:    {head_revision()}")


def init_app(app: Flask) -> Database:
    """Attach the database to `app`; it is migrated to the newest revision on first use."""
    # Migrating automatically keeps `make serve` a single command, and the lock makes it safe
    # when several workers start at once. On first use rather than at startup: commands such as
    # `kbportal check` in an editors' CI never touch the database and must not create one, and
    # public pages keep serving while the database is unreachable.
    timeout = float(app.config.get("KBPORTAL_DB_TIMEOUT") or DEFAULT_TIMEOUT)
    database = Database(app.config["KBPORTAL_DATABASE_URL"], timeout=timeout)
    app.extensions[EXTENSION_KEY] = database
    app.teardown_appcontext(_close_session)
    app.cli.add_command(db_cli)
    return database
