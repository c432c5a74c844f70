"""Accent-insensitive name search on PostgreSQL: a trigram index of the reports' folded
full names

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07

PostgreSQL only (the embedded SQLite registry searches without an index). Needs the
pg_trgm extension, shipped with PostgreSQL's contrib modules; where it cannot be created
(no privilege), the migration notes it and searches still work, without the index.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from alembic import op

from oncoreg.store.search import folded_name_sql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None
INDEX = "ix_sources_folded_name_trgm"
log = logging.getLogger("oncoreg.store")


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    try:
        with bind.begin_nested():
            bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except sa.exc.DBAPIError:
        log.warning("pg_trgm could not be created: name search runs without its index")
        return
    bind.execute(
        sa.text(f"CREATE INDEX {INDEX} ON sources USING gin (({folded_name_sql()}) gin_trgm_ops)")
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(sa.text(f"DROP INDEX IF EXISTS {INDEX}"))
