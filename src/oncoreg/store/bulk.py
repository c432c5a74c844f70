"""Bulk inserts of many rows from a Polars frame, fast on the embedded SQLite default.

On SQLite, a large frame is written by the ADBC SQLite driver (Arrow to SQLite, in C) into
a staging database file, which the caller's connection attaches and copies from with
``INSERT ... SELECT`` inside the caller's transaction: the rows become visible, or vanish,
with that transaction; the staging file is detached and deleted when the connection goes
back to the pool (:func:`detach_stages`, registered by the store's engine). Smaller
frames go through the driver's ``executemany``. Values are converted column-wise to the
forms SQLAlchemy's SQLite types store (ISO text for dates and timestamps, JSON text).

On PostgreSQL a frame is written as CSV by Polars and streamed into the table with
``COPY ... FROM STDIN`` on the caller's connection (inside its transaction), some ten
times faster than a multi-row ``INSERT``; new ids are taken from the table's sequence
first, so that they are known in the frame's order. Other databases go through
SQLAlchemy's Core insert, which adapts each type.
"""

from __future__ import annotations

import csv
import gc
import io
import json
import shutil
import tempfile
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import polars as pl
from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    Integer,
    Numeric,
    Select,
    Table,
    bindparam,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import CompileError

SQLITE_DATE = "%Y-%m-%d"
SQLITE_DATETIME = "%Y-%m-%d %H:%M:%S%.6f"
CHUNK = 50_000  # rows converted to Python per executemany: bounds memory on big batches
STAGED = 20_000  # frames at least this large go through a staging file
STAGE_PREFIX = "oncoreg_stage_"
STAGE_CHUNK = 25_000
STAGE_ROWS = 200_000  # rows per staging file: the next is written while one is copied
MAX_STAGES = 8  # SQLite attaches at most 10 databases to a connection


