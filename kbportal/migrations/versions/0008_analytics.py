"""analytics: search log, clicks, votes, copies, surface events, aggregates; events moved out

Revision ID: analytics
Revises: support_site_url
Create Date: 2026-11-29
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "analytics"
down_revision = "support_site_url"
branch_labels = None
depends_on = None

BATCH = 5000


def _create_tables() -> None:
    op.create_table(
        "search_log",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("session_id", sa.String(length=32), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("surface", sa.String(length=16), nullable=False),
        sa.Column("locale", sa.String(length=16), nullable=False),
        sa.Column("query", sa.String(length=500), nullable=False),
        sa.Column("normalized", sa.String(length=500), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("corrected", sa.String(length=500), nullable=True),
        sa.Column("shown", sa.Text(), nullable=False),
        sa.Column("filters", sa.String(length=255), nullable=False),
        sa.Column("segment", sa.String(length=16), nullable=False),
        sa.Column("page", sa.Integer(), nullable=False),
        sa.Column("clicks", sa.Integer(), nullable=False),
        sa.Column("reformulated", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_log")),
    )
    with op.batch_alter_table("search_log", schema=None) as batch_op:
        batch_op.create_index("ix_search_log_at", ["at"], unique=False)
        batch_op.create_index("ix_search_log_normalized", ["normalized"], unique=False)
        batch_op.create_index(
            "ix_search_log_segment_day", ["segment", "day", "locale", "surface"], unique=False
        )
    op.create_table(
        "search_clicks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("search_id", sa.BigInteger(), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("article", sa.String(length=512), nullable=False),
        sa.Column("section", sa.String(length=255), nullable=False),
        sa.Column("position", sa.Integer(), nullable=True),
        sa.Column("session_id", sa.String(length=32), nullable=True),
        sa.Column("segment", sa.String(length=16), nullable=False),
        sa.Column("surface", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_clicks")),
    )
    op.create_table(
        "surface_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("surface", sa.String(length=16), nullable=False),
        sa.Column("locale", sa.String(length=16), nullable=False),
        sa.Column("article", sa.String(length=512), nullable=True),
        sa.Column("articles", sa.Text(), nullable=False),
        sa.Column("query", sa.String(length=500), nullable=False),
        sa.Column("session_id", sa.String(length=64), nullable=True),
        sa.Column("request_type", sa.String(length=64), nullable=False),
        sa.Column("segment", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_surface_events")),
    )
    with op.batch_alter_table("surface_events", schema=None) as batch_op:
        batch_op.create_index("ix_surface_events_kind_day", ["kind", "day"], unique=False)
    with op.batch_alter_table("search_clicks", schema=None) as batch_op:
        batch_op.create_index("ix_search_clicks_article", ["article"], unique=False)
        batch_op.create_index("ix_search_clicks_day", ["day"], unique=False)
        batch_op.create_index("ix_search_clicks_search_id", ["search_id"], unique=False)
    op.create_table(
        "article_votes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("article", sa.String(length=512), nullable=False),
        sa.Column("locale", sa.String(length=16), nullable=False),
        sa.Column("version", sa.String(length=40), nullable=False),
        sa.Column("session_id", sa.String(length=32), nullable=True),
        sa.Column("helpful", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("segment", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_article_votes")),
    )
    with op.batch_alter_table("article_votes", schema=None) as batch_op:
        batch_op.create_index("ix_article_votes_article", ["article", "version"], unique=False)
        batch_op.create_index("ix_article_votes_day", ["day"], unique=False)
        batch_op.create_index("ix_article_votes_session", ["session_id", "article"], unique=False)
    op.create_table(
        "agent_copies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("article", sa.String(length=512), nullable=False),
        sa.Column("section", sa.String(length=255), nullable=True),
        sa.Column("how", sa.String(length=16), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_agent_copies_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_copies")),
    )
    with op.batch_alter_table("agent_copies", schema=None) as batch_op:
        batch_op.create_index("ix_agent_copies_kind_at", ["kind", "at"], unique=False)
    op.create_table(
        "search_daily",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("locale", sa.String(length=16), nullable=False),
        sa.Column("surface", sa.String(length=16), nullable=False),
        sa.Column("segment", sa.String(length=16), nullable=False),
        sa.Column("searches", sa.Integer(), nullable=False),
        sa.Column("zero", sa.Integer(), nullable=False),
        sa.Column("with_results", sa.Integer(), nullable=False),
        sa.Column("clicked", sa.Integer(), nullable=False),
        sa.Column("corrected", sa.Integer(), nullable=False),
        sa.Column("reformulated", sa.Integer(), nullable=False),
        sa.Column("clicks", sa.Integer(), nullable=False),
        sa.Column("position_sum", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "day", "locale", "surface", "segment", name=op.f("pk_search_daily")
        ),
    )
    op.create_table(
        "gap_decisions",
        sa.Column("normalized", sa.String(length=500), nullable=False),
        sa.Column("target", sa.String(length=500), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("normalized", name=op.f("pk_gap_decisions")),
    )


def _data(raw: Any) -> dict[str, Any]:
    try:
        value = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _move_events(bind: sa.Connection) -> None:
    """Copy the old events' rows into the tables made for them (searches, clicks, copies)."""
    meta = sa.MetaData()
    events = sa.Table("events", meta, autoload_with=bind)
    search_log = sa.Table("search_log", meta, autoload_with=bind)
    clicks = sa.Table("search_clicks", meta, autoload_with=bind)
    copies = sa.Table("agent_copies", meta, autoload_with=bind)
    surface_events = sa.Table("surface_events", meta, autoload_with=bind)
    after = 0
    while True:
        # Keyset batches: memory stays flat on a large table, and no cursor is left open.
        chunk = bind.execute(
            sa.select(events).where(events.c.id > after).order_by(events.c.id).limit(BATCH)
        ).all()
        if not chunk:
            break
        after = chunk[-1].id
        searches, clicked, copied, events_moved = [], [], [], []
        for row in chunk:
            data = _data(row.data)
            if row.kind == "search" and row.query:
                total = data.get("total")
                searches.append(
                    {
                        # Old ids are small; new ones random 53-bit: they will not meet.
                        "id": row.id,
                        "at": row.at,
                        "day": row.at.date(),
                        "session_id": None,
                        "user_id": row.user_id,
                        "surface": "page",
                        "locale": str(data.get("locale") or row.locale or "")[:16],
                        "query": row.query,
                        "normalized": " ".join(sorted(set(row.query.lower().split())))[:500],
                        "total": total if isinstance(total, int) else 0,
                        "corrected": None,
                        "shown": "",
                        "filters": "",
                        "segment": "staff" if row.user_id else "customer",
                        "page": 1,
                        "clicks": 0,
                        "reformulated": False,
                    }
                )
            elif row.kind == "click" and row.article:
                clicked.append(
                    {
                        "search_id": None,
                        "at": row.at,
                        "day": row.at.date(),
                        "article": row.article,
                        "section": row.section or "",
                        "position": None,
                        "session_id": None,
                        "segment": "staff" if row.user_id else "customer",
                        "surface": str(data.get("surface") or "page")[:16],
                    }
                )
            elif row.kind in ("exposure", "deflection"):
                articles = data.get("articles")
                keys = [str(k) for k in articles] if isinstance(articles, list) else []
                if row.article and not keys:
                    keys = [row.article]
                events_moved.append(
                    {
                        "kind": row.kind,
                        "at": row.at,
                        "day": row.at.date(),
                        "surface": str(data.get("surface") or "api")[:16],
                        "locale": str(data.get("locale") or row.locale or "")[:16],
                        "article": keys[0][:512] if keys else None,
                        "articles": "\n".join(keys),
                        "query": row.query or "",
                        "session_id": str(data.get("session") or "")[:64] or None,
                        "request_type": str(data.get("request_type") or "")[:64],
                        "segment": "customer",
                    }
                )
            elif row.kind in ("copy_link", "copy_template") and row.article:
                how = data.get("how")
                copied.append(
                    {
                        "kind": "link" if row.kind == "copy_link" else "template",
                        "at": row.at,
                        "article": row.article,
                        "section": row.section,
                        "how": str(how)[:16] if how else None,
                        "user_id": row.user_id,
                    }
                )
        moved = (
            (search_log, searches),
            (clicks, clicked),
            (copies, copied),
            (surface_events, events_moved),
        )
        for table, rows in moved:
            if rows:
                bind.execute(sa.insert(table), rows)


