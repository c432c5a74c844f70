"""Indexes for the web application: the audit events that are changes (not reads), whose
newest is the registry's data version (found at once however many reads were audited
since), and persons by birth date (person search by year of birth)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    where = sa.text("action <> 'read'")
    op.create_index(
        "ix_audit_events_changes",
        "audit_events",
        ["id"],
        unique=False,
        sqlite_where=where,
        postgresql_where=where,
    )
    op.create_index("ix_persons_birth_date", "persons", ["birth_date"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_persons_birth_date", table_name="persons")
    op.drop_index("ix_audit_events_changes", table_name="audit_events")
