"""analytics top index: top searches' covering index also holds the session and the phrasing

Revision ID: analytics_top_index
Revises: analytics_rollup
Create Date: 2026-11-29
"""

from __future__ import annotations

from alembic import op

revision = "analytics_top_index"
down_revision = "analytics_rollup"
branch_labels = None
depends_on = None

OLD = ["segment", "normalized", "day", "total", "clicks"]
NEW = [*OLD, "session_id", "query"]


def upgrade() -> None:
    with op.batch_alter_table("search_log", schema=None) as batch_op:
        batch_op.drop_index("ix_search_log_segment_normalized")
        batch_op.create_index("ix_search_log_segment_normalized", NEW, unique=False)


def downgrade() -> None:
    with op.batch_alter_table("search_log", schema=None) as batch_op:
        batch_op.drop_index("ix_search_log_segment_normalized")
        batch_op.create_index("ix_search_log_segment_normalized", OLD, unique=False)
