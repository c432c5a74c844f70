"""Partial indexes on identifier hashes and tumour links; drop a redundant index

The hash and link indexes now hold only the rows where the value is set (identifiers are
missing from many reports, links until linkage), which keeps bulk imports cheaper; the
index on sources.facility_id duplicated the unique (facility_id, report_id) constraint.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

PARTIAL = {
    "persons": ("national_id_hash", "insurance_hash"),
    "sources": ("national_id_hash", "insurance_hash", "tumour_id"),
}


def upgrade() -> None:
    op.drop_index("ix_sources_facility_id", table_name="sources")
    for table, columns in PARTIAL.items():
        for column in columns:
            name = f"ix_{table}_{column}"
            where = sa.text(f"{column} IS NOT NULL")
            op.drop_index(name, table_name=table)
            op.create_index(name, table, [column], sqlite_where=where, postgresql_where=where)


def downgrade() -> None:
    for table, columns in PARTIAL.items():
        for column in columns:
            name = f"ix_{table}_{column}"
            op.drop_index(name, table_name=table)
            op.create_index(name, table, [column])
    op.create_index("ix_sources_facility_id", "sources", ["facility_id"])
