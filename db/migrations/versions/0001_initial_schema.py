"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "regions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name_az", sa.String(length=120), nullable=False),
        sa.Column("name_en", sa.String(length=120), nullable=False),
        sa.Column("name_ru", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_regions")),
        sa.UniqueConstraint("slug", name=op.f("uq_regions_slug")),
    )
    op.create_table(
        "totals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("families", sa.Integer(), nullable=True),
        sa.Column("people", sa.Integer(), nullable=True),
        sa.Column("settlements", sa.Integer(), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("note", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_totals")),
        sa.UniqueConstraint("as_of", name=op.f("uq_totals_as_of")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("language_chosen", sa.Boolean(), nullable=False),
        sa.Column("blocked", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
    )
    op.create_table(
        "districts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("aliases", sa.JSON(), nullable=False),
        sa.Column("note", sa.JSON(), nullable=True),
        sa.Column("name_az", sa.String(length=120), nullable=False),
        sa.Column("name_en", sa.String(length=120), nullable=False),
        sa.Column("name_ru", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_id"], ["regions.id"], name=op.f("fk_districts_region_id_regions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_districts")),
        sa.UniqueConstraint("slug", name=op.f("uq_districts_slug")),
    )
    with op.batch_alter_table("districts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_districts_region_id"), ["region_id"], unique=False)

    op.create_table(
        "settlements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("aliases", sa.JSON(), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("coordinates_source", sa.Text(), nullable=True),
        sa.Column("note", sa.JSON(), nullable=True),
        sa.Column("name_az", sa.String(length=120), nullable=False),
        sa.Column("name_en", sa.String(length=120), nullable=False),
        sa.Column("name_ru", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["district_id"], ["districts.id"], name=op.f("fk_settlements_district_id_districts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_settlements")),
        sa.UniqueConstraint("slug", name=op.f("uq_settlements_slug")),
    )
    with op.batch_alter_table("settlements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_settlements_district_id"), ["district_id"], unique=False
        )

    op.create_table(
        "caravans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("settlement_id", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=True),
        sa.Column("families", sa.Integer(), nullable=True),
        sa.Column("people", sa.Integer(), nullable=True),
        sa.Column("first", sa.Boolean(), nullable=False),
        sa.Column("total_families", sa.Integer(), nullable=True),
        sa.Column("total_people", sa.Integer(), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("note", sa.JSON(), nullable=True),
        sa.Column("unsure", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["settlement_id"],
            ["settlements.id"],
            name=op.f("fk_caravans_settlement_id_settlements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_caravans")),
    )
    with op.batch_alter_table("caravans", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_caravans_date"), ["date"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_caravans_settlement_id"), ["settlement_id"], unique=False
        )

    op.create_table(
        "housing_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("settlement_id", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("month_only", sa.Boolean(), nullable=False),
        sa.Column("homes_total", sa.Integer(), nullable=True),
        sa.Column("ready", sa.Integer(), nullable=True),
        sa.Column("uninhabitable", sa.Integer(), nullable=True),
        sa.Column("partly_habitable", sa.Integer(), nullable=True),
        sa.Column("built", sa.Integer(), nullable=True),
        sa.Column("under_construction", sa.Integer(), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("note", sa.JSON(), nullable=True),
        sa.Column("unsure", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["settlement_id"],
            ["settlements.id"],
            name=op.f("fk_housing_reports_settlement_id_settlements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_housing_reports")),
        sa.UniqueConstraint(
            "settlement_id", "as_of", name=op.f("uq_housing_reports_settlement_id")
        ),
    )
    with op.batch_alter_table("housing_reports", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_housing_reports_settlement_id"), ["settlement_id"], unique=False
        )

    op.create_table(
        "housing_deadlines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("due_by", sa.Date(), nullable=False),
        sa.Column("homes", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["housing_reports.id"],
            name=op.f("fk_housing_deadlines_report_id_housing_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_housing_deadlines")),
        sa.UniqueConstraint("report_id", "due_by", name=op.f("uq_housing_deadlines_report_id")),
    )
    with op.batch_alter_table("housing_deadlines", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_housing_deadlines_report_id"), ["report_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("housing_deadlines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_housing_deadlines_report_id"))

    op.drop_table("housing_deadlines")
    with op.batch_alter_table("housing_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_housing_reports_settlement_id"))

    op.drop_table("housing_reports")
    with op.batch_alter_table("caravans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_caravans_settlement_id"))
        batch_op.drop_index(batch_op.f("ix_caravans_date"))

    op.drop_table("caravans")
    with op.batch_alter_table("settlements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_settlements_district_id"))

    op.drop_table("settlements")
    with op.batch_alter_table("districts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_districts_region_id"))

    op.drop_table("districts")
    op.drop_table("users")
    op.drop_table("totals")
    op.drop_table("regions")
