"""analytics top index: top searches' covering index holds locale, surface, session, phrasing;
clicks carry their search's normalised query (the searches that led to an article, from an index)

Revision ID: analytics_top_index
Revises: analytics_rollup
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "analytics_top_index"
down_revision = "analytics_rollup"
branch_labels = None
depends_on = None

OLD = ["segment", "normalized", "day", "total", "clicks"]
NEW = [
    "segment",
    "normalized",
    "day",
    "locale",
    "surface",
    "total",
    "clicks",
    "session_id",
    "query",
]


CLICKS_OLD = ["article", "day", "segment", "surface"]


def upgrade() -> None:
    with op.batch_alter_table("search_log", schema=None) as batch_op:
        batch_op.drop_index("ix_search_log_segment_normalized")
        batch_op.create_index("ix_search_log_segment_normalized", NEW, unique=False)
    with op.batch_alter_table("search_clicks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("normalized", sa.String(length=500), nullable=True))
        batch_op.drop_index("ix_search_clicks_article_day")
        batch_op.create_index(
            "ix_search_clicks_article_day", [*CLICKS_OLD, "normalized"], unique=False
        )
        batch_op.create_index("ix_search_clicks_session", ["session_id", "at"], unique=False)
    op.execute(
        "UPDATE search_clicks SET normalized = (SELECT search_log.normalized FROM search_log "
        "WHERE search_log.id = search_clicks.search_id) WHERE search_id IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("search_clicks", schema=None) as batch_op:
        batch_op.drop_index("ix_search_clicks_session")
        batch_op.drop_index("ix_search_clicks_article_day")
        batch_op.create_index("ix_search_clicks_article_day", CLICKS_OLD, unique=False)
        batch_op.drop_column("normalized")
    with op.batch_alter_table("search_log", schema=None) as batch_op:
        batch_op.drop_index("ix_search_log_segment_normalized")
        batch_op.create_index("ix_search_log_segment_normalized", OLD, unique=False)
