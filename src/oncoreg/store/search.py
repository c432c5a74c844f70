"""Accent-insensitive name search in SQL: ``folded_name(session, table)`` is the
database-side :func:`oncoreg.text.fold_vietnamese` of a row's full name (lower case, no
diacritics, đ -> d), so that ``Nguyen`` finds ``Nguyễn`` on SQLite and PostgreSQL alike.

SQLite calls the Python function itself (registered on every connection); PostgreSQL
uses ``translate`` with the table of every precomposed Latin letter that folds to one
ASCII letter, so no server extension (unaccent) is needed. On PostgreSQL the words of the
folded names are kept, by the database's triggers, in :data:`source_words`, every word
seen in :data:`name_words` and each report's words and pairs of words, with its person,
in :data:`name_keys` (migrations 0012 and 0013): name searches read those instead of
``sources``.
"""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import Column, Integer, MetaData, Table, Text, func, literal_column
from sqlalchemy.dialects.postgresql import ARRAY

from oncoreg.text import fold_vietnamese

SQLITE_FUNCTION = "oncoreg_fold"

# PostgreSQL only (migration 0012), kept by triggers on ``sources`` and ``tumours``; not
# among the registry's tables (no ORM class, no audit: they are derived from sources)
_derived = MetaData()
source_words = Table(  # one row per report: where it belongs and its name's words
    "source_words",
    _derived,
    Column("source_id", Integer, primary_key=True),
    Column("tumour_id", Integer),
    Column("person_id", Integer),
    Column("facility_id", Integer, nullable=False),
    Column("words", ARRAY(Text), nullable=False),
)
name_words = Table(  # every word of a name seen, in byte order: prefixes expand here
    "name_words", _derived, Column("word", Text(collation="C"), primary_key=True)
)
name_keys = Table(  # per report, each word and pair of words of its name (migration 0013)
    "name_keys",
    _derived,
    Column("key", Text(collation="C"), nullable=False),
    Column("person_id", Integer),
    Column("source_id", Integer, nullable=False),
    Column("facility_id", Integer, nullable=False),
)


def pair_key(one: str, other: str) -> str:
    """The key of two words of a name in ``name_keys``: both, in byte order (as
    PostgreSQL's ``oncoreg_name_keys`` writes them)."""
    return " ".join(sorted((one, other)))


def register(dbapi_connection) -> None:
    """Make ``oncoreg_fold(text)`` available on a SQLite connection."""
    dbapi_connection.create_function(SQLITE_FUNCTION, 1, _fold_or_none, deterministic=True)


def _fold_or_none(value):
    return None if value is None else fold_vietnamese(str(value))


@lru_cache(maxsize=1)
def translation() -> tuple[str, str]:
    """(from, to) strings for PostgreSQL's translate: accented letter -> ASCII letter."""
    source, target = [], []
    for code in range(0x00C0, 0x1EFA):
        letter = chr(code)
        plain = fold_vietnamese(letter)
        if letter.lower() == letter and len(plain) == 1 and plain.isascii() and plain != letter:
            source.append(letter)
            target.append(plain)
    return "".join(source), "".join(target)


@lru_cache(maxsize=8)
def folded_name_sql(table: str | None = None) -> str:
    """PostgreSQL's folded full name of a report after a space (so that a word's start
    is `` word``), as SQL text, its columns qualified by ``table`` if given: what the
    words of :data:`source_words` are split from, and :func:`folded_name` of other
    tables."""
    source, target = translation()
    prefix = f"{table}." if table else ""
    whole = " || ' ' || ".join(
        f"coalesce({prefix}{column}, '')" for column in ("family_name", "middle_name", "given_name")
    )
    return f"(' ' || translate(lower({whole}), '{source}', '{target}'))"


def words_sql(table: str | None = None) -> str:
    """PostgreSQL's words of :func:`folded_name_sql` (split at white space, as Python's
    ``str.split``), as SQL text: the ``words`` of :data:`source_words`."""
    return f"array_remove(regexp_split_to_array({folded_name_sql(table)}, '\\s+'), '')"


def folded_name(session_or_connection, table):
    """The folded full name (family, middle, given) of a person or report row."""
    dialect = session_or_connection.get_bind().dialect.name
    if dialect != "sqlite":
        return literal_column(folded_name_sql(table.name))
    whole = func.coalesce(table.c.family_name, "") + " " + func.coalesce(table.c.middle_name, "")
    whole = whole + " " + func.coalesce(table.c.given_name, "")
    return " " + getattr(func, SQLITE_FUNCTION)(whole)
