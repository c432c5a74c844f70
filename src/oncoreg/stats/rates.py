"""Incidence counts and rates: age groups, exact Poisson limits, age-specific and crude rates.

Every function takes a Polars frame (a pandas frame is converted) and returns a new one;
nothing here reads files or the registry. A *counts* frame has one row per stratum and
age group with ``age_group``, ``cases`` and ``pyrs`` (person-years), plus the stratum
columns named in ``by``. A missing age-group row means no cases and no person-years.

Conventions (see ``docs/stats-rates.md``):

* age groups are the 18 five-year groups ``0-4`` ... ``80-84``, ``85+`` (:data:`AGE_GROUPS`),
  or the finer groups of one shipped standard population (e.g. europe-1976's ``0``, ``1-4``);
* confidence limits of a count are Garwood's exact Poisson limits;
* a rate where there are no person-years is null (empty in a CSV), never NaN or inf.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import polars as pl
from scipy import stats

from oncoreg.codes.standard_populations import parse_age_group, standard_populations
from oncoreg.errors import InputError, Problem

AGE_GROUPS: tuple[str, ...] = tuple(f"{a}-{a + 4}" for a in range(0, 85, 5)) + ("85+",)
ROW = "_row"
_HINT = "age groups are 0-4, 5-9, ..., 80-84, 85+ (or a standard population's own groups)"


def as_polars(frame: object) -> pl.DataFrame:
    """The frame as Polars: a Polars frame as it is, a pandas frame converted.

    Raises:
        InputError: neither a Polars nor a pandas frame.
    """
    if isinstance(frame, pl.DataFrame):
        return frame
    if type(frame).__module__.startswith("pandas"):
        return pl.from_pandas(frame)  # type: ignore[arg-type]
    raise InputError(f"expected a Polars or pandas data frame, got {type(frame).__name__}")


def z_value(conf: float) -> float:
    """The two-sided standard normal quantile, 1.959963984540054 for ``conf=0.95``."""
    check_conf(conf)
    return float(stats.norm.ppf(1 - (1 - conf) / 2))


def check_conf(conf: float) -> None:
    """Refuse a confidence level outside (0, 1)."""
    if not 0 < conf < 1:
        raise InputError(f"confidence level {conf} is not between 0 and 1", hint="e.g. 0.95")


def check_per(per: float) -> None:
    """Refuse a rate multiplier that is not a positive number."""
    if not (isinstance(per, int | float) and math.isfinite(per) and per > 0):
        raise InputError(f"per {per!r} is not a positive number", hint="e.g. 100000")


def age_group_of(age: float, groups: Sequence[str] = AGE_GROUPS) -> str:
    """The age group that holds an age in years (fractional ages count completed years).

    Args:
        age: age in years, e.g. 64.9 (in ``60-64``).
        groups: the age-group labels, from age 0 up.

    Raises:
        InputError: the age is negative, not a number, or above the last closed group.
    """
    index = _group_index(np.array([age], dtype=float), groups)[0]
    if index < 0:
        raise InputError(f"age {age!r} is not an age in years within {groups[0]}...{groups[-1]}")
    return groups[index]


def _group_index(ages: np.ndarray, groups: Sequence[str]) -> np.ndarray:
    """Index into ``groups`` of each age, -1 where it falls in none (or is not a number)."""
    parsed = [parse_age_group(g) for g in groups]
    starts = np.array([g.start for g in parsed])
    uppers = np.array([g.upper for g in parsed])
    years = np.floor(np.where(np.isfinite(ages), ages, -1.0))
    index = np.searchsorted(starts, years, side="right") - 1
    ok = (years >= starts[0]) & (index >= 0) & (years <= uppers[np.clip(index, 0, None)])
    return np.where(ok, index, -1)


def poisson_limits(cases: float, conf: float = 0.95) -> tuple[float, float]:
    """Garwood's exact Poisson confidence limits of a count.

    The same as R's ``poisson.test(x)$conf.int``: ``qchisq(a/2, 2x)/2`` and
    ``qchisq(1-a/2, 2(x+1))/2``, with a lower limit of 0 for ``x = 0``.

    Args:
        cases: the observed count (not negative).
        conf: the confidence level.

    Returns:
        ``(lower, upper)`` on the scale of the count.
    """
    if not (math.isfinite(cases) and cases >= 0):
        raise InputError(f"a count must be a number of 0 or more, got {cases!r}")
    lower, upper = garwood(np.array([cases], dtype=float), conf)
    return float(lower[0]), float(upper[0])


def garwood(cases: np.ndarray, conf: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised :func:`poisson_limits` (counts of 0 or more)."""
    check_conf(conf)
    alpha = 1 - conf
    lower = stats.chi2.ppf(alpha / 2, 2 * np.where(cases > 0, cases, 1)) / 2
    upper = stats.chi2.ppf(1 - alpha / 2, 2 * (cases + 1)) / 2
    return np.where(cases > 0, lower, 0.0), upper


