"""totals.unsure: a national total that sources dispute or that comes second-hand

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01

Housing reports and caravans carry `unsure` since 0001; totals get it now. The column is
added with a server default so that existing rows read false. On SQLite, adding a column
with a plain default keeps the table, and its data_version triggers (0006), in place;
dropping it on downgrade copies the table, so the downgrade creates those triggers again.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

BUMP = "UPDATE data_version SET version = version + 1"


def upgrade() -> None:
    with op.batch_alter_table("totals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("unsure", sa.Boolean(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("totals", schema=None) as batch_op:
        batch_op.drop_column("unsure")
    if op.get_context().dialect.name != "postgresql":
        for event in ("INSERT", "UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER data_version_totals_{event.lower()} "
                f"AFTER {event} ON totals BEGIN {BUMP}; END"
            )
