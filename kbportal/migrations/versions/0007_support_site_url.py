"""support requests remember the site address they were filed on (for links in e-mails)

Revision ID: support_site_url
Revises: admin_audit
Create Date: 2026-11-29 20:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "support_site_url"
down_revision = "admin_audit"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("support_requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("site_url", sa.String(length=300), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("support_requests", schema=None) as batch_op:
        batch_op.drop_column("site_url")
