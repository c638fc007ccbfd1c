"""broadcasts: a text per language, the fallback for the others, urgent, the version asked for

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02

`texts` holds the versions per language (HTML, as `text` does for one text for all);
`fallback` is the language whose version reaches readers of a language without one, or
"skip" to leave them out; `urgent` sends during the quiet hours; `asking` and
`prompt_message_id` are the language whose version the admin is asked for and the prompt
they reply to; `send_at` is when the deliveries are due (09:00 after the quiet hours).
Columns are added with plain or server defaults, which on SQLite keeps the table in place
(broadcasts has no data_version triggers: it is not place data).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("broadcasts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("texts", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("fallback", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("urgent", sa.Boolean(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("asking", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("prompt_message_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("send_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("broadcasts", schema=None) as batch_op:
        for column in ("send_at", "prompt_message_id", "asking", "urgent", "fallback", "texts"):
            batch_op.drop_column(column)
