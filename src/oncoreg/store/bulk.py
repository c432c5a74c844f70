"""Bulk inserts of many rows from a Polars frame, fast on the embedded SQLite default.

On SQLite the frame's values are converted column-wise to the forms SQLAlchemy's SQLite
types store (ISO text for dates and timestamps, JSON text) and handed to the driver's
``executemany`` in one call; elsewhere (PostgreSQL) rows go through SQLAlchemy's Core
insert, which adapts each type. Either way the rows are part of the caller's transaction.
"""

from __future__ import annotations

import gc
import json

import polars as pl
from sqlalchemy import JSON, Date, DateTime, Table, insert
from sqlalchemy.engine import Connection

SQLITE_DATE = "%Y-%m-%d"
SQLITE_DATETIME = "%Y-%m-%d %H:%M:%S%.6f"
CHUNK = 50_000  # rows converted to Python per executemany: bounds memory on big batches


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
    preparer = connection.dialect.identifier_preparer
    columns = ", ".join(preparer.quote(name) for name in frame.columns)
    marks = ", ".join("?" for _ in frame.columns)
    sql = f"INSERT INTO {preparer.quote(table.name)} ({columns}) VALUES ({marks})"
    collecting = gc.isenabled()
    gc.disable()  # millions of short-lived tuples: the cyclic collector only slows them down
    try:
        for start in range(0, converted.height, CHUNK):
            connection.exec_driver_sql(sql, converted.slice(start, CHUNK).rows())
    finally:
        if collecting:
            gc.enable()


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
