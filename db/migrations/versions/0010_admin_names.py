"""admin_names: the first name and username Telegram gives of each admin

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02

/admins and /audit show people, not bare ids. Admins from ADMIN_IDS are not rows of
`admins`, and an admin removed from the chat still stands in the audit log, so the names are
a table of their own, keyed by the Telegram user id, written whenever an admin is seen (and
when an admin is added, from what Telegram says of the chat). Only admins' names are kept:
users' are never stored (SPEC "Privacy"). A new table needs no data_version trigger: it is
not part of the dataset.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "admin_names",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("first_name", sa.String(length=64), nullable=True),
        sa.Column("username", sa.String(length=32), nullable=True),
        sa.Column("seen_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("user_id"),
    )


def downgrade() -> None:
    op.drop_table("admin_names")