def age_specific_rates(
    counts: object, by: Sequence[str] = (), per: float = 100_000, conf: float = 0.95
) -> pl.DataFrame:
    """Age-specific rates with exact Poisson (Garwood) limits.

    Args:
        counts: a counts frame (``age_group``, ``cases``, ``pyrs`` and the ``by`` columns).
        by: the stratum columns.
        per: rates per this many person-years.
        conf: the confidence level.

    Returns:
        One row per stratum and age group (every group, in age order; missing rows filled
        with 0 cases and 0 person-years): the ``by`` columns, ``age_group``, ``cases``,
        ``pyrs``, ``rate``, ``rate_lower``, ``rate_upper``; the rate and its limits are null
        where ``pyrs`` is 0.

    Raises:
        InputError: every problem of the frame (see :func:`prepare_counts`).
    """
    check_per(per)
    check_conf(conf)
    frame, groups = prepare_counts(counts, by)
    full = complete_counts(frame, by, groups)
    lower, upper = garwood(full["cases"].to_numpy(), conf)
    pyrs = full["pyrs"].to_numpy()
    return full.select(*by, "age_group", pl.col("cases").cast(pl.Int64), "pyrs").with_columns(
        rate=_per(full["cases"].to_numpy(), pyrs, per),
        rate_lower=_per(lower, pyrs, per),
        rate_upper=_per(upper, pyrs, per),
    )


def crude_rates(
    counts: object, by: Sequence[str] = (), per: float = 100_000, conf: float = 0.95
) -> pl.DataFrame:
    """Crude rates (all ages) with exact Poisson (Garwood) limits.

    Args:
        counts: a counts frame; without an ``age_group`` column it holds one row per stratum.
        by: the stratum columns.
        per: rates per this many person-years.
        conf: the confidence level.

    Returns:
        One row per stratum: the ``by`` columns, ``cases``, ``pyrs``, ``crude_rate``,
        ``crude_lower``, ``crude_upper`` (null where the stratum has no person-years).
    """
    check_per(per)
    check_conf(conf)
    grouped = "age_group" in as_polars(counts).columns
    frame, _ = prepare_counts(counts, by, grouped=grouped)
    total = _stratum_totals(frame, by)
    lower, upper = garwood(total["cases"].to_numpy(), conf)
    pyrs = total["pyrs"].to_numpy()
    return total.with_columns(
        crude_rate=_per(total["cases"].to_numpy(), pyrs, per),
        crude_lower=_per(lower, pyrs, per),
        crude_upper=_per(upper, pyrs, per),
    )


def _stratum_totals(frame: pl.DataFrame, by: Sequence[str]) -> pl.DataFrame:
    sums = [pl.col("cases").sum().cast(pl.Int64), pl.col("pyrs").sum()]
    if not by:
        return frame.select(sums)
    return frame.group_by(list(by), maintain_order=True).agg(sums)


def _per(numerator: np.ndarray, pyrs: np.ndarray, per: float) -> pl.Series:
    """``numerator / pyrs * per``, null where ``pyrs`` is 0."""
    safe = np.where(pyrs > 0, pyrs, 1.0)
    values = np.where(pyrs > 0, np.asarray(numerator, dtype=float) / safe * per, np.nan)
    return pl.Series(values, dtype=pl.Float64).fill_nan(None)


def complete_counts(frame: pl.DataFrame, by: Sequence[str], groups: Sequence[str]) -> pl.DataFrame:
    """Every stratum crossed with every age group, missing rows as 0 cases and 0 pyrs.

    Strata keep the order in which they first appear; age groups are in age order. The
    result has the ``by`` columns, ``age_group``, ``cases``, ``pyrs`` and ``_stratum``
    (the stratum's number) and ``_order`` (the age group's).
    """
    order = pl.DataFrame(
        {"age_group": list(groups), "_order": list(range(len(groups)))},
        schema={"age_group": pl.String, "_order": pl.Int64},
    )
    if by:
        strata = frame.select(by).unique(maintain_order=True).with_row_index("_stratum")
        grid = strata.join(order, how="cross")
    else:
        grid = order.with_columns(_stratum=pl.lit(0, dtype=pl.UInt32))
    values = frame.select(*by, "age_group", "cases", "pyrs")
    full = grid.join(values, on=[*by, "age_group"], how="left")
    return full.with_columns(pl.col("cases", "pyrs").fill_null(0.0)).sort("_stratum", "_order")


