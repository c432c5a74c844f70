"""Trends in rates: the annual percent change (APC), as SEER*Stat computes it.

For each stratum, ``ln(rate) = b0 + b1 * year`` is fitted by ordinary least squares over
its years; ``APC = 100 (exp(b1) - 1)``, its limits ``100 (exp(b1 +- t se(b1)) - 1)`` with
``t`` the Student t quantile on ``n - 2`` degrees of freedom, and the p-value is the
two-sided t test of ``b1 = 0`` (R: ``lm(log(rate) ~ year)``).

A rate of 0 (or a missing one) cannot be logged: such a year is an error naming the
stratum and the year (merge years or strata, or leave the year out). A stratum needs at
least three distinct years.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl
from scipy import stats

from oncoreg.errors import InputError, Problem
from oncoreg.stats.rates import as_polars, check_conf

APC_COLUMNS = ("first_year", "last_year", "years", "apc", "apc_lower", "apc_upper", "p_value")


def annual_percent_change(
    table: object,
    year: str = "year",
    value: str = "asr",
    by: Sequence[str] = (),
    conf: float = 0.95,
    *,
    file: str | None = None,
) -> pl.DataFrame:
    """The annual percent change of a rate, per stratum, with its CI and p-value.

    Args:
        table: one row per stratum and year, with the ``year``, ``value`` and ``by``
            columns (e.g. the output of ``age_standardised_rates(by=[..., "year"])``).
        year: the column of calendar years (numbers).
        value: the column of rates (any unit: the APC does not depend on it).
        by: the stratum columns.
        conf: the confidence level.
        file: the file the table came from, for messages.

    Returns:
        One row per stratum: the ``by`` columns and :data:`APC_COLUMNS` (``apc`` and its
        limits in percent per year).

    Raises:
        InputError: missing columns, a year that is not a number or appears twice in a
            stratum, a rate that is 0, missing or negative, or fewer than 3 years.
    """
    check_conf(conf)
    frame = _checked(as_polars(table), year, value, list(by), file)
    keys = list(by)
    parts = frame.partition_by(keys, maintain_order=True) if keys else [frame]
    rows = [
        {**{k: part[k][0] for k in keys}, **_fit(part[year], part[value], conf)} for part in parts
    ]
    schema = {k: frame.schema[k] for k in keys} | {
        "first_year": pl.Int64,
        "last_year": pl.Int64,
        "years": pl.Int64,
    }
    return pl.DataFrame(rows, schema_overrides=schema)


def _checked(
    frame: pl.DataFrame, year: str, value: str, by: list[str], file: str | None
) -> pl.DataFrame:
    missing = [c for c in (year, value, *by) if c not in frame.columns]
    if missing:
        raise InputError(f"{file or 'table'}: missing column(s) {', '.join(missing)}")
    frame = frame.with_columns(
        pl.col(year).cast(pl.Float64, strict=False).alias("_year"),
        pl.col(value).cast(pl.Float64, strict=False).alias("_value"),
    )
    problems = _value_problems(frame, year, value, by, file)
    problems += _year_problems(frame, year, by, file)
    if problems:
        raise InputError(
            f"{file or 'table'}: the annual percent change cannot be computed",
            hint="a rate of 0 cannot be logged: merge years or strata, or leave the year out",
            problems=problems,
        )
    return frame.drop(year, value).rename({"_year": year, "_value": value})


def _where(row: dict, by: list[str]) -> str:
    return ", ".join(f"{c}={row[c]}" for c in by) if by else "all"


def _value_problems(
    frame: pl.DataFrame, year: str, value: str, by: list[str], file: str | None
) -> list[Problem]:
    bad = frame.filter(
        pl.col("_value").is_null()
        | pl.col("_year").is_null()
        | ~(pl.col("_value") > 0)
        | pl.col("_value").is_infinite()
    )
    problems = []
    for row in bad.iter_rows(named=True):
        what = f"year {row[year]}" if row["_year"] is not None else "a year that is not a number"
        rate = "no rate" if row["_value"] is None else f"a rate of {row['_value']:g}"
        problems.append(
            Problem(f"stratum {_where(row, by)}: {what} has {rate}", file=file, field=value)
        )
    return problems


def _year_problems(
    frame: pl.DataFrame, year: str, by: list[str], file: str | None
) -> list[Problem]:
    keys = [*by, "_year"]
    problems = [
        Problem(f"stratum {_where(row, by)}: year {row['_year']:g} appears twice", file=file)
        for row in frame.filter(pl.struct(keys).is_duplicated()).unique(keys).iter_rows(named=True)
        if row["_year"] is not None
    ]
    fractional = frame.filter(pl.col("_year") != pl.col("_year").floor())
    for row in fractional.iter_rows(named=True):
        problems.append(
            Problem(
                f"stratum {_where(row, by)}: year {row['_year']:g} is not a whole number",
                file=file,
                field=year,
            )
        )
    counts = frame.group_by(by or pl.lit(0), maintain_order=True).agg(pl.col("_year").n_unique())
    for row in counts.filter(pl.col("_year") < 3).iter_rows(named=True):
        problems.append(
            Problem(f"stratum {_where(row, by)}: needs at least 3 years", file=file, field=year)
        )
    return problems


def _fit(years: pl.Series, rates: pl.Series, conf: float) -> dict[str, float | int]:
    """Least squares of ln(rate) on year: the APC, its limits and the p-value."""
    x, y = years.to_numpy(), np.log(rates.to_numpy())
    n = len(x)
    sxx = float(((x - x.mean()) ** 2).sum())
    slope = float(((x - x.mean()) * (y - y.mean())).sum()) / sxx
    residuals = y - (y.mean() + slope * (x - x.mean()))
    se = float(np.sqrt((residuals**2).sum() / (n - 2) / sxx))
    t = float(stats.t.ppf(1 - (1 - conf) / 2, n - 2))
    if se > 0:
        p_value = float(2 * stats.t.sf(abs(slope) / se, n - 2))
    else:  # the points lie on a line: no doubt about the slope
        p_value = 0.0 if slope != 0 else 1.0
    return {
        "first_year": int(x.min()),
        "last_year": int(x.max()),
        "years": n,
        "apc": 100 * float(np.expm1(slope)),
        "apc_lower": 100 * float(np.expm1(slope - t * se)),
        "apc_upper": 100 * float(np.expm1(slope + t * se)),
        "p_value": p_value,
    }
