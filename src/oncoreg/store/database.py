"""The store: one engine per registry, sessions that commit whole or not at all.

SQLite (the embedded default) and PostgreSQL are the two dialects; everything else in
oncoreg talks to the database only through :class:`Store`. Database errors are turned
into :class:`~oncoreg.errors.StoreError` naming the table and the operation, never a
row's values (the engine is created with ``hide_parameters`` so that even SQLAlchemy's
own messages carry none).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from oncoreg.errors import OncoregError, StoreError
from oncoreg.settings import Settings, get_settings, sqlite_path
from oncoreg.store import audit, search
from oncoreg.store.bulk import detach_stages

log = logging.getLogger("oncoreg.store")
_STATEMENT = re.compile(
    r"^\s*(INSERT INTO|UPDATE|DELETE FROM|SELECT\s.*?\sFROM|CREATE TABLE|ALTER TABLE|DROP TABLE)"
    r"\s+\"?(\w+)\"?",
    re.IGNORECASE | re.DOTALL,
)


def make_engine(url: str) -> Engine:
    """An engine for a SQLite or PostgreSQL URL, with parameters hidden from errors."""
    if url.startswith("sqlite"):
        path = sqlite_path(url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, hide_parameters=True)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "checkin", detach_stages)
        return engine
    return create_engine(url, hide_parameters=True, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    # WAL with synchronous=NORMAL never corrupts the file; a power cut may lose only the
    # last committed batch, which the importer can re-run (re-imports are idempotent)
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA cache_size=-262144")  # 256 MiB page cache for large batches
    cursor.execute("PRAGMA temp_store=MEMORY")
    cursor.close()
    search.register(dbapi_connection)


class Store:
    """A registry database: engine, sessions and the registry secret for identifiers."""

    def __init__(self, url: str, hash_key: str | None = None) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        audit.install(self._sessions)
        self._hash_key = hash_key

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> Store:
        """The store named by the settings, keyed with the registry secret."""
        settings = settings or get_settings()
        return cls(settings.database_url, settings.secret())

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self, actor: str = "system") -> Iterator[Session]:
        """A unit of work: commits on success, rolls back everything on any error."""
        session = self._sessions(info={"actor": actor, "hash_key": self._hash_key})
        try:
            yield session
            session.commit()
        except OncoregError:
            session.rollback()
            raise
        except SQLAlchemyError as err:
            session.rollback()
            raise translate_error(err) from None
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()


def translate_error(err: SQLAlchemyError) -> StoreError:
    """A StoreError that names the table and operation of a failed statement, no values."""
    statement = getattr(err, "statement", None) or ""
    match = _STATEMENT.match(statement)
    operation = match.group(1).split()[0].lower() if match else "database operation"
    table = match.group(2) if match else "unknown table"
    log.error("%s on table %s failed: %s", operation, table, type(err).__name__)
    if isinstance(err, IntegrityError):
        reason = _integrity_reason(err)
        return StoreError(f"{operation} on table {table} refused: {reason}")
    if isinstance(err, OperationalError):
        return StoreError(
            f"{operation} on table {table} failed: the database could not be used",
            hint="check ONCOREG_DATABASE_URL and that the database is running and migrated "
            "(`oncoreg db upgrade`)",
        )
    if isinstance(err, DBAPIError):
        return StoreError(f"{operation} on table {table} failed ({type(err.orig).__name__})")
    return StoreError(f"{operation} on table {table} failed ({type(err).__name__})")


def _integrity_reason(err: IntegrityError) -> str:
    text = str(err.orig).lower()
    if "unique" in text or "duplicate" in text:
        return "a record with the same key already exists"
    if "foreign key" in text:
        return "it refers to a record that does not exist"
    if "not null" in text or "null value" in text:
        return "a required field is empty"
    if "check" in text:
        return "a value is not one of the allowed codes"
    return "it breaks a constraint of the table"