def bulk_insert(connection: Connection, table: Table, frame: pl.DataFrame) -> None:
    """Insert every row of ``frame`` (columns named as the table's) into ``table``.

    Dates and timestamps are Polars temporal columns; JSON columns hold either Python
    objects or JSON text.
    """
    if frame.is_empty():
        return
    if connection.dialect.name == "postgresql":
        _copy(connection, table.name, _text_values(table, frame))
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
    """Insert through staging files, in order: while the database copies one part, a
    worker thread writes the next (the SQLite copy and the ADBC writer both run outside
    the GIL, so the two cores share the work)."""
    size = max(STAGE_ROWS, -(-frame.height // MAX_STAGES))
    parts = [frame.slice(start, size) for start in range(0, frame.height, size)]
    quote = connection.dialect.identifier_preparer.quote
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="oncoreg-stage") as pool:
        pending = pool.submit(_stage, parts[0], table.name)
        for index in range(len(parts)):
            alias, path = pending.result()
            if index + 1 < len(parts):
                pending = pool.submit(_stage, parts[index + 1], table.name)
            connection.exec_driver_sql(f"ATTACH DATABASE ? AS {alias}", (path,))
            source = f"SELECT {{names}} FROM {alias}.{quote(table.name)} ORDER BY rowid"
            connection.exec_driver_sql(_insert_sql(connection, table, frame.columns, source))


def insert_returning_ids(
    connection: Connection, table: Table, frame: pl.DataFrame
) -> pl.Series | None:
    """:func:`bulk_insert`, returning the new rows' ``id`` in the order of ``frame``.

    On SQLite the rows go in in order and take the ids after the largest one (SQLite's
    rule for an INTEGER PRIMARY KEY given no value); the new ids are checked to be that
    one run, and None is returned when they are not (e.g. another writer got in first:
    the caller reads its rows back). On PostgreSQL the ids are drawn from the table's
    sequence and copied in with the rows. Elsewhere ``INSERT ... RETURNING`` in parameter
    order.
    """
    if frame.is_empty():
        return pl.Series("id", [], dtype=pl.Int64)
    if connection.dialect.name == "postgresql":
        ids = _next_ids(connection, table, frame.height)
        bulk_insert(connection, table, frame.with_columns(ids))
        return ids
    if connection.dialect.name != "sqlite":
        statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        rows = connection.execute(statement, _python_rows(table, frame)).all()
        return pl.Series("id", [r[0] for r in rows], dtype=pl.Int64)
    before = connection.execute(select(func.max(table.c.id))).scalar() or 0
    bulk_insert(connection, table, frame)
    low, high, count = connection.execute(
        select(func.min(table.c.id), func.max(table.c.id), func.count()).where(table.c.id > before)
    ).one()
    if not (count == frame.height and low == before + 1 and high == before + count):
        return None
    return pl.Series("id", range(low, high + 1), dtype=pl.Int64)


COPY_ROWS = 100_000  # rows per CSV piece streamed to COPY: bounds the text held at once


def _text_values(table: Table, frame: pl.DataFrame) -> pl.DataFrame:
    """JSON values given as objects turned into JSON text (the rest CSV writes as
    PostgreSQL reads it: ISO dates and timestamps, true/false)."""
    return frame.with_columns(
        _json_text(n) for n in frame.columns if _json_objects(table, n, frame.schema[n])
    )


def _json_objects(table: Table, name: str, dtype: pl.DataType) -> bool:
    """A JSON column given as objects (JSON given as text is kept as is)."""
    return isinstance(table.c[name].type, JSON) and dtype != pl.String


def _json_text(name: str) -> pl.Expr:
    return pl.col(name).map_elements(_json, return_dtype=pl.String)


def _copy(connection: Connection, name: str, frame: pl.DataFrame) -> None:
    """Stream ``frame`` into table ``name`` with PostgreSQL's ``COPY ... FROM STDIN``.

    CSV with NULL written as an unquoted ``\\N``; every text value is quoted, so an empty
    string stays empty and a value that reads ``\\N`` stays text.
    """
    quote = connection.dialect.identifier_preparer.quote
    names = ", ".join(quote(c) for c in frame.columns)
    sql = f"COPY {quote(name)} ({names}) FROM STDIN (FORMAT csv, NULL '\\N')"
    cursor = connection.connection.driver_connection.cursor()
    with cursor.copy(sql) as copy:
        for start in range(0, frame.height, COPY_ROWS):
            part = frame.slice(start, COPY_ROWS)
            copy.write(
                part.write_csv(include_header=False, null_value="\\N", quote_style="non_numeric")
            )


def _next_ids(connection: Connection, table: Table, count: int) -> pl.Series:
    """``count`` new values of the sequence behind ``table.id`` (PostgreSQL)."""
    rows = connection.exec_driver_sql(
        "SELECT nextval(pg_get_serial_sequence(%(t)s, 'id')) FROM generate_series(1, %(n)s)",
        {"t": table.name, "n": count},
    ).all()
    return pl.Series("id", [r[0] for r in rows], dtype=pl.Int64)


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
    if _json_objects(table, name, dtype):
        return _json_text(name)
    return column


def _json(value) -> str:
    return json.dumps(value, separators=(", ", ": "))


def bulk_update(connection: Connection, table: Table, frame: pl.DataFrame, key: str = "id") -> None:
    """Set the columns of ``frame`` on the rows of ``table`` whose ``key`` it names.


    A large frame is staged and applied by one ``UPDATE ... FROM``: on SQLite like
    :func:`bulk_insert`, on PostgreSQL through a temporary table filled by ``COPY``;
    elsewhere, or for small frames, by an ``executemany`` of ``UPDATE ... WHERE key = ?``.
    The caller writes the audit events (see :func:`oncoreg.store.audit.audit_frame`).
    """
    if frame.is_empty():
        return
    columns = [c for c in frame.columns if c != key]
    if connection.dialect.name == "postgresql" and frame.height >= STAGED:
        _copy_update(connection, table, frame, key, columns)
        return
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


def _copy_update(
    connection: Connection, table: Table, frame: pl.DataFrame, key: str, columns: list[str]
) -> None:
    """PostgreSQL: copy ``frame`` into a temporary table of the same column types, then
    one ``UPDATE ... FROM`` it."""
    quote = connection.dialect.identifier_preparer.quote
    stage = f"{STAGE_PREFIX}{uuid.uuid4().hex[:12]}"
    names = ", ".join(quote(c) for c in frame.columns)
    connection.exec_driver_sql(
        f"CREATE TEMPORARY TABLE {stage} ON COMMIT DROP AS "
        f"SELECT {names} FROM {quote(table.name)} WITH NO DATA"
    )
    _copy(connection, stage, _text_values(table, frame))
    target = quote(table.name)
    assignments = ", ".join(f"{quote(c)} = s.{quote(c)}" for c in columns)
    connection.exec_driver_sql(
        f"UPDATE {target} SET {assignments} FROM {stage} AS s "
        f"WHERE {target}.{quote(key)} = s.{quote(key)}"
    )
    connection.exec_driver_sql(f"DROP TABLE {stage}")


def read_frame(connection: Connection, query: Select) -> pl.DataFrame:
    """The rows of ``query`` as a Polars frame, fast on the embedded SQLite default.

    On SQLite the query runs on the connection's own DB-API cursor (no per-value type
    processing; one column at a time into Polars), a few times faster than SQLAlchemy rows
    for a million reports. It must be the caller's connection: a second SQLite library in
    the process (an ADBC or Rust driver) would break SQLite's file locks. Elsewhere through
    SQLAlchemy. On SQLite, dates and timestamps come back as text.

    On PostgreSQL the query, its values written in by SQLAlchemy, runs as
    ``COPY (query) TO STDOUT`` on the caller's connection and Polars reads the CSV, typed
    from the query's columns: some twenty times faster than rows through SQLAlchemy for
    millions of tumours. A query SQLAlchemy cannot write out with its values, or one
    selecting JSON, goes through SQLAlchemy rows.
    """
    if connection.dialect.name == "postgresql":
        copied = _copy_frame(connection, query)
        if copied is not None:
            return copied
    if connection.dialect.name != "sqlite":
        return pl.read_database(query, connection, infer_schema_length=None)
    compiled = query.compile(connection, compile_kwargs={"render_postcompile": True})
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


def _copy_frame(connection: Connection, query: Select) -> pl.DataFrame | None:
    """PostgreSQL: ``query``'s rows by ``COPY ... TO STDOUT`` in CSV, or None when it
    cannot go that way (see :func:`read_frame`)."""
    kinds = [c.type for c in query.selected_columns]
    if any(isinstance(k, JSON) for k in kinds):
        return None
    try:
        sql = str(query.compile(connection, compile_kwargs={"literal_binds": True}))
    except (CompileError, NotImplementedError):
        return None
    buffer = io.BytesIO()
    cursor = connection.connection.driver_connection.cursor()
    with cursor.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv, HEADER)") as copy:
        for data in copy:
            buffer.write(data)
    buffer.seek(0)
    names = next(csv.reader([buffer.readline().decode("utf-8")]), [])
    if not names:  # no columns (cannot happen for a SELECT) or nothing at all
        return pl.DataFrame()
    read = [_csv_type(k) for k in kinds]
    frame = pl.read_csv(
        buffer, has_header=False, new_columns=names, schema=dict(zip(names, read, strict=True))
    )
    return frame.with_columns(
        _from_csv(name, kind) for name, kind in zip(names, kinds, strict=True)
    )


