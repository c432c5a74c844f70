"""Name search on PostgreSQL reads a narrow table of the reports' folded names, kept by
the database itself

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07

On PostgreSQL, ``source_names`` holds per report only what a name search needs: the
report, its tumour and facility, and its folded full name (the expression of
:func:`oncoreg.store.search.folded_name_sql`), with the trigram index migration 0007 put
on ``sources``. Statement-level triggers on ``sources`` (with their transition tables)
keep it: inserts (``COPY`` included) add rows, updates change what changed, deletes
cascade. A search then reads some 60 bytes a report instead of the whole report (with its
raw record), which keeps a common name's thousands of candidates in memory at millions of
reports. The embedded SQLite registry searches ``sources`` as before.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from oncoreg.store.search import folded_name_sql

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None
OLD_INDEX = "ix_sources_folded_name_trgm"


def _rows(table: str) -> str:
    return f"SELECT id, tumour_id, facility_id, {folded_name_sql()} FROM {table}"


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    trigram = bind.execute(sa.text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")).scalar()
    op.execute(
        """
        CREATE TABLE source_names (
            source_id integer PRIMARY KEY REFERENCES sources (id) ON DELETE CASCADE,
            tumour_id integer,
            facility_id integer NOT NULL,
            folded text NOT NULL
        )
        """
    )
    op.execute(f"INSERT INTO source_names {_rows('sources')}")
    op.execute(
        f"""
        CREATE FUNCTION oncoreg_source_names_added() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO source_names {_rows("added")};
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        f"""
        CREATE FUNCTION oncoreg_source_names_changed() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO source_names {_rows("changed")}
            ON CONFLICT (source_id) DO UPDATE SET
                tumour_id = excluded.tumour_id,
                facility_id = excluded.facility_id,
                folded = excluded.folded
            WHERE (source_names.tumour_id, source_names.facility_id, source_names.folded)
                IS DISTINCT FROM (excluded.tumour_id, excluded.facility_id, excluded.folded);
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER source_names_added AFTER INSERT ON sources "
        "REFERENCING NEW TABLE AS added FOR EACH STATEMENT "
        "EXECUTE FUNCTION oncoreg_source_names_added()"
    )
    op.execute(
        "CREATE TRIGGER source_names_changed AFTER UPDATE ON sources "
        "REFERENCING NEW TABLE AS changed FOR EACH STATEMENT "
        "EXECUTE FUNCTION oncoreg_source_names_changed()"
    )
    op.execute("CREATE INDEX ix_source_names_tumour_id ON source_names (tumour_id)")
    if trigram:
        op.execute(f"DROP INDEX IF EXISTS {OLD_INDEX}")
        op.execute(
            "CREATE INDEX ix_source_names_folded_trgm ON source_names "
            "USING gin (folded gin_trgm_ops)"
        )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS source_names_added ON sources")
    op.execute("DROP TRIGGER IF EXISTS source_names_changed ON sources")
    op.execute("DROP FUNCTION IF EXISTS oncoreg_source_names_added()")
    op.execute("DROP FUNCTION IF EXISTS oncoreg_source_names_changed()")
    op.execute("DROP TABLE IF EXISTS source_names")
    if bind.execute(sa.text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")).scalar():
        op.execute(
            sa.text(
                f"CREATE INDEX {OLD_INDEX} ON sources USING gin "
                f"(({folded_name_sql()}) gin_trgm_ops)"
            )
        )
