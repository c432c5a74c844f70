"""Bulk inserts of many rows from a Polars frame, fast on the embedded SQLite default.

On SQLite, a large frame is written by the ADBC SQLite driver (Arrow to SQLite, in C) into
a staging database file, which the caller's connection attaches and copies from with
``INSERT ... SELECT`` inside the caller's transaction: the rows become visible, or vanish,
with that transaction; the staging file is detached and deleted when the connection goes
back to the pool (:func:`detach_stages`, registered by the store's engine). Smaller
frames go through the driver's ``executemany``. Values are converted column-wise to the
forms SQLAlchemy's SQLite types store (ISO text for dates and timestamps, JSON text).
Elsewhere (PostgreSQL) rows go through SQLAlchemy's Core insert, which adapts each type.
"""

from __future__ import annotations

import gc
import json
import shutil
import tempfile
import uuid
from pathlib import Path

import polars as pl
from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    Float,
    Integer,
    Select,
    Table,
    bindparam,
    insert,
    update,
)
from sqlalchemy.engine import Connection

SQLITE_DATE = "%Y-%m-%d"
SQLITE_DATETIME = "%Y-%m-%d %H:%M:%S%.6f"
CHUNK = 50_000  # rows converted to Python per executemany: bounds memory on big batches
STAGED = 20_000  # frames at least this large go through a staging file
STAGE_PREFIX = "oncoreg_stage_"
STAGE_CHUNK = 100_000


def bulk_insert(connection: Connection, table: Table, frame: pl.DataFrame) -> None:
    """Insert every row of ``frame`` (columns named as the table's) into ``table``.

    Dates and timestamps are Polars temporal columns; JSON columns hold either Python
    objects or JSON text.
    """
    if frame.is_empty():
        return
    if connection.dialect.name != "sqlite":
        connection.execute(insert(table), _python_rows(table, frame))
        return
    converted = frame.with_columns(
        _sqlite_value(table, name, frame.schema[name]) for name in frame.columns
    )
    if converted.height >= STAGED:
        _staged_insert(connection, table, converted)
    else:
        _executemany(connection, table, converted)


def _insert_sql(connection: Connection, table: Table, columns: list[str], source: str) -> str:
    quote = connection.dialect.identifier_preparer.quote
    names = ", ".join(quote(name) for name in columns)
    return f"INSERT INTO {quote(table.name)} ({names}) {source.format(names=names)}"


def _executemany(connection: Connection, table: Table, frame: pl.DataFrame) -> None:
    marks = ", ".join("?" for _ in frame.columns)
    sql = _insert_sql(connection, table, frame.columns, f"VALUES ({marks})")
    collecting = gc.isenabled()
    gc.disable()  # millions of short-lived tuples: the cyclic collector only slows them down
    try:
        for start in range(0, frame.height, CHUNK):
            connection.exec_driver_sql(sql, frame.slice(start, CHUNK).rows())
    finally:
        if collecting:
            gc.enable()


def _stage(frame: pl.DataFrame, name: str) -> tuple[str, str]:
    """Write ``frame`` as table ``name`` of a new staging file: (alias, path)."""
    import adbc_driver_sqlite.dbapi as adbc

    folder = Path(tempfile.mkdtemp(prefix="oncoreg-stage-"))
    alias = f"{STAGE_PREFIX}{uuid.uuid4().hex[:12]}"
    path = folder / "stage.db"
    with adbc.connect(str(path)) as stage:
        with stage.cursor() as cursor:
            for start in range(0, frame.height, STAGE_CHUNK):  # Arrow copies stay small
                part = frame.slice(start, STAGE_CHUNK).to_arrow()
                cursor.adbc_ingest(name, part, mode="create" if start == 0 else "append")
        stage.commit()
    return alias, str(path)


def _staged_insert(connection: Connection, table: Table, frame: pl.DataFrame) -> None:
    alias, path = _stage(frame, table.name)
    connection.exec_driver_sql(f"ATTACH DATABASE ? AS {alias}", (path,))
    quote = connection.dialect.identifier_preparer.quote
    source = f"SELECT {{names}} FROM {alias}.{quote(table.name)}"
    connection.exec_driver_sql(_insert_sql(connection, table, frame.columns, source))


def detach_stages(dbapi_connection, _record=None) -> None:
    """Detach and delete the staging files a connection attached (pool check-in, after its
    transaction has ended)."""
    attached = dbapi_connection.execute("PRAGMA database_list").fetchall()
    for _, name, file in attached:
        if name.startswith(STAGE_PREFIX):
            dbapi_connection.execute(f"DETACH DATABASE {name}")
            shutil.rmtree(Path(file).parent, ignore_errors=True)


