"""Population at risk and the population life table, for rates and net survival

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
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
        "population",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("era", sa.String(length=4), nullable=False),
        sa.Column("province", sa.String(length=2), nullable=False),
        sa.Column("province_code", sa.String(length=2), nullable=True),
        sa.Column("province_code_2004", sa.String(length=2), nullable=True),
        sa.Column("sex", sa.SmallInteger(), nullable=False),
        sa.Column("age_group", sa.String(length=8), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("pyrs", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_population")),
        sa.UniqueConstraint(
            "era", "province", "sex", "age_group", "year", name="uq_population_cell"
        ),
    )
    op.create_index(
        op.f("ix_population_province_code"), "population", ["province_code"], unique=False
    )
    op.create_table(
        "life_table",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sex", sa.SmallInteger(), nullable=False),
        sa.Column("age", sa.SmallInteger(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("haz", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_life_table")),
        sa.UniqueConstraint("sex", "age", "year", name="uq_life_table_cell"),
    )


def downgrade() -> None:
    op.drop_table("life_table")
    op.drop_index(op.f("ix_population_province_code"), table_name="population")
    op.drop_table("population")
