"""pending_actions: admin actions and dataset files waiting for ✅, shared by all replicas

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pending_actions",
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("token", name=op.f("pk_pending_actions")),
    )
    op.create_index(op.f("ix_pending_actions_user_id"), "pending_actions", ["user_id"])
    op.create_index(op.f("ix_pending_actions_expires_at"), "pending_actions", ["expires_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_pending_actions_expires_at"), table_name="pending_actions")
    op.drop_index(op.f("ix_pending_actions_user_id"), table_name="pending_actions")
    op.drop_table("pending_actions")
