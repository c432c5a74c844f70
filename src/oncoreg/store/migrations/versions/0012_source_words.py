"""Name search on PostgreSQL by whole words: each report's folded name words in an array
with a GIN index, and the vocabulary of those words for prefixes

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07

Migration 0011's trigram index answers a common name slowly at millions of reports:
"tran van hung" is a dozen trigrams, each with a posting list of hundreds of thousands
of reports, and the matches must then be read, joined to their persons and sorted. Names
are searched by words (each query word is the start of a name word), and Vietnamese names
have a small vocabulary of syllables, so this migration indexes words instead:

- ``source_words``: per report, its tumour, the tumour's person, its facility, and the
  words of its folded full name (:func:`oncoreg.store.search.words_sql`), with a GIN index
  on the words. A search asks for reports whose words overlap each query word's
  expansion; GIN intersects the word lists, skipping through the longer ones.
- ``name_words``: every word ever seen (byte order, ``COLLATE "C"``), from which a query
  word's prefix expands to the words it starts (``ngu`` -> ``nguyen``, ``nguyet``...).
  Words are added, never removed: a word no report uses any more matches nothing.

Statement-level triggers with transition tables keep both: inserts to and updates of
``sources`` (``COPY`` included) and changes of a tumour's person. Deletes cascade.
``source_names`` of 0011 and its trigram index are dropped. The embedded SQLite registry
searches ``sources`` as before. On both, ``ix_persons_obsolete`` indexes the few obsolete
persons, which a search leaves out.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from oncoreg.store.migrate import migration_module
from oncoreg.store.search import words_sql

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def rows(table: str) -> str:
    """The source_words rows of the reports in ``table`` (sources or a transition table)."""
    return (
        f"SELECT s.id, s.tumour_id, t.person_id, s.facility_id, {words_sql('s')} "
        f"FROM {table} AS s LEFT JOIN tumours AS t ON t.id = s.tumour_id"
    )


def vocabulary(table: str) -> str:
    """The insert of the words of ``table`` (with a ``words`` column) into name_words."""
    return (
        f"INSERT INTO name_words (word) SELECT DISTINCT unnest(words) FROM {table} AS r "
        "ON CONFLICT (word) DO NOTHING"
    )


def upsert() -> str:
    """The upsert of the source_words rows of changed reports (RETURNING them where they
    changed, when followed by a RETURNING clause)."""
    return f"""
        INSERT INTO source_words {rows("changed")}
        ON CONFLICT (source_id) DO UPDATE SET
            tumour_id = excluded.tumour_id,
            person_id = excluded.person_id,
            facility_id = excluded.facility_id,
            words = excluded.words
        WHERE (source_words.tumour_id, source_words.person_id,
               source_words.facility_id, source_words.words)
            IS DISTINCT FROM
              (excluded.tumour_id, excluded.person_id, excluded.facility_id, excluded.words)
    """


def create_functions() -> None:
    """The trigger functions of this revision (migration 0013 replaces them, and puts
    them back when downgraded)."""
    op.execute(
        f"""
        CREATE OR REPLACE FUNCTION oncoreg_source_words_added() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            WITH r AS (INSERT INTO source_words {rows("added")} RETURNING words)
            {vocabulary("r")};
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        f"""
        CREATE OR REPLACE FUNCTION oncoreg_source_words_changed() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            WITH r AS ({upsert()} RETURNING words)
            {vocabulary("r")};
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        """
        CREATE OR REPLACE FUNCTION oncoreg_source_words_moved() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE source_words AS w SET person_id = c.person_id
            FROM changed AS c
            WHERE w.tumour_id = c.id AND w.person_id IS DISTINCT FROM c.person_id;
            RETURN NULL;
        END $$
        """
    )


OBSOLETE = sa.text("status = 'obsolete'")


def upgrade() -> None:
    op.create_index(
        "ix_persons_obsolete", "persons", ["id"], sqlite_where=OBSOLETE, postgresql_where=OBSOLETE
    )
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS source_names_added ON sources")
    op.execute("DROP TRIGGER IF EXISTS source_names_changed ON sources")
    op.execute("DROP FUNCTION IF EXISTS oncoreg_source_names_added()")
    op.execute("DROP FUNCTION IF EXISTS oncoreg_source_names_changed()")
    op.execute("DROP TABLE IF EXISTS source_names")
    op.execute(
        """
        CREATE TABLE source_words (
            source_id integer PRIMARY KEY REFERENCES sources (id) ON DELETE CASCADE,
            tumour_id integer,
            person_id integer,
            facility_id integer NOT NULL,
            words text[] NOT NULL
        )
        """
    )
    op.execute('CREATE TABLE name_words (word text COLLATE "C" PRIMARY KEY)')
    op.execute(f"INSERT INTO source_words {rows('sources')}")
    op.execute(vocabulary("source_words"))
    create_functions()
    op.execute(
        "CREATE TRIGGER source_words_added AFTER INSERT ON sources "
        "REFERENCING NEW TABLE AS added FOR EACH STATEMENT "
        "EXECUTE FUNCTION oncoreg_source_words_added()"
    )
    op.execute(
        "CREATE TRIGGER source_words_changed AFTER UPDATE ON sources "
        "REFERENCING NEW TABLE AS changed FOR EACH STATEMENT "
        "EXECUTE FUNCTION oncoreg_source_words_changed()"
    )
    op.execute(
        "CREATE TRIGGER source_words_moved AFTER UPDATE ON tumours "
        "REFERENCING NEW TABLE AS changed FOR EACH STATEMENT "
        "EXECUTE FUNCTION oncoreg_source_words_moved()"
    )
    op.execute("CREATE INDEX ix_source_words_tumour_id ON source_words (tumour_id)")
    op.execute("CREATE INDEX ix_source_words_words ON source_words USING gin (words)")
    op.execute("ANALYZE source_words")
    op.execute("ANALYZE name_words")


def downgrade() -> None:
    op.drop_index("ix_persons_obsolete", table_name="persons")
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS source_words_added ON sources")
    op.execute("DROP TRIGGER IF EXISTS source_words_changed ON sources")
    op.execute("DROP TRIGGER IF EXISTS source_words_moved ON tumours")
    for name in ("added", "changed", "moved"):
        op.execute(f"DROP FUNCTION IF EXISTS oncoreg_source_words_{name}()")
    op.execute("DROP TABLE IF EXISTS source_words")
    op.execute("DROP TABLE IF EXISTS name_words")
    # back to 0011's table of folded names, made as 0011 makes it
    migration_module("0011_source_names").upgrade()