def counts_from_cases(
    cases: object, population: object, by: Sequence[str] = (), *, file: str | None = None
) -> pl.DataFrame:
    """Count cases into the strata and age groups of a population table.

    Args:
        cases: one row per tumour, with ``age`` (years; used when present) or
            ``age_group``, and the ``by`` columns.
        population: ``age_group``, ``pyrs`` and the ``by`` columns, one row per stratum and
            age group; its age groups are the grouping of the result.
        by: the stratum columns.
        file: the cases file's name, for messages.

    Returns:
        A counts frame: the population's rows with the number of ``cases`` in each.

    Raises:
        InputError: a bad population (see :func:`prepare_counts`), ages that are not
            numbers or are negative, unknown age groups, or cases in a stratum and age
            group without person-years.
    """
    pop = as_polars(population).with_columns(cases=pl.lit(0.0))
    pop, groups = prepare_counts(pop, by)
    labelled, problems, source = case_age_groups(cases, by, groups, file=file)
    labelled, pop = _same_stratum_types(labelled, pop, by)
    keys = [*by, "age_group"]
    tally = (
        labelled.drop_nulls(keys)
        .group_by(keys)
        .agg(pl.len().alias("_n"), pl.col(ROW).min().alias("_first"))
    )
    joined = tally.join(pop.select(*keys, "pyrs"), on=keys, how="left")
    orphans = joined.filter(pl.col("pyrs").fill_null(0) <= 0)
    problems += [_orphan_problem(row, by, file, source) for row in orphans.iter_rows(named=True)]
    if problems:
        raise InputError(
            f"{file or 'cases'}: {len(problems)} problem(s) in the cases",
            hint="every case needs an age and person-years in the population for its stratum",
            problems=sorted(problems, key=lambda p: p.row or 0),
        )
    counted = pop.drop("cases").join(tally.select(*keys, "_n"), on=keys, how="left")
    return counted.select(*keys, pl.col("_n").fill_null(0).cast(pl.Int64).alias("cases"), "pyrs")


