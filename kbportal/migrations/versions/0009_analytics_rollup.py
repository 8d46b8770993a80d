"""analytics rollup: clicked positions in search_daily, the rollup horizon, a covering index,
rows lost to crashes

Revision ID: analytics_rollup
Revises: analytics
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "analytics_rollup"
down_revision = "analytics"
branch_labels = None
depends_on = None

POSITIONS = [f"pos_{i}" for i in range(1, 12)]


def upgrade() -> None:
    with op.batch_alter_table("search_daily", schema=None) as batch_op:
        for name in POSITIONS:
            batch_op.add_column(sa.Column(name, sa.Integer(), server_default="0", nullable=False))
    op.create_table(
        "analytics_rollup",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("until", sa.Date(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_analytics_rollup")),
    )
    op.create_table(
        "analytics_losses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("cause", sa.String(length=16), nullable=False),
        sa.Column("node", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_losses")),
    )
    with op.batch_alter_table("analytics_losses", schema=None) as batch_op:
        batch_op.create_index("ix_analytics_losses_at", ["at"], unique=False)
    with op.batch_alter_table("search_log", schema=None) as batch_op:
        batch_op.drop_index("ix_search_log_normalized")
        batch_op.create_index(
            "ix_search_log_segment_normalized",
            ["segment", "normalized", "day", "total", "clicks"],
            unique=False,
        )
    with op.batch_alter_table("search_clicks", schema=None) as batch_op:
        batch_op.drop_index("ix_search_clicks_article")
        batch_op.create_index(
            "ix_search_clicks_article_day", ["article", "day", "segment", "surface"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("search_clicks", schema=None) as batch_op:
        batch_op.drop_index("ix_search_clicks_article_day")
        batch_op.create_index("ix_search_clicks_article", ["article"], unique=False)
    with op.batch_alter_table("search_log", schema=None) as batch_op:
        batch_op.drop_index("ix_search_log_segment_normalized")
        batch_op.create_index("ix_search_log_normalized", ["normalized"], unique=False)
    op.drop_table("analytics_losses")
    op.drop_table("analytics_rollup")
    with op.batch_alter_table("search_daily", schema=None) as batch_op:
        for name in reversed(POSITIONS):
            batch_op.drop_column(name)