def _python_rows(table: Table, frame: pl.DataFrame) -> list[dict]:
    """Rows as dicts, JSON given as text decoded so that SQLAlchemy encodes it once."""
    rows = frame.to_dicts()
    text_json = [
        n
        for n in frame.columns
        if isinstance(table.c[n].type, JSON) and frame.schema[n] == pl.String
    ]
    for row in rows:
        for name in text_json:
            row[name] = None if row[name] is None else json.loads(row[name])
    return rows


def _sqlite_value(table: Table, name: str, dtype: pl.DataType) -> pl.Expr:
    kind = table.c[name].type
    column = pl.col(name)
    if isinstance(kind, DateTime):
        return column.dt.strftime(SQLITE_DATETIME)
    if isinstance(kind, Date):
        return column.dt.strftime(SQLITE_DATE)
    if isinstance(kind, JSON) and dtype != pl.String:  # JSON given as text is kept as is
        return column.map_elements(_json, return_dtype=pl.String)
    return column


def _json(value) -> str:
    return json.dumps(value, separators=(", ", ": "))


def bulk_update(connection: Connection, table: Table, frame: pl.DataFrame, key: str = "id") -> None:
    """Set the columns of ``frame`` on the rows of ``table`` whose ``key`` it names.

    On SQLite a large frame is staged like :func:`bulk_insert` and applied by one
    ``UPDATE ... FROM``; elsewhere, or for small frames, by an ``executemany`` of
    ``UPDATE ... WHERE key = ?``. The caller writes the audit events (see
    :func:`oncoreg.store.audit.audit_frame`).
    """
    if frame.is_empty():
        return
    columns = [c for c in frame.columns if c != key]
    if connection.dialect.name != "sqlite" or frame.height < STAGED:
        statement = (
            update(table)
            .where(table.c[key] == bindparam("_key"))
            .values({c: bindparam(f"_v_{c}") for c in columns})
        )
        rows = [
            {("_key" if name == key else f"_v_{name}"): value for name, value in row.items()}
            for row in _python_rows(table, frame)
        ]
        for start in range(0, len(rows), CHUNK):
            connection.execute(statement, rows[start : start + CHUNK])
        return
    converted = frame.with_columns(
        _sqlite_value(table, name, frame.schema[name]) for name in frame.columns
    )
    alias = _stage(converted, table.name)
    connection.exec_driver_sql(f"ATTACH DATABASE ? AS {alias[0]}", (alias[1],))
    quote = connection.dialect.identifier_preparer.quote
    target, staged = quote(table.name), f"{alias[0]}.{quote(table.name)}"
    assignments = ", ".join(f"{quote(c)} = s.{quote(c)}" for c in columns)
    connection.exec_driver_sql(
        f"UPDATE {target} SET {assignments} FROM {staged} AS s "
        f"WHERE {target}.{quote(key)} = s.{quote(key)}"
    )


def read_frame(connection: Connection, query: Select) -> pl.DataFrame:
    """The rows of ``query`` as a Polars frame, fast on the embedded SQLite default.

    On SQLite the query runs on the connection's own DB-API cursor (no per-value type
    processing; one column at a time into Polars), a few times faster than SQLAlchemy rows
    for a million reports. It must be the caller's connection: a second SQLite library in
    the process (an ADBC or Rust driver) would break SQLite's file locks. Elsewhere through
    SQLAlchemy. On SQLite, dates and timestamps come back as text.
    """
    if connection.dialect.name != "sqlite":
        return pl.read_database(query, connection, infer_schema_length=None)
    compiled = query.compile(connection)
    cursor = connection.connection.dbapi_connection.cursor()
    try:
        cursor.execute(str(compiled), _positional(compiled))
        names = [d[0] for d in cursor.description]
        rows = cursor.fetchall()
    finally:
        cursor.close()
    kinds = [_polars_type(c.type) for c in query.selected_columns]
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(names)
    return pl.DataFrame(
        [
            pl.Series(n, v, dtype=k, strict=False)
            for n, v, k in zip(names, columns, kinds, strict=True)
        ]
    )


def _positional(compiled) -> list:
    """The statement's parameters in order, as the SQLite driver takes them."""
    params = compiled.construct_params()
    values = [params[name] for name in compiled.positiontup or ()]
    return [v.isoformat() if hasattr(v, "isoformat") else getattr(v, "value", v) for v in values]


def _polars_type(kind) -> pl.DataType:
    if isinstance(kind, Integer):
        return pl.Int64
    if isinstance(kind, Float):
        return pl.Float64
    return pl.String