def _same_stratum_types(
    cases: pl.DataFrame, pop: pl.DataFrame, by: Sequence[str]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Stratum columns of different types in the two frames are compared as text."""
    differ = [c for c in by if cases.schema[c] != pop.schema[c]]
    text = [pl.col(c).cast(pl.String) for c in differ]
    return cases.with_columns(text), pop.with_columns(text)


def _orphan_problem(row: dict, by: Sequence[str], file: str | None, source: str) -> Problem:
    where = ", ".join(f"{c}={row[c]}" for c in by)
    stratum = f"stratum {where}, " if by else ""
    return Problem(
        f"{row['_n']} case(s) (the first here) in {stratum}age group {row['age_group']}, "
        "which has no person-years in the population",
        file=file,
        row=row["_first"],
        field=source,
    )


def case_age_groups(
    cases: object, by: Sequence[str], groups: Sequence[str], *, file: str | None = None
) -> tuple[pl.DataFrame, list[Problem], str]:
    """The cases with their ``age_group`` (from ``age`` if present) and ``_row`` number.

    Returns:
        ``(frame, problems, source)``: the cases (``age_group`` null where the age or
        group is bad), a problem per bad age, group or stratum value, and the column the
        age group came from (``age`` or ``age_group``).
    """
    frame = with_rows(as_polars(cases))
    source = "age" if "age" in frame.columns else "age_group"
    require_columns(frame, (source, *by), file, what="cases")
    if source == "age":
        frame, bad = _ages_to_groups(frame, groups)
        message = "age must be a number of years, 0 or more"
    else:
        frame, bad = _canonical_labels(frame, groups)
        message = f"unknown age group (the population has {groups[0]} ... {groups[-1]})"
    problems = [Problem(message, file=file, row=r, field=source) for r in bad]
    problems += _null_strata(frame, by, file)
    return frame, problems, source


def _ages_to_groups(frame: pl.DataFrame, groups: Sequence[str]) -> tuple[pl.DataFrame, list[int]]:
    ages = _as_numbers(frame["age"]).fill_null(float("nan")).to_numpy()
    index = np.where(np.isfinite(ages) & (ages >= 0), _group_index(ages, groups), -1)
    bad = frame.filter(pl.Series(index < 0))[ROW].to_list()
    labels = [groups[i] if i >= 0 else None for i in index.tolist()]
    return frame.with_columns(age_group=pl.Series(labels, dtype=pl.String)), bad


def _canonical_labels(frame: pl.DataFrame, groups: Sequence[str]) -> tuple[pl.DataFrame, list[int]]:
    labels = canonical_labels(frame["age_group"])
    known = labels.is_in(list(groups)).fill_null(False)
    bad = frame.filter(~known)[ROW].to_list()
    kept = [label if ok else None for label, ok in zip(labels, known, strict=True)]
    return frame.with_columns(age_group=pl.Series(kept, dtype=pl.String)), bad


def canonical_labels(column: pl.Series) -> pl.Series:
    """Age-group labels written the standard way (``00-04`` -> ``0-4``; null if not one)."""
    text = column.cast(pl.String)
    unique = text.unique().drop_nulls().to_list()
    mapping = {label: _canonical(label) for label in unique}
    return text.replace_strict(mapping, default=None, return_dtype=pl.String)


def _canonical(label: str) -> str | None:
    try:
        return parse_age_group(label).label
    except InputError:
        return None


# ---------------------------------------------------------------- checking a counts frame


def prepare_counts(
    counts: object,
    by: Sequence[str] = (),
    standard: str | None = None,
    *,
    grouped: bool = True,
    file: str | None = None,
) -> tuple[pl.DataFrame, tuple[str, ...]]:
    """Check a counts frame and return it with numbers as floats and canonical labels.

    Collects every problem before raising: missing columns or ``by`` columns; ``cases`` or
    ``pyrs`` missing, not numbers, negative, not finite, or fractional cases; unknown age
    groups; the same stratum and age group twice; cases without person-years. Rows are
    named by the ``_row`` column when the frame has one (a file's row numbers), else by
    their position in the frame (the first row is row 1).

    Args:
        counts: the counts frame.
        by: the stratum columns.
        standard: the standard population whose own age groups are also accepted.
        grouped: False for a frame without ``age_group`` (one row per stratum).
        file: the file name, for messages.

    Returns:
        ``(frame, groups)``: the checked frame (with ``_row``) and its age grouping (all
        of its groups in age order; ``()`` when not grouped).
    """
    frame = with_rows(as_polars(counts))
    keys = ("age_group",) if grouped else ()
    require_columns(frame, (*keys, "cases", "pyrs"), file, what="counts")
    require_columns(frame, tuple(by), file, what="counts", by=True)
    frame, problems = _numbers(frame, file)
    groups: tuple[str, ...] = ()
    if grouped:
        frame, groups, bad = _resolve_groups(frame, standard, file)
        problems += bad
    problems += _null_strata(frame, by, file)
    repeated = _duplicates(frame, [*by, *keys], file)
    problems += repeated + _cases_without_pyrs(frame, file)
    if problems:
        problems.sort(key=lambda p: p.row or 0)
        raise InputError(
            f"{file or 'counts'}: {len(problems)} problem(s) in the counts",
            hint=_counts_hint(frame, by, repeated),
            problems=problems,
        )
    return frame, groups


def _counts_hint(frame: pl.DataFrame, by: Sequence[str], repeated: list[Problem]) -> str:
    """The usual hint, or a question about stratum columns left out of ``by``."""
    unused = [c for c in frame.columns if c not in (*by, "age_group", "cases", "pyrs", ROW)]
    if repeated and unused:
        return f"rows repeat a stratum: should {', '.join(unused)} be stratum (--by) columns?"
    return "cases and pyrs are numbers of 0 or more; one row per stratum and age group"


def with_rows(frame: pl.DataFrame) -> pl.DataFrame:
    """The frame with a ``_row`` column (1, 2, ... unless it has one already)."""
    if ROW in frame.columns:
        return frame
    return frame.with_row_index(ROW, offset=1).with_columns(pl.col(ROW).cast(pl.Int64))


def require_columns(
    frame: pl.DataFrame, columns: Sequence[str], file: str | None, what: str, by: bool = False
) -> None:
    """Raise one InputError naming every missing column."""
    missing = [c for c in columns if c not in frame.columns]
    if not missing:
        return
    where = file or what
    kind = "--by column(s)" if by else "column(s)"
    raise InputError(
        f"{where}: missing {kind} {', '.join(missing)}",
        hint=f"the header has {', '.join(c for c in frame.columns if c != ROW) or 'no columns'}",
        problems=[
            Problem("column not found", file=file, row=1 if file else None, field=c)
            for c in missing
        ],
    )


def _as_numbers(column: pl.Series) -> pl.Series:
    if column.dtype == pl.String:
        return column.str.strip_chars().cast(pl.Float64, strict=False)
    if column.dtype.is_numeric() or column.dtype == pl.Boolean:
        return column.cast(pl.Float64)
    return pl.Series(column.name, [None] * len(column), dtype=pl.Float64)


def _numbers(frame: pl.DataFrame, file: str | None) -> tuple[pl.DataFrame, list[Problem]]:
    problems: list[Problem] = []
    for name in ("cases", "pyrs"):
        values = _as_numbers(frame[name])
        messages = frame.select(ROW, _number_problem(frame[name], values, whole=name == "cases"))
        for row, message in messages.drop_nulls().iter_rows():
            problems.append(Problem(message, file=file, row=row, field=name))
        frame = frame.with_columns(values.alias(name))
    return frame, problems


def _number_problem(raw: pl.Series, value: pl.Series, whole: bool) -> pl.Expr:
    """What is wrong with each cell of a number column (null where nothing is)."""
    missing = raw.is_null()
    if raw.dtype == pl.String:
        missing = missing | (raw.str.strip_chars() == "")
    bad = value.is_null() | value.is_nan() | value.is_infinite()
    fractional = (value != value.floor()) if whole else pl.Series([False] * len(value))
    return (
        pl.when(pl.lit(missing))
        .then(pl.lit("a number is required"))
        .when(pl.lit(bad))
        .then(pl.lit("not a number"))
        .when(pl.lit(value < 0))
        .then(pl.lit("must not be negative"))
        .when(pl.lit(fractional))
        .then(pl.lit("a number of cases must be a whole number"))
        .otherwise(None)
        .alias("message")
    )


def _resolve_groups(
    frame: pl.DataFrame, standard: str | None, file: str | None
) -> tuple[pl.DataFrame, tuple[str, ...], list[Problem]]:
    """Canonical labels and the grouping they belong to (the 18 groups or a standard's)."""
    labels = canonical_labels(frame["age_group"])
    frame = frame.with_columns(age_group=labels)
    present = set(labels.drop_nulls())
    groups = _grouping(present, standard)
    bad = frame.filter(~pl.col("age_group").is_in(list(groups)).fill_null(True))
    problems = [
        Problem("unknown age group", file=file, row=row, field="age_group", hint=_HINT)
        for row in bad[ROW]
    ]
    return frame, groups, problems


def _grouping(present: set[str], standard: str | None) -> tuple[str, ...]:
    if present <= set(AGE_GROUPS):
        return AGE_GROUPS
    tables = standard_populations()
    names = sorted(tables, key=lambda name: name != standard)  # the chosen one first
    for name in names:
        own = tuple(g.label for g in tables[name].groups)
        if present <= set(own):
            return own
    return AGE_GROUPS


def _null_strata(frame: pl.DataFrame, by: Sequence[str], file: str | None) -> list[Problem]:
    problems = []
    for name in by:
        column = frame[name]
        empty = column.is_null()
        if column.dtype == pl.String:
            empty = empty | (column.str.strip_chars() == "")
        for row in frame.filter(empty)[ROW]:
            problems.append(Problem("a stratum value is required", file=file, row=row, field=name))
    return problems


def _duplicates(frame: pl.DataFrame, keys: list[str], file: str | None) -> list[Problem]:
    if not keys:
        keys_frame = frame.select(pl.lit(0).alias("_all"), ROW)
        keys = ["_all"]
    else:
        keys_frame = frame.select(*keys, ROW)
    first = pl.col(ROW).first().over(keys)
    dup = keys_frame.with_columns(_first=first).filter(pl.col(ROW) != pl.col("_first"))
    field = "age_group" if "age_group" in keys else keys[-1]
    what = "stratum and age group" if "age_group" in keys else "stratum"
    return [
        Problem(f"the same {what} as row {f}", file=file, row=r, field=field)
        for r, f in zip(dup[ROW], dup["_first"], strict=True)
    ]


def _cases_without_pyrs(frame: pl.DataFrame, file: str | None) -> list[Problem]:
    bad = frame.filter((pl.col("cases") > 0) & (pl.col("pyrs") == 0))
    return [
        Problem("cases but no person-years (pyrs is 0)", file=file, row=row, field="pyrs")
        for row in bad[ROW]
    ]
