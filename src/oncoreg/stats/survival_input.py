"""Checking the frames that survival statistics read: where a problem is, and parsing columns.

Frames come from a CSV file (every column text) or from Python (typed columns); either way a
bad value becomes a :class:`~oncoreg.errors.Problem` naming the file, the row and the column,
never the value itself (values may be personal data). Rows are numbered as the caller says:
spreadsheet rows for files (the header is row 1, the first data row 2), 1-based data rows for
frames given in Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from oncoreg.errors import InputError, Problem

MAX_PROBLEMS_PER_CHECK = 20


@dataclass(frozen=True, eq=False)
class Origin:
    """Where a frame came from, for messages.

    Attributes:
        file: the file name shown in messages (``None`` for a frame given in Python).
        first_row: the number of the frame's first row (2 for a CSV file with a header).
        numbers: each frame row's number, when some rows of the file were left out (blank).
    """

    file: str | None = None
    first_row: int = 1
    numbers: np.ndarray | None = None

    def number(self, index: int) -> int:
        """The number shown for the frame's row ``index`` (0-based)."""
        if self.numbers is not None:
            return int(self.numbers[index])
        return int(index) + self.first_row

    def problems(self, rows: np.ndarray, field: str | None, message: str) -> list[Problem]:
        """One problem per offending row (0-based indexes), at most MAX_PROBLEMS_PER_CHECK."""
        shown = [
            Problem(message, file=self.file, row=self.number(i), field=field)
            for i in rows[:MAX_PROBLEMS_PER_CHECK]
        ]
        if len(rows) > MAX_PROBLEMS_PER_CHECK:
            more = len(rows) - MAX_PROBLEMS_PER_CHECK
            shown.append(
                Problem(f"... and {more} more rows like this", file=self.file, field=field)
            )
        return shown

    def fail(self, message: str, problems: Sequence[Problem] = (), hint: str | None = None):
        """Raise an :class:`InputError` that names the file."""
        prefix = f"{self.file}: " if self.file else ""
        raise InputError(prefix + message, problems=list(problems), hint=hint)


def as_polars(frame) -> pl.DataFrame:
    """A Polars frame from a Polars or pandas frame (pandas is converted, not required)."""
    if isinstance(frame, pl.DataFrame):
        return frame
    if isinstance(frame, pl.LazyFrame):
        return frame.collect()
    if type(frame).__module__.startswith("pandas"):
        return pl.from_pandas(frame)
    raise TypeError(f"expected a Polars or pandas DataFrame, got {type(frame).__name__}")


def require_columns(frame: pl.DataFrame, columns: Sequence[str], origin: Origin, hint: str) -> None:
    """Raise when any of ``columns`` is absent."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        origin.fail(f"missing column(s) {', '.join(missing)}", hint=hint)


def _blank(column: pl.Series) -> np.ndarray:
    if column.dtype == pl.String:
        return (column.str.strip_chars() == "").fill_null(True).to_numpy()
    return column.is_null().to_numpy()


def numbers(frame: pl.DataFrame, name: str, origin: Origin, problems: list[Problem]) -> np.ndarray:
    """Column ``name`` as float64 (NaN where blank or not a number, each reported)."""
    column = frame[name]
    blank = _blank(column)
    if column.dtype == pl.String:
        values = column.str.strip_chars().cast(pl.Float64, strict=False)
    elif column.dtype.is_numeric():
        values = column.cast(pl.Float64)
    else:
        values = pl.Series(name, [None] * len(column), dtype=pl.Float64)
    out = values.fill_null(np.nan).to_numpy().astype(np.float64, copy=False)
    bad = ~np.isfinite(out)
    problems += origin.problems(np.flatnonzero(blank), name, "missing value")
    problems += origin.problems(np.flatnonzero(bad & ~blank), name, "not a number")
    return out


def codes(
    frame: pl.DataFrame,
    name: str,
    allowed: tuple[int, ...],
    origin: Origin,
    problems: list[Problem],
    meaning: str,
) -> np.ndarray:
    """Column ``name`` as int8 codes from ``allowed`` (-1 where not, each reported)."""
    values = numbers(frame, name, origin, problems)
    ok = np.isin(values, allowed)
    wrong = np.isfinite(values) & ~ok
    problems += origin.problems(np.flatnonzero(wrong), name, f"must be {meaning}")
    return np.where(ok, values, -1).astype(np.int8)


def dates(frame: pl.DataFrame, name: str, origin: Origin, problems: list[Problem]) -> np.ndarray:
    """Column ``name`` as days since 1970-01-01 (float64; NaN where blank or not a date)."""
    column = frame[name]
    blank = _blank(column)
    if column.dtype == pl.String:
        parsed = column.str.strip_chars().str.to_date("%Y-%m-%d", strict=False)
    elif column.dtype == pl.Date:
        parsed = column
    elif isinstance(column.dtype, pl.Datetime):
        parsed = column.dt.date()
    else:
        parsed = pl.Series(name, [None] * len(column), dtype=pl.Date)
    days = parsed.cast(pl.Int32).cast(pl.Float64).fill_null(np.nan).to_numpy()
    bad = np.isnan(days) & ~blank
    problems += origin.problems(np.flatnonzero(blank), name, "missing value")
    problems += origin.problems(np.flatnonzero(bad), name, "not a date (write YYYY-MM-DD)")
    return days
