"""data_version: a counter of place-data changes, bumped by triggers

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26

Every process keeps the place data in memory (`db.snapshot`) and compares this counter
with the one it loaded. Triggers bump it in the writing transaction, so a change made by
any process, or by hand, is seen. On PostgreSQL they are deferred constraint triggers that
bump once per transaction, at commit: the counter's row lock is taken last and held only
while committing, so concurrent writers cannot deadlock over it. SQLite has one writer at a
time and bumps once per changed row. A later migration that rebuilds one of these tables on
SQLite (batch mode copies the table) must create its triggers again;
tests/test_snapshot.py checks every table's trigger at head.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

PLACE_TABLES = (
    "regions",
    "districts",
    "settlements",
    "housing_reports",
    "housing_deadlines",
    "caravans",
    "totals",
)

BUMP = "UPDATE data_version SET version = version + 1"

PG_FUNCTION = f"""
CREATE FUNCTION bump_data_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('returnbot.data_version_bumped', true) IS DISTINCT FROM 'on' THEN
        {BUMP};
        PERFORM set_config('returnbot.data_version_bumped', 'on', true);
    END IF;
    RETURN NULL;
END $$
"""


def upgrade() -> None:
    op.create_table(
        "data_version",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_version")),
    )
    op.execute("INSERT INTO data_version (id, version) VALUES (1, 1)")
    if op.get_context().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        for table in PLACE_TABLES:
            op.execute(
                f"CREATE CONSTRAINT TRIGGER data_version_{table} "
                f"AFTER INSERT OR UPDATE OR DELETE ON {table} "
                "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
                "EXECUTE FUNCTION bump_data_version()"
            )
        return
    for table in PLACE_TABLES:
        for event in ("INSERT", "UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER data_version_{table}_{event.lower()} "
                f"AFTER {event} ON {table} BEGIN {BUMP}; END"
            )


def downgrade() -> None:
    postgresql = op.get_context().dialect.name == "postgresql"
    for table in PLACE_TABLES:
        if postgresql:
            op.execute(f"DROP TRIGGER data_version_{table} ON {table}")
            continue
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER data_version_{table}_{event}")
    if postgresql:
        op.execute("DROP FUNCTION bump_data_version()")
    op.drop_table("data_version")