def _csv_type(kind) -> pl.DataType:
    """How a column of PostgreSQL's CSV is read (booleans and timestamps as text first)."""
    if isinstance(kind, Integer):
        return pl.Int64
    if isinstance(kind, Float | Numeric):
        return pl.Float64
    if isinstance(kind, Date) and not isinstance(kind, DateTime):
        return pl.Date
    return pl.String


def _from_csv(name: str, kind) -> pl.Expr:
    column = pl.col(name)
    if isinstance(kind, Boolean):
        return column.replace_strict({"t": True, "f": False}, return_dtype=pl.Boolean)
    if isinstance(kind, DateTime) and kind.timezone:
        return column.str.to_datetime("%Y-%m-%d %H:%M:%S%.f%#z", time_zone="UTC")
    if isinstance(kind, DateTime):
        return column.str.to_datetime("%Y-%m-%d %H:%M:%S%.f")
    return column


def _positional(compiled) -> list:
    """The statement's parameters in order, as the SQLite driver takes them."""
    params = compiled.construct_params()
    values = [params[name] for name in compiled.positiontup or ()]
    return [v.isoformat() if hasattr(v, "isoformat") else getattr(v, "value", v) for v in values]


def _polars_type(kind) -> pl.DataType:
    if isinstance(kind, Boolean):
        return pl.Boolean
    if isinstance(kind, Integer):
        return pl.Int64
    if isinstance(kind, Float):
        return pl.Float64
    return pl.String


def as_dates(frame: pl.DataFrame, *columns: str) -> pl.DataFrame:
    """Date columns as dates (SQLite gives them back as ISO text)."""
    return frame.with_columns(
        pl.col(c).str.to_date("%Y-%m-%d", strict=False)
        if frame.schema[c] == pl.String
        else pl.col(c).cast(pl.Date)
        for c in columns
    )
