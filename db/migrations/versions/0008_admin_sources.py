"""admin edits' sources without the admin's id

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02

Before a source was required, `/addcaravan` and `/sethousing` stored `admin <id>, via chat,
<date>` as the source of what they wrote, so the admin's Telegram id was in the public
tables (and in every export). The audit log keeps who made each change; the rows keep only
that an administrator entered it, on which day: `administrator, via chat, <date>`, which
the views show in the reader's language (`bot.views.common.plain_source`). A data change
only: the schema, and the data_version triggers (0006), stay as they are; the updated rows
bump the data version as any update does. The downgrade keeps the rows as they are: the ids
are not stored anywhere else in these tables.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

OLD_FORM = re.compile(r"admin \d+, via chat, (\d{4}-\d{2}-\d{2})")


def upgrade() -> None:
    bind = op.get_bind()
    for table in ("caravans", "housing_reports"):
        rows = bind.execute(
            sa.text(f"SELECT id, source FROM {table} WHERE source LIKE 'admin %, via chat, %'")
        ).all()
        for row_id, source in rows:
            if match := OLD_FORM.fullmatch(source.strip()):
                bind.execute(
                    sa.text(f"UPDATE {table} SET source = :source WHERE id = :id"),
                    {"source": f"administrator, via chat, {match.group(1)}", "id": row_id},
                )


def downgrade() -> None:
    pass  # the ids cannot be restored: the audit log keeps who entered what