def upgrade() -> None:
    _create_tables()
    _move_events(op.get_bind())
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_kind_at")
        batch_op.drop_index("ix_events_kind_article")
    op.drop_table("events")


def downgrade() -> None:
    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("locale", sa.String(length=16), nullable=True),
        sa.Column("article", sa.String(length=512), nullable=True),
        sa.Column("section", sa.String(length=255), nullable=True),
        sa.Column("query", sa.String(length=500), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("data", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_events_user_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index("ix_events_kind_article", ["kind", "article"], unique=False)
        batch_op.create_index("ix_events_kind_at", ["kind", "at"], unique=False)
    # Copies are what the old schema's reports read; searches and clicks there had no session,
    # position or results, so going back keeps only the copies.
    bind = op.get_bind()
    bind.execute(
        sa.text(
            "INSERT INTO events (kind, at, locale, article, section, user_id) "
            "SELECT CASE kind WHEN 'link' THEN 'copy_link' ELSE 'copy_template' END, at, "
            "substr(article, 1, instr(article, '/') - 1), article, section, user_id "
            "FROM agent_copies"
            if bind.dialect.name == "sqlite"
            else "INSERT INTO events (kind, at, locale, article, section, user_id) "
            "SELECT CASE kind WHEN 'link' THEN 'copy_link' ELSE 'copy_template' END, at, "
            "split_part(article, '/', 1), article, section, user_id FROM agent_copies"
        )
    )
    tables = ("gap_decisions", "search_daily", "agent_copies", "article_votes", "surface_events")
    for table in tables:
        op.drop_table(table)
    op.drop_table("search_clicks")
    op.drop_table("search_log")
