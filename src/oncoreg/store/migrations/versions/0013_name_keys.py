"""Name search on PostgreSQL in person order: a B-tree of name keys (each word, and each
pair of words) with their person, so that a page of persons is read off an index

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07

With 0012's GIN index, a common name ("nguyen hung", tens of thousands of reports at
millions) is found quickly, but every match must then be read and sorted to give the
first page in person order. ``name_keys`` holds, per report, each word of its name and
each pair of its words (``"hung nguyen"``, the two in byte order: the function
``oncoreg_name_keys``), with the report's person and facility, indexed by
``(key, person_id)``. A search walks the index ranges of its rarest keys (pairs, when
the query has two words or more) in person order, checks the other words on the
report's row of ``source_words``, and stops at the page and the capped count: a few
thousand index entries whatever the name's frequency (``services/records.py``).

The triggers of 0012 now keep ``name_keys`` as well: a report's keys are replaced when
its name, tumour (person) or facility changes, and follow its tumour to another person.
Deleted reports take their keys with them. 0012's GIN index is dropped (no longer read).
"""

from __future__ import annotations

from alembic import op

from oncoreg.store.migrate import migration_module

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

KEYS = """
    CREATE FUNCTION oncoreg_name_keys(words text[]) RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT coalesce(array_agg(DISTINCT k), '{}') FROM (
            SELECT w AS k FROM unnest(words) AS w
            UNION ALL
            SELECT a || ' ' || b FROM unnest(words) AS a, unnest(words) AS b
            WHERE a COLLATE "C" < b COLLATE "C"
        ) AS keys
    $$
"""


def _keys(rows: str) -> str:
    """The name_keys of ``rows`` (with source_id, person_id, facility_id and words)."""
    return (
        "INSERT INTO name_keys (key, person_id, source_id, facility_id) "
        "SELECT unnest(oncoreg_name_keys(r.words)), r.person_id, r.source_id, r.facility_id "
        f"FROM {rows} AS r"
    )


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    previous = migration_module("0012_source_words")
    op.execute(KEYS)
    op.execute(
        """
        CREATE TABLE name_keys (
            key text COLLATE "C" NOT NULL,
            person_id integer,
            source_id integer NOT NULL,
            facility_id integer NOT NULL
        )
        """
    )
    op.execute(_keys("source_words"))
    op.execute(
        "CREATE INDEX ix_name_keys_key ON name_keys (key, person_id) "
        "INCLUDE (source_id, facility_id)"
    )
    op.execute("CREATE INDEX ix_name_keys_source_id ON name_keys (source_id)")
    op.execute("DROP INDEX IF EXISTS ix_source_words_words")
    op.execute(
        f"""
        CREATE OR REPLACE FUNCTION oncoreg_source_words_added() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            WITH r AS (
                INSERT INTO source_words {previous.rows("added")}
                RETURNING source_id, person_id, facility_id, words
            ),
            vocabulary AS ({previous.vocabulary("r")})
            {_keys("r")};
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        f"""
        CREATE OR REPLACE FUNCTION oncoreg_source_words_changed() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            WITH r AS (
                {previous.upsert()}
                RETURNING source_id, person_id, facility_id, words
            ),
            vocabulary AS ({previous.vocabulary("r")}),
            gone AS (DELETE FROM name_keys AS k USING r WHERE k.source_id = r.source_id)
            {_keys("r")};
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        """
        CREATE OR REPLACE FUNCTION oncoreg_source_words_moved() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            WITH r AS (
                UPDATE source_words AS w SET person_id = c.person_id
                FROM changed AS c
                WHERE w.tumour_id = c.id AND w.person_id IS DISTINCT FROM c.person_id
                RETURNING w.source_id, w.person_id
            )
            UPDATE name_keys AS k SET person_id = r.person_id
            FROM r WHERE k.source_id = r.source_id;
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        """
        CREATE FUNCTION oncoreg_name_keys_deleted() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            DELETE FROM name_keys AS k USING deleted AS d WHERE k.source_id = d.id;
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER name_keys_deleted AFTER DELETE ON sources "
        "REFERENCING OLD TABLE AS deleted FOR EACH STATEMENT "
        "EXECUTE FUNCTION oncoreg_name_keys_deleted()"
    )
    op.execute("ALTER TABLE name_keys ALTER COLUMN key SET STATISTICS 1000")
    op.execute("ANALYZE name_keys")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS name_keys_deleted ON sources")
    op.execute("DROP FUNCTION IF EXISTS oncoreg_name_keys_deleted()")
    migration_module("0012_source_words").create_functions()
    op.execute("DROP TABLE IF EXISTS name_keys")
    op.execute("DROP FUNCTION IF EXISTS oncoreg_name_keys(text[])")
    op.execute("CREATE INDEX ix_source_words_words ON source_words USING gin (words)")
