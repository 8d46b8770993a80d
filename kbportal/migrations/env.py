"""Alembic environment: migrates the database of kbportal.db.upgrade or `alembic -x url=...`."""

from __future__ import annotations

import logging
from typing import Any, Literal

from alembic import context
from sqlalchemy import Connection

from kbportal.db import Base, UTCDateTime, make_engine
from kbportal.models import import_models

log = logging.getLogger(__name__)

import_models()  # every table must be on the metadata for autogenerate
target_metadata = Base.metadata
config = context.config


def _render_item(type_: str, obj: Any, _autogen_context: Any) -> str | Literal[False]:
    """Write our column types as plain SQLAlchemy ones: migrations must not import app code."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime()"
    return False


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite can only ALTER tables by copying them
        compare_type=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations() -> None:
    """Run the migrations on the connection we were given, or on the configured URL."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option(
        "sqlalchemy.url"
    )
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=target_metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(str(url))
    with engine.connect() as conn:
        _run(conn)
        conn.commit()
    engine.dispose()


run_migrations()
