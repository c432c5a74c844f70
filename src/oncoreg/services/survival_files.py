"""Survival statistics from files: COHORT.csv (+ LIFETABLE.csv) in, OUT.csv out.

The file contract is ``docs/stats-survival.md``. Files are UTF-8 CSV with a header row;
every problem is reported with the file, the spreadsheet row (the header is row 1) and the
column, never with the value itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from oncoreg.errors import InputError
from oncoreg.stats.lifetable import LifeTable
from oncoreg.stats.netsurvival import net_survival
from oncoreg.stats.survival import kaplan_meier, prepare_cohort
from oncoreg.stats.survival_input import Origin

METHODS = ("km", "ederer2", "pohar-perme")


@dataclass(frozen=True)
class SurvivalRequest:
    """What ``oncoreg stats survival`` was asked for (see ``docs/stats-survival.md``)."""

    cohort: Path | None
    method: str
    times: tuple[float, ...]
    out: Path | None
    lifetable: Path | None = None
    by: tuple[str, ...] = ()
    breaks: str = "yearly"
    period: str | None = None
    standardise: str | None = None
    ci: str = "log"
    conf: float = 0.95
    extend_lifetable: bool = False
    pp_weights: str = "exact"


@dataclass(frozen=True)
class SurvivalSummary:
    """What was computed: patients read, strata and rows written."""

    patients: int
    strata: int
    rows: int
    out: Path


def read_table(path: Path) -> tuple[pl.DataFrame, Origin]:
    """A CSV file as text columns (header names trimmed, blank lines left out) and its origin
    for messages (spreadsheet rows: the header is row 1, blank lines count).

    The delimiter is a comma, or a semicolon or tab when the header holds no comma.

    Raises:
        InputError: the file is missing, not UTF-8 or not CSV.
    """
    data = _bytes(path).removeprefix(b"\xef\xbb\xbf")
    header = data.split(b"\n", 1)[0]
    separator = next((s for s in (",", ";", "\t") if s.encode() in header), ",")
    try:
        frame = pl.read_csv(data, infer_schema=False, separator=separator)
    except pl.exceptions.PolarsError as err:
        raise InputError(
            f"{path}: not a readable CSV file ({type(err).__name__})",
            hint="check that every row has as many cells as the header, and the quotes",
        ) from None
    frame = frame.rename({c: c.strip() for c in frame.columns})
    blank = frame.select(pl.all_horizontal(pl.all().is_null())).to_series()
    if not blank.any():
        return frame, Origin(str(path), first_row=2)
    kept = np.flatnonzero(~blank.to_numpy())
    return frame.filter(~blank), Origin(str(path), first_row=2, numbers=kept + 2)


def _bytes(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder, not a file") from None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise InputError(
            f"{path}: line {line} is not UTF-8 text", hint="save as CSV UTF-8"
        ) from None
    return data


def read_cohort(path: Path, by: Sequence[str] = (), population: bool = True):
    """COHORT.csv checked and prepared (:func:`~oncoreg.stats.prepare_cohort`), and its
    origin for later messages."""
    frame, origin = read_table(path)
    return prepare_cohort(frame, by, population=population, origin=origin), origin


def read_lifetable(path: Path, extend: bool = False) -> LifeTable:
    """LIFETABLE.csv as a :class:`LifeTable`."""
    frame, origin = read_table(path)
    return LifeTable.from_frame(frame, extend=extend, origin=origin)


def survival_from_files(request: SurvivalRequest) -> SurvivalSummary:
    """Compute the survival table a request asks for and write it to ``request.out``.

    Raises:
        InputError: a bad request or bad files (every problem found in a file at once).
    """
    check_request(request)
    cohort, origin = read_cohort(request.cohort, request.by, population=_needs_population(request))
    result = _compute(request, cohort, origin)
    _write(result, request.out)
    strata = result.select(request.by).n_unique() if request.by else 1
    return SurvivalSummary(cohort.height, strata, result.height, request.out)


def _needs_population(request: SurvivalRequest) -> bool:
    return request.method != "km"


def check_request(request: SurvivalRequest, lifetable_given: bool = False) -> None:
    if request.method not in METHODS:
        raise InputError(
            f"unknown method {request.method!r}", hint="use km, ederer2 or pohar-perme"
        )
    if request.method != "km" and request.lifetable is None and not lifetable_given:
        raise InputError(
            f"--lifetable is needed for {request.method}",
            hint="give LIFETABLE.csv with sex, age, year and haz (or qx)",
        )
    if request.pp_weights != "exact" and request.method != "pohar-perme":
        raise InputError(
            f"--pp-weights {request.pp_weights} applies to pohar-perme only",
            hint="use --method pohar-perme, or leave --pp-weights at exact",
        )


def _compute(request: SurvivalRequest, cohort: pl.DataFrame, origin: Origin) -> pl.DataFrame:
    table = None
    if request.method != "km":
        table = read_lifetable(request.lifetable, request.extend_lifetable)
    return estimate(request, cohort, table, origin)


def estimate(
    request: SurvivalRequest, cohort: pl.DataFrame, table: LifeTable | None, origin: Origin | None
) -> pl.DataFrame:
    """The request's estimator on a prepared cohort (file or registry mode alike)."""
    if request.method == "km":
        return kaplan_meier(
            cohort,
            request.times,
            request.by,
            request.ci,
            request.conf,
            period=request.period,
            standardise=request.standardise,
            origin=origin,
        )
    return net_survival(
        cohort,
        table,
        request.times,
        method=request.method,
        by=request.by,
        breaks=request.breaks,
        period=request.period,
        standardise=request.standardise,
        ci=request.ci,
        conf=request.conf,
        pp_weights=request.pp_weights,
        origin=origin,
    )


def _write(result: pl.DataFrame, path: Path) -> None:
    """Write atomically: to a temporary file first, then renamed into place."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        result.write_csv(tmp)
    except OSError as err:
        raise InputError(f"{path}: cannot write ({err.strerror})") from None
    tmp.replace(path)
