"""Relative and net survival with population life tables: Ederer II and Pohar Perme.

Two ways of computing, chosen by ``breaks``:

* intervals (``"yearly"``, ``"monthly"`` or a list of breaks in years): the hazard method
  of popEpi's ``survtab`` (:mod:`oncoreg.stats.netsurvival_intervals`), cohort or period
  approach;
* ``"exact"`` (or ``"daily"``): continuous time, as relsurv's ``rs.surv``
  (:mod:`oncoreg.stats.netsurvival_exact`), cohort approach.

Pohar Perme in intervals weights each patient's time with ``1 / S_p(t)`` integrated exactly
over it; ``pp_weights="popepi"`` uses popEpi's own per-row weights instead
(:mod:`oncoreg.stats.netsurvival_popepi`), to reproduce ``survtab(relsurv.method = "pp")``.

Observed survival comes alongside: survtab's interval estimate for intervals, Kaplan–Meier
of the same patients for ``exact``. Age-standardisation uses the ICSS weights
(:mod:`oncoreg.stats.icss`). ``docs/stats-survival.md`` lists every convention and which
options reproduce which R call.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from oncoreg.errors import InputError
from oncoreg.stats import icss
from oncoreg.stats.lifetable import LifeTable, year_of_days
from oncoreg.stats.netsurvival_exact import exact_estimates
from oncoreg.stats.netsurvival_intervals import estimates, interval_figures
from oncoreg.stats.netsurvival_popepi import popepi_figures
from oncoreg.stats.survival import (
    DAYS_PER_YEAR,
    FollowUp,
    assemble,
    at_risk,
    check_times,
    ensure_prepared,
    follow_up,
    group_rows,
    km_table,
    parse_period,
)
from oncoreg.stats.survival_ci import check_ci, km_interval_from_se, net_interval, z_value
from oncoreg.stats.survival_input import Origin

METHODS = ("pohar-perme", "ederer2")
STEPS_PER_YEAR = {"yearly": 1, "quarterly": 4, "monthly": 12}
EXACT = ("exact", "daily")
PP_WEIGHTS = ("exact", "popepi")


def net_survival(
    cohort,
    lifetable: LifeTable | pl.DataFrame,
    times: Sequence[float],
    method: str = "pohar-perme",
    by: Sequence[str] = (),
    breaks: str | Sequence[float] = "yearly",
    period=None,
    standardise: str | None = None,
    ci: str = "log",
    conf: float = 0.95,
    *,
    pp_weights: str = "exact",
    origin: Origin | None = None,
) -> pl.DataFrame:
    """Net (Pohar Perme) or relative (Ederer II) survival, with observed survival alongside.

    Args:
        cohort: COHORT.csv columns, or the output of :func:`~oncoreg.stats.prepare_cohort`.
        lifetable: a :class:`LifeTable`, or a frame for :meth:`LifeTable.from_frame`.
        times: years since diagnosis to report; on the interval grid for interval breaks.
        method: ``pohar-perme`` (net survival) or ``ederer2`` (relative survival).
        by: grouping columns; one set of rows per stratum.
        breaks: ``yearly``, ``quarterly``, ``monthly``, a list of breaks in years (from 0),
            or ``exact`` for continuous time (relsurv's rs.surv).
        period: ``(first, last)`` calendar years (or ``"FROM-TO"``): the period approach.
        standardise: ``icss-1``, ``icss-2`` or ``icss-3`` to age-standardise.
        ci: ``log``, ``loglog`` or ``plain``.
        conf: confidence level.
        pp_weights: the Pohar Perme weights in intervals: ``exact`` (``1 / S_p(t)``
            integrated over the interval) or ``popepi`` (popEpi's survtab, one weight per
            Lexis row from ``comp_pp_weights``; to reproduce popEpi's numbers). ``popepi``
            needs ``method="pohar-perme"`` and interval breaks.
        origin: where the cohort came from, for messages.

    Returns:
        ``by`` columns, ``time``, ``n_at_risk``, ``estimate``, ``se``, ``lower``, ``upper``,
        ``observed``, ``observed_se``, ``observed_lower``, ``observed_upper``.

    Raises:
        InputError: bad arguments, a bad cohort, or a life table that does not cover it.
    """
    ci, z, times_ = check_ci(ci), z_value(conf), check_times(times)
    method, exact = _check_method(method), _is_exact(breaks, period)
    _check_pp_weights(pp_weights, method, exact)
    if standardise is not None:
        icss.icss_weights(standardise)
    origin = origin or Origin()
    table = lifetable if isinstance(lifetable, LifeTable) else LifeTable.from_frame(lifetable)
    prepared = ensure_prepared(cohort, by, True, origin)
    if standardise is not None:
        prepared = icss.add_icss_groups(prepared)
    groups = [*by, icss.ICSS_GROUP_COLUMN] if standardise else list(by)
    observed = follow_up(prepared, groups, period)
    if exact:
        columns = _exact(observed, table, times_, method, origin)
    else:
        window = parse_period(period) if pp_weights == "popepi" else None
        pp = (pp_weights, window)
        columns = _intervals(observed, table, times_, method, breaks, origin, pp)
    columns["n_at_risk"] = _at_risk(observed, times_)
    keys = observed.keys
    if standardise is not None:
        pairs = [("estimate", "se"), ("observed", "observed_se")]
        keys, columns = icss.standardise(keys, list(by), columns, standardise, pairs)
    return assemble(keys, times_, _with_intervals(columns, ci, z, km_observed=exact))


def _is_exact(breaks, period) -> bool:
    exact = isinstance(breaks, str) and breaks in EXACT
    if exact and period is not None:
        raise InputError(
            "the period approach needs interval breaks", hint="use --breaks yearly or monthly"
        )
    return exact


def _check_method(method: str) -> str:
    name = {"pp": "pohar-perme", "e2": "ederer2"}.get(method, method)
    if name not in METHODS:
        raise InputError(f"unknown method {method!r}", hint="use pohar-perme or ederer2")
    return name


def _check_pp_weights(pp_weights: str, method: str, exact: bool) -> None:
    if pp_weights not in PP_WEIGHTS:
        raise InputError(f"unknown pp_weights {pp_weights!r}", hint="use exact or popepi")
    if pp_weights == "popepi" and method != "pohar-perme":
        raise InputError(
            "pp_weights 'popepi' applies to the Pohar Perme method only",
            hint="use --method pohar-perme, or leave --pp-weights at exact",
        )
    if pp_weights == "popepi" and exact:
        raise InputError(
            "pp_weights 'popepi' needs interval breaks (popEpi's survtab works in intervals)",
            hint="use --breaks yearly, quarterly or monthly, or leave --pp-weights at exact",
        )


def interval_grid(
    breaks: str | Sequence[float], times: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The interval breaks (years, from 0 to the last time) and each time's break index.

    Raises:
        InputError: a time that is not on a break.
    """
    if isinstance(breaks, str):
        if breaks not in STEPS_PER_YEAR:
            raise InputError(f"unknown breaks {breaks!r}", hint="use yearly, monthly or exact")
        per_year = STEPS_PER_YEAR[breaks]
        steps = np.round(times * per_year)
        grid = np.arange(int(steps.max()) + 1) / per_year
    else:
        grid = np.unique(np.append(np.asarray(list(breaks), dtype=np.float64), 0.0))
        if (grid < 0).any() or not np.isfinite(grid).all():
            raise InputError("breaks must be years of follow-up, 0 or more")
        steps = np.searchsorted(grid, times - 1e-9)
        grid = grid[: int(steps.max()) + 1] if steps.max() < len(grid) else grid
    where = np.minimum(steps.astype(np.int64), len(grid) - 1)
    off = np.abs(grid[where] - times) > 1e-9
    if off.any():
        raise InputError(
            f"time(s) {', '.join(f'{t:g}' for t in times[off])} are not on the interval breaks",
            hint="give times on the breaks (whole years with yearly breaks), or use "
            "--breaks monthly or exact",
        )
    return grid, where


def _intervals(observed: FollowUp, table, times, method, breaks, origin, pp) -> dict:
    """Estimates in intervals; ``pp`` is (weights, period window) for Pohar Perme."""
    grid, where = interval_grid(breaks, times)
    end = np.minimum(observed.exit, grid[-1])
    _check_coverage(observed, table, observed.entry < end, end, origin)
    weights, window = pp
    weighted = method == "pohar-perme" and weights == "exact"
    figures = interval_figures(observed, table, grid, weighted=weighted)
    if weights == "popepi":
        figures |= popepi_figures(observed, table, grid, window)
    found = estimates(figures, grid, method)
    return {name: values[:, where - 1] for name, values in found.items()}


def _exact(observed: FollowUp, table, times, method, origin) -> dict:
    days = observed.frame["days"].to_numpy()
    last = times.max() * DAYS_PER_YEAR
    end = np.minimum(days, _caps(observed, days, last)) / DAYS_PER_YEAR
    _check_coverage(observed, table, days > 0, end, origin)
    frame, parts = observed.frame, []
    for rows in group_rows(observed.group, observed.groups):
        rows = rows[days[rows] > 0]
        if len(rows) == 0:
            parts.append({k: np.full(len(times), np.nan) for k in ("estimate", "se")})
            continue
        parts.append(
            exact_estimates(
                days[rows],
                observed.event[rows],
                frame["sex"].to_numpy()[rows].astype(np.int64),
                frame["age"].to_numpy()[rows],
                frame["dx"].to_numpy()[rows],
                table,
                method,
                times * DAYS_PER_YEAR,
            )
        )
    columns = {k: np.stack([p[k] for p in parts]) for k in ("estimate", "se")}
    return columns | _observed_km(observed, days, times)


def _observed_km(observed: FollowUp, days: np.ndarray, times: np.ndarray) -> dict:
    """Kaplan–Meier of the patients the exact estimator uses (follow-up over 0 days)."""
    kept = days > 0
    subset = FollowUp(
        observed.frame.filter(pl.Series(kept)),
        observed.entry[kept],
        observed.exit[kept],
        observed.event[kept],
        observed.group[kept],
        observed.keys,
        False,
    )
    km = km_table(subset, times, "log", 1.96)
    return {"observed": km["estimate"], "observed_se": km["se"]}


def _caps(observed: FollowUp, days: np.ndarray, last: float) -> np.ndarray:
    """Per patient, the first follow-up time of the stratum at or past ``last``."""
    caps = np.full(len(days), np.inf)
    for rows in group_rows(observed.group, observed.groups):
        later = days[rows][days[rows] >= last]
        if len(later):
            caps[rows] = later.min()
    return caps


def _check_coverage(observed: FollowUp, table: LifeTable, used, end, origin: Origin) -> None:
    """The life table must cover each used patient from diagnosis to ``end`` (years)."""
    frame = observed.frame.filter(pl.Series(used))
    age, dx = frame["age"].to_numpy(), frame["dx"].to_numpy()
    end = end[used]
    last_age = np.maximum(np.floor(age), np.ceil(age + end) - 1)
    last_day = np.nextafter(dx + end * DAYS_PER_YEAR, -np.inf)
    table.check_coverage(
        frame["sex"].to_numpy(),
        (np.floor(age), last_age),
        (year_of_days(dx), year_of_days(np.maximum(last_day, dx))),
        origin,
        frame["row"].to_numpy().astype(np.int64),
    )


def _at_risk(observed: FollowUp, times: np.ndarray) -> np.ndarray:
    rows = group_rows(observed.group, observed.groups)
    entry = observed.entry if observed.truncated else None
    return np.stack(
        [at_risk(None if entry is None else entry[r], observed.exit[r], times) for r in rows]
    )


def _with_intervals(columns: dict, ci: str, z: float, km_observed: bool) -> dict:
    """Confidence limits: popEpi's and relsurv's for the estimate; survfit's for observed
    survival when it is Kaplan–Meier (``exact``), else survtab's."""
    estimate, se = columns["estimate"], columns["se"]
    lower, upper = net_interval(estimate, se, ci, z)
    observed, observed_se = columns["observed"], columns["observed_se"]
    if km_observed:
        obs_lower, obs_upper = km_interval_from_se(observed, observed_se, ci, z)
    else:
        obs_lower, obs_upper = net_interval(observed, observed_se, ci, z)
    return {
        "n_at_risk": columns["n_at_risk"],
        "estimate": estimate,
        "se": se,
        "lower": lower,
        "upper": upper,
        "observed": observed,
        "observed_se": observed_se,
        "observed_lower": obs_lower,
        "observed_upper": obs_upper,
    }
