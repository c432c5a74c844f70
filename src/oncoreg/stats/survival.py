"""Survival cohorts and the Kaplan–Meier estimator.

A cohort frame holds one row per patient (tumour) with the columns of COHORT.csv
(``docs/stats-survival.md``): ``sex`` (1 male, 2 female), ``age`` (years at diagnosis, may be
fractional), ``dx_date``, either ``exit_date`` or ``time_days``, ``status`` (1 dead, 0 alive
or censored) and any grouping columns. :func:`prepare_cohort` checks it and turns it into
follow-up time in years (one year = 365.25 days). :func:`kaplan_meier` estimates observed
survival as R survival's ``survfit`` + ``summary(fit, times=...)`` do.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from oncoreg.errors import InputError, Problem
from oncoreg.stats import icss
from oncoreg.stats.lifetable import jan1_days
from oncoreg.stats.survival_ci import check_ci, km_interval, km_interval_from_se, z_value
from oncoreg.stats.survival_input import (
    Origin,
    as_polars,
    codes,
    dates,
    numbers,
    require_columns,
)

DAYS_PER_YEAR = 365.25
TIME_TOLERANCE = 1e-9  # years: a follow-up time this close to a requested time counts as at it
COHORT_HINT = (
    "COHORT.csv needs sex, age, dx_date, exit_date or time_days, and status; "
    "see docs/stats-survival.md"
)
PREPARED = ("row", "sex", "age", "dx", "days", "time", "status")


def prepare_cohort(
    frame, by: Sequence[str] = (), *, population: bool = True, origin: Origin | None = None
) -> pl.DataFrame:
    """Check a cohort frame and convert it to follow-up time.

    Args:
        frame: COHORT.csv columns (Polars or pandas; text columns are parsed).
        by: grouping columns, kept as they are.
        population: the analysis needs population rates, so ``sex``, ``age`` and ``dx_date``
            are required (Kaplan–Meier alone needs only the follow-up time and status).
        origin: where the frame came from, for messages.

    Returns:
        ``by`` columns (a ``by`` column named like one below is that column, e.g. ``sex``
        as 1/2), then ``row`` (0-based row of ``frame``), ``sex``, ``age`` (years),
        ``dx`` (days from 1970-01-01 to diagnosis), ``days`` and ``time`` (follow-up in days
        and years) and ``status``; NaN or -1 in columns the analysis does not need.

    Raises:
        InputError: missing columns, or rows with bad values (every such row, by column).
    """
    origin = origin or Origin()
    frame = as_polars(frame)
    _check_columns(frame, by, population, origin)
    problems: list[Problem] = []
    n = frame.height
    status = codes(frame, "status", (0, 1), origin, problems, "0 (alive/censored) or 1 (dead)")
    sex, age = np.full(n, -1, np.int8), np.full(n, np.nan)
    if population or "sex" in frame.columns:
        sex = codes(frame, "sex", (1, 2), origin, problems, "1 (male) or 2 (female)")
    if population or "age" in frame.columns:
        age = _ages(frame, origin, problems)
    dx = np.full(n, np.nan)
    if population or "exit_date" in frame.columns or "dx_date" in frame.columns:
        dx = dates(frame, "dx_date", origin, problems)
    days = _follow_up_days(frame, dx, origin, problems)
    if problems:
        origin.fail("the cohort has bad values", problems, hint=COHORT_HINT)
    prepared = {"row": np.arange(n, dtype=np.uint32), "sex": sex, "age": age, "dx": dx}
    prepared |= {"days": days, "time": days / DAYS_PER_YEAR, "status": status}
    out = pl.DataFrame(prepared)
    kept = [c for c in by if c not in PREPARED]
    return frame.select(kept).hstack(out) if kept else out


def _check_columns(frame: pl.DataFrame, by, population: bool, origin: Origin) -> None:
    needed = ["status"] + (["sex", "age", "dx_date"] if population else [])
    if "exit_date" in frame.columns and "time_days" in frame.columns:
        origin.fail("has both exit_date and time_days", hint="keep one of them")
    if "time_days" not in frame.columns:
        needed += ["dx_date", "exit_date"]
    require_columns(frame, list(dict.fromkeys(needed)), origin, COHORT_HINT)
    missing = [c for c in by if c not in frame.columns]
    if missing:
        origin.fail(
            f"no column {', '.join(missing)} to group by",
            hint=f"the cohort's columns are {', '.join(frame.columns)}",
        )


def _ages(frame, origin: Origin, problems: list[Problem]) -> np.ndarray:
    age = numbers(frame, "age", origin, problems)
    wrong = np.isfinite(age) & ((age < 0) | (age >= 150))
    problems += origin.problems(np.flatnonzero(wrong), "age", "must be 0 to 149 years")
    return age


def _follow_up_days(frame, dx: np.ndarray, origin: Origin, problems: list[Problem]) -> np.ndarray:
    if "time_days" in frame.columns:
        days = numbers(frame, "time_days", origin, problems)
        negative = np.flatnonzero(days < 0)
        problems += origin.problems(negative, "time_days", "negative follow-up time")
        return days
    exit_days = dates(frame, "exit_date", origin, problems)
    days = exit_days - dx
    problems += origin.problems(np.flatnonzero(days < 0), "exit_date", "exit before diagnosis")
    return days


def ensure_prepared(cohort, by: Sequence[str], population: bool, origin: Origin | None):
    """``cohort`` itself when :func:`prepare_cohort` made it, else prepared now."""
    frame = as_polars(cohort)
    if set(PREPARED) <= set(frame.columns) and "exit_date" not in frame.columns:
        missing = [c for c in by if c not in frame.columns]
        if missing:
            raise InputError(f"no column {', '.join(missing)} to group by")
        return frame
    return prepare_cohort(frame, by, population=population, origin=origin)


@dataclass
class FollowUp:
    """Each patient's observed time, in years since diagnosis, after the period window.

    Attributes:
        frame: the prepared cohort rows kept (with positive time under observation, or all
            rows in the cohort approach).
        entry: when each patient enters observation (0, later in the period approach).
        exit: when each patient leaves it.
        event: the patient died at ``exit``.
        group: each patient's stratum (0-based index into ``keys``).
        keys: the ``by`` values of each stratum, in order (``None`` without ``by``).
        truncated: the period approach (entries may be late).
    """

    frame: pl.DataFrame
    entry: np.ndarray
    exit: np.ndarray
    event: np.ndarray
    group: np.ndarray
    keys: pl.DataFrame | None
    truncated: bool

    @property
    def groups(self) -> int:
        return 1 if self.keys is None else self.keys.height


def parse_period(period) -> tuple[int, int] | None:
    """``(first, last)`` calendar years from a pair or the text ``"FROM-TO"``."""
    if period is None:
        return None
    if isinstance(period, str):
        first, sep, last = period.partition("-")
        if not (sep and first.strip().isdigit() and last.strip().isdigit()):
            raise InputError(f"period {period!r} is not FROM-TO", hint="e.g. 2008-2012")
        period = (int(first), int(last))
    first, last = (int(v) for v in period)
    if first > last:
        raise InputError(f"period {first}-{last} ends before it starts", hint="e.g. 2008-2012")
    return first, last


def follow_up(prepared: pl.DataFrame, by: Sequence[str], period) -> FollowUp:
    """Entry, exit and death of each patient, cohort or period approach.

    In the period approach (``period=(first, last)`` calendar years) only time lived from
    1 January of ``first`` to the end of 31 December of ``last`` counts: patients enter at
    the later of diagnosis and the window's start (late entry) and leave at the earlier of
    their exit and the window's end; a death after the window is not counted.
    """
    window = parse_period(period)
    days = prepared["days"].to_numpy()
    status = prepared["status"].to_numpy() == 1
    if window is None:
        entry = np.zeros(len(days))
        return _with_groups(prepared, by, entry, days / DAYS_PER_YEAR, status, False)
    dx = prepared["dx"].to_numpy()
    if np.isnan(dx).any():
        raise InputError("the period approach needs dx_date", hint="add the diagnosis dates")
    start, end = (float(d) for d in jan1_days(np.array([window[0], window[1] + 1])))
    enter = np.maximum(start - dx, 0.0)
    leave = np.minimum(days, end - dx)
    keep = leave > enter
    entry, exit_ = enter[keep] / DAYS_PER_YEAR, leave[keep] / DAYS_PER_YEAR
    event = (status & (dx + days < end))[keep]
    return _with_groups(prepared.filter(pl.Series(keep)), by, entry, exit_, event, True)


def _with_groups(frame, by, entry, exit_, event, truncated) -> FollowUp:
    group, keys = strata(frame, by)
    return FollowUp(frame, entry, exit_, event, group, keys, truncated)


def strata(frame: pl.DataFrame, by: Sequence[str]) -> tuple[np.ndarray, pl.DataFrame | None]:
    """Each row's stratum index and the strata's ``by`` values, sorted (nulls last)."""
    if not by:
        return np.zeros(frame.height, dtype=np.int64), None
    keys = frame.select(by).unique().sort(list(by), nulls_last=True)
    index = keys.with_row_index("_group")
    joined = frame.select(by).join(
        index, on=list(by), how="left", nulls_equal=True, maintain_order="left"
    )
    return joined["_group"].to_numpy().astype(np.int64), keys


def check_times(times: Sequence[float]) -> np.ndarray:
    """The requested times (years) as a sorted array of distinct positive numbers."""
    values = np.asarray(list(times), dtype=np.float64)
    if values.size == 0 or not np.isfinite(values).all() or (values <= 0).any():
        raise InputError("times must be positive numbers of years", hint="e.g. times=[1, 3, 5]")
    return np.unique(values)


def assemble(keys: pl.DataFrame | None, times: np.ndarray, columns: dict) -> pl.DataFrame:
    """One row per stratum and time: ``by`` values, ``time`` then ``columns`` ([group, time])."""
    groups = 1 if keys is None else keys.height
    data = {"time": np.tile(times, groups)}
    for name, values in columns.items():
        data[name] = np.asarray(values).reshape(-1)
    out = pl.DataFrame(data).with_columns(pl.col("n_at_risk").cast(pl.Int64))
    floats = [c for c, t in out.schema.items() if t == pl.Float64]
    out = out.with_columns(pl.col(floats).fill_nan(None))
    if keys is None:
        return out
    return keys.select(pl.all().gather(np.repeat(np.arange(groups), len(times)))).hstack(out)


def kaplan_meier(
    cohort,
    times: Sequence[float],
    by: Sequence[str] = (),
    ci: str = "log",
    conf: float = 0.95,
    *,
    period=None,
    standardise: str | None = None,
    origin: Origin | None = None,
) -> pl.DataFrame:
    """Kaplan–Meier observed survival with Greenwood standard errors.

    As R survival's ``summary(survfit(Surv(time, status) ~ by, conf.type=ci), times=times)``
    (``Surv(entry, exit, status)`` in the period approach): the estimate at each time counts
    deaths at or before it; ``se`` is on the survival scale; ``n_at_risk`` is the number
    under observation just before the time. Beyond a stratum's longest follow-up the
    estimate is null.

    Args:
        cohort: COHORT.csv columns, or the output of :func:`prepare_cohort`.
        times: years since diagnosis to report (e.g. ``[1, 3, 5]``).
        by: grouping columns; one set of rows per stratum.
        ci: ``log``, ``loglog`` or ``plain`` (as survfit's ``conf.type``).
        conf: confidence level.
        period: ``(first, last)`` calendar years (or ``"FROM-TO"``) for the period approach.
        standardise: ``icss-1``, ``icss-2`` or ``icss-3`` to age-standardise (needs ``age``).
        origin: where the cohort came from, for messages.

    Returns:
        ``by`` columns, ``time``, ``n_at_risk``, ``estimate``, ``se``, ``lower``, ``upper``.
    """
    ci, z, times_ = check_ci(ci), z_value(conf), check_times(times)
    prepared = ensure_prepared(cohort, by, False, origin)
    if standardise is None:
        observed = follow_up(prepared, by, period)
        return assemble(observed.keys, times_, km_table(observed, times_, ci, z))
    icss.icss_weights(standardise)
    if prepared["age"].is_nan().any():
        raise InputError("age-standardisation needs every patient's age", hint=COHORT_HINT)
    prepared = icss.add_icss_groups(prepared)
    observed = follow_up(prepared, [*by, icss.ICSS_GROUP_COLUMN], period)
    columns = km_table(observed, times_, ci, z)
    keys, columns = icss.standardise(
        observed.keys, list(by), columns, standardise, [("estimate", "se")]
    )
    lower, upper = km_interval_from_se(columns["estimate"], columns["se"], ci, z)
    return assemble(keys, times_, columns | {"lower": lower, "upper": upper})


def km_table(observed: FollowUp, times: np.ndarray, ci: str, z: float) -> dict:
    """Kaplan–Meier columns ([group, time] arrays) for every stratum of ``observed``."""
    parts = [
        _km_group(
            observed.entry[rows] if observed.truncated else None,
            observed.exit[rows],
            observed.event[rows],
            times,
        )
        for rows in group_rows(observed.group, observed.groups)
    ]
    result = {k: np.stack([p[k] for p in parts]) for k in ("n_at_risk", "estimate", "se_log")}
    lower, upper = km_interval(result["estimate"], result["se_log"], ci, z)
    with np.errstate(invalid="ignore"):
        se = result.pop("se_log") * result["estimate"]
    return result | {"se": se, "lower": lower, "upper": upper}


def group_rows(group: np.ndarray, groups: int) -> list[np.ndarray]:
    """Row indexes of each group, in group order."""
    order = np.argsort(group, kind="stable")
    bounds = np.searchsorted(group[order], np.arange(groups + 1))
    return [order[bounds[g] : bounds[g + 1]] for g in range(groups)]


def at_risk(entry: np.ndarray | None, exit_: np.ndarray, when: np.ndarray) -> np.ndarray:
    """How many are under observation just before each time (entry < t <= exit)."""
    when = np.asarray(when) - TIME_TOLERANCE
    count = len(exit_) - np.searchsorted(np.sort(exit_), when, side="left")
    if entry is not None:
        count -= len(entry) - np.searchsorted(np.sort(entry), when, side="left")
    return count


def _at_risk_exactly(entry, exit_, when: np.ndarray) -> np.ndarray:
    count = len(exit_) - np.searchsorted(np.sort(exit_), when, side="left")
    if entry is not None:
        count -= len(entry) - np.searchsorted(np.sort(entry), when, side="left")
    return count.astype(np.float64)


def _next_exit(exit_: np.ndarray, times: np.ndarray) -> np.ndarray:
    """survfit's time for the number at risk with late entry: the first exit at or after."""
    ordered = np.sort(exit_)
    at = np.searchsorted(ordered, times - TIME_TOLERANCE, side="left")
    return np.where(at < len(ordered), ordered[np.minimum(at, len(ordered) - 1)], times)


def _km_group(entry, exit_, event, times: np.ndarray) -> dict[str, np.ndarray]:
    deaths, counts = np.unique(exit_[event], return_counts=True)
    n = _at_risk_exactly(entry, exit_, deaths)
    with np.errstate(divide="ignore", invalid="ignore"):
        survival = np.cumprod(1 - counts / n)
        var = np.cumsum(np.where(n > counts, counts / (n * np.maximum(n - counts, 1)), np.inf))
    at = np.searchsorted(deaths, times + TIME_TOLERANCE, side="right") - 1
    seen = at >= 0
    estimate = np.where(seen, survival[np.maximum(at, 0)] if len(deaths) else 1.0, 1.0)
    se_log = np.where(seen, np.sqrt(var[np.maximum(at, 0)]) if len(deaths) else 0.0, 0.0)
    followed = times - TIME_TOLERANCE <= (exit_.max() if len(exit_) else -np.inf)
    return {
        "n_at_risk": at_risk(
            entry, exit_, _next_exit(exit_, times) if entry is not None else times
        ),
        "estimate": np.where(followed, estimate, np.nan),
        "se_log": np.where(followed, se_log, np.nan),
    }
