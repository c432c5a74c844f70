"""Rates from files: the COUNTS, CASES and POP CSV files of ``oncoreg stats rates``/``trend``.

The file contract is ``docs/stats-rates.md``. Files are UTF-8 CSV (a byte-order mark is
fine; a semicolon or tab delimiter is recognised when the header holds no comma). Rows are
numbered as a spreadsheet shows them: the header is row 1. Every problem of a file is
collected before one :class:`~oncoreg.errors.InputError` names them all (file, row,
column).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import polars as pl

from oncoreg.errors import InputError, Problem
from oncoreg.services.csvfiles import clean
from oncoreg.stats.rates import ROW, age_specific_rates, counts_from_cases, crude_rates
from oncoreg.stats.rates import prepare_counts as check_counts
from oncoreg.stats.standardise import age_standardised_rates
from oncoreg.stats.trend import annual_percent_change


def read_table(path: Path) -> pl.DataFrame:
    """A CSV file as text columns (values trimmed, NFC; empty cells null) plus ``_row``,
    its row numbers.

    Raises:
        InputError: the file is missing, not UTF-8 text, has no header, a blank or
            repeated column name, or records that cannot be read.
    """
    from oncoreg.ingest.read_csv import decode, parse_csv, sniff_delimiter

    try:
        data = path.read_bytes()
    except (FileNotFoundError, IsADirectoryError):
        raise InputError(f"{path}: file not found") from None
    text = decode(data, path, None)
    header, rows, numbers, problems, _ = parse_csv(text, sniff_delimiter(text), str(path))
    if header is None:
        raise InputError(f"{path}: empty file: no header row")
    if problems:
        raise InputError(f"{path}: records that cannot be read", problems=problems)
    columns = _named_columns(path, header, rows)
    frame = pl.DataFrame(columns, schema={name: pl.String for name in columns})
    return frame.with_columns(pl.Series(ROW, numbers, dtype=pl.Int64))


def _named_columns(path: Path, header: list[str], rows: list[list[str]]) -> dict[str, list]:
    """Columns by name; a nameless column must be empty (a trailing comma) and is dropped."""
    columns: dict[str, list] = {}
    problems = []
    for index, name in enumerate(header):
        values = [clean(row[index]) or None for row in rows]
        if not name:
            if any(values):
                problems.append(Problem(f"column {index + 1} has values but no name", row=1))
            continue
        if name in columns:
            problems.append(Problem(f"column {name!r} appears twice", row=1, field=name))
        columns[name] = values
    if problems:
        for problem in problems:
            problem.file = str(path)
        raise InputError(f"{path}: the header is not usable", problems=problems)
    return columns


def rates_from_files(
    *,
    counts: Path | None = None,
    cases: Path | None = None,
    population: Path | None = None,
    by: Sequence[str] = (),
    standard: str = "world-segi",
    ci: str = "gamma",
    age_specific: bool = False,
    per: float = 100_000,
    conf: float = 0.95,
) -> pl.DataFrame:
    """Age-standardised (or age-specific) rates from COUNTS.csv, or CASES.csv and POP.csv.

    Raises:
        InputError: both or neither of ``counts`` and ``cases``; ``cases`` without
            ``population``; any problem of the files.
    """
    table = _counts_table(counts, cases, population, by, standard)
    if age_specific:
        return age_specific_rates(table, by, per=per, conf=conf)
    return age_standardised_rates(table, by, standard=standard, ci=ci, per=per, conf=conf)


def _counts_table(
    counts: Path | None,
    cases: Path | None,
    population: Path | None,
    by: Sequence[str],
    standard: str,
) -> pl.DataFrame:
    if (counts is None) == (cases is None):
        raise InputError(
            "give either --counts, or --cases with --population",
            hint="COUNTS.csv holds cases and pyrs per age group; CASES.csv one row per tumour",
        )
    if counts is not None:
        if population is not None:
            raise InputError("--population goes with --cases, not with --counts")
        frame, _ = check_counts(read_table(counts), by, standard, file=str(counts))
        return frame
    if population is None:
        raise InputError("--cases needs --population (person-years by age group)")
    pop = read_table(population).with_columns(cases=pl.lit("0"))
    pop, _ = check_counts(pop, by, standard, file=str(population))
    return counts_from_cases(read_table(cases), pop, by, file=str(cases))


def trend_from_file(
    counts: Path,
    year: str = "year",
    by: Sequence[str] = (),
    standard: str = "world-segi",
    ci: str = "gamma",
    per: float = 100_000,
    conf: float = 0.95,
) -> tuple[pl.DataFrame, str]:
    """The annual percent change of the ASR per year (crude rate without ``age_group``).

    Returns:
        ``(apc, value)``: the APC table and the rate it is of (``asr`` or ``crude_rate``).

    Raises:
        InputError: any problem of the file (including years that are not whole numbers),
            a rate of 0 in a year, or fewer than 3 years in a stratum.
    """
    frame = _years_checked(read_table(counts), year, by, standard, counts)
    keys = (*by, year)
    if "age_group" in frame.columns:
        table = age_standardised_rates(frame, keys, standard=standard, ci=ci, per=per, conf=conf)
        value = "asr"
    else:
        table = crude_rates(frame, keys, per=per, conf=conf)
        value = "crude_rate"
    apc = annual_percent_change(table, year, value, by, conf, file=str(counts))
    return apc, value


def _years_checked(
    frame: pl.DataFrame, year: str, by: Sequence[str], standard: str, path: Path
) -> pl.DataFrame:
    if year not in frame.columns:
        raise InputError(
            f"{path}: missing --year-col column {year}",
            hint=f"the header has {', '.join(c for c in frame.columns if c != ROW)}",
        )
    years = frame[year].cast(pl.Int64, strict=False)
    bad = frame.filter(years.is_null())[ROW].to_list()
    problems = [
        Problem("a year is required (a whole number)", file=str(path), row=r, field=year)
        for r in bad
    ]
    frame = frame.with_columns(years.alias(year))
    grouped = "age_group" in frame.columns
    try:
        frame, _ = check_counts(frame, (*by, year), standard, grouped=grouped, file=str(path))
    except InputError as err:
        problems += [p for p in err.problems if p.field != year or "same" in p.message]
        raise InputError(err.message, hint=err.hint, problems=_by_row(problems)) from None
    if problems:
        raise InputError(f"{path}: {len(problems)} problem(s) in the years", problems=problems)
    return frame


def _by_row(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: p.row or 0)


def write_table(frame: pl.DataFrame, path: Path) -> None:
    """Write a result as CSV (UTF-8, nulls empty), atomically: a temporary file renamed."""
    if not path.parent.exists():
        raise InputError(f"{path}: the folder {path.parent} does not exist")
    tmp = path.with_name(path.name + ".tmp")
    frame.drop([c for c in frame.columns if c.startswith("_")]).write_csv(tmp)
    tmp.replace(path)
