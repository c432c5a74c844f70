"""Net and relative survival in continuous time, as relsurv's ``rs.surv`` computes them.

Time is counted in days. The estimate changes at each distinct follow-up time ``t_j`` of the
stratum (deaths and censorings). Population hazards are daily (annual / 365.25) and looked
up, as rs.surv's C code does, at the start of each step of one day laid from the previous
follow-up time (the last step of an interval is shorter): the cell is the patient's single
year of age (``age_days + s >= k * 365.25``) and calendar year (date ``>= 1 January``) at the
step's start ``s``. A patient's expected survival ``S_p`` is the product of
``exp(-hazard x step)`` over the steps; the patient is at risk at ``t_j`` when follow-up
lasts at least ``t_j``.

* Pohar Perme: ``dLambda_j = sum(dN_i / S_p) / sum(Y_i / S_p) - I_j`` where ``I_j`` is
  rs.surv's integral of the weighted population hazard over ``(t_{j-1}, t_j]``: the sum over
  steps of ``step / 2 x (A / B + A2 / B2)``, with ``A`` and ``B`` the running sums (since the
  interval's start) of ``lambda_i / S_p`` and ``1 / S_p`` at step starts, ``A2`` and ``B2``
  the same at step ends. Variance ``sum(dN_i / S_p^2) / (sum Y_i / S_p)^2``, summed.
* Ederer II: ``dLambda_j = (d_j - sum_i int lambda_i) / n_j``, variance ``d_j / n_j^2``.

``S(t) = prod(1 - dLambda_j)``; ``se = S x sqrt(variance)``. Patients with no follow-up
time (0 days) are left out, as rs.surv leaves them out.

Sums over patients are taken per life-table cell: within a run of steps in one cell a
patient's ``1 / S_p`` grows as ``exp(lambda x time)``, so the running sums of all patients in
the cell are a difference array times one exponential per step.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from oncoreg.stats.lifetable import LifeTable, jan1_days, year_of_days
from oncoreg.stats.survival import DAYS_PER_YEAR

CELLS_X_STEPS = 4_000_000
TIME_TOLERANCE_DAYS = 1e-6  # a follow-up time this close to a requested time counts as at it


@dataclass
class _Steps:
    """The one-day steps between a stratum's distinct follow-up times."""

    times: np.ndarray  # distinct follow-up times t_j (days)
    start: np.ndarray  # each step's start
    length: np.ndarray  # each step's length (1, or less for the last of an interval)
    interval: np.ndarray  # each step's interval j (0-based: (t_{j-1}, t_j])
    ends: np.ndarray  # index past the last step of each interval

    @property
    def bounds(self) -> np.ndarray:
        return np.append(self.start, self.times[-1])


def _steps(times: np.ndarray) -> _Steps:
    previous = np.concatenate([[0.0], times[:-1]])
    width = times - previous
    count = np.ceil(width).astype(np.int64)
    ends = np.cumsum(count)
    interval = np.repeat(np.arange(len(times)), count)
    offset = _ranges(np.zeros(len(times), np.int64), count).astype(np.float64)
    start = previous[interval] + offset
    length = np.minimum(1.0, width[interval] - offset)
    return _Steps(times, start, length, interval, ends)


@dataclass
class _Segments:
    """Runs of steps a patient spends in one life-table cell."""

    patient: np.ndarray
    first: np.ndarray  # first step
    stop: np.ndarray  # one past the last step
    cell: np.ndarray  # flat index into the life table
    rate: np.ndarray  # daily hazard
    cum_haz: np.ndarray  # the patient's cumulative hazard at the run's first step


def exact_estimates(
    days: np.ndarray,
    event: np.ndarray,
    sex: np.ndarray,
    age: np.ndarray,
    dx: np.ndarray,
    lifetable: LifeTable,
    method: str,
    times_days: np.ndarray,
) -> dict[str, np.ndarray]:
    """rs.surv's estimate and SE at ``times_days`` for one stratum.

    Args:
        days: follow-up time in days (positive).
        event: death at the end of follow-up.
        sex, age, dx: sex (1/2), age at diagnosis in years, diagnosis (days from 1970-01-01).
        lifetable: population hazards.
        method: ``pohar-perme`` or ``ederer2``.
        times_days: where to report.

    Returns:
        ``estimate`` and ``se`` at each of ``times_days`` (NaN past the longest follow-up).
    """
    days, event = _capped(days, event, times_days.max())
    times, at = np.unique(days, return_inverse=True)
    steps = _steps(times)
    segments = _segments(steps, at, sex, age * DAYS_PER_YEAR, dx, lifetable)
    if method == "ederer2":
        hazard, var = _ederer2(steps, segments, at, event)
    else:
        hazard, var = _pohar_perme(steps, segments, at, event)
    survival = np.cumprod(1 - hazard)
    where = np.searchsorted(times, times_days + TIME_TOLERANCE_DAYS, side="right") - 1
    estimate = np.where(where >= 0, survival[np.maximum(where, 0)], 1.0)
    se = estimate * np.where(where >= 0, np.sqrt(var[np.maximum(where, 0)]), 0.0)
    beyond = times_days - TIME_TOLERANCE_DAYS > times[-1]
    return {"estimate": np.where(beyond, np.nan, estimate), "se": np.where(beyond, np.nan, se)}


def _capped(days: np.ndarray, event: np.ndarray, last: float) -> tuple[np.ndarray, np.ndarray]:
    """Follow-up cut at the first follow-up time at or past ``last`` (which leaves every
    estimate up to ``last`` as it is)."""
    later = days[days >= last]
    if len(later) == 0:
        return days, event
    cap = later.min()
    return np.minimum(days, cap), event & (days <= cap)


def _segments(steps: _Steps, at, sex, age_days, dx, lifetable: LifeTable) -> _Segments:
    """Split each patient's steps where the age or the calendar-year cell changes."""
    count = steps.ends[at]  # steps each patient is at risk for
    last_start = steps.start[count - 1]
    ages = (lifetable.first_age + np.arange(1, lifetable.hazard.shape[1])) * DAYS_PER_YEAR
    new_years = jan1_days(np.arange(lifetable.first_year + 1, lifetable.last_year + 1))
    changes = [
        _changes(steps.start, cuts.astype(np.float64), origin, last_start)
        for cuts, origin in ((ages, age_days), (new_years, dx))
    ]
    patient = np.concatenate([np.arange(len(at))] + [c[0] for c in changes])
    first = np.concatenate([np.zeros(len(at), np.int64)] + [c[1] for c in changes])
    key = np.unique(patient * (steps.start.size + 1) + first)
    patient, first = key // (steps.start.size + 1), key % (steps.start.size + 1)
    stop = np.append(first[1:], 0)
    last = np.append(patient[1:] != patient[:-1], True)
    stop[last] = count[patient[last]]
    return _with_rates(steps, patient, first, stop, sex, age_days, dx, lifetable)


def _changes(start, cuts, origin, last_start) -> tuple[np.ndarray, np.ndarray]:
    """(patient, step) where ``origin + step start`` first reaches each cut in follow-up."""
    below = np.searchsorted(cuts, origin, side="right")
    count = np.searchsorted(cuts, origin + last_start, side="right") - below
    patient = np.repeat(np.arange(len(origin)), count)
    cut = cuts[_ranges(below, count)]
    value = origin[patient]
    step = np.minimum(np.searchsorted(start, cut - value, side="left"), len(start) - 1)
    step += value + start[step] < cut  # the same sum rs.surv compares, to the last bit
    step -= (step > 0) & (value + start[np.maximum(step - 1, 0)] >= cut)
    return patient, step


def _ranges(first: np.ndarray, count: np.ndarray) -> np.ndarray:
    """Concatenated ``arange(first[i], first[i] + count[i])``."""
    offsets = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    return np.repeat(first, count) + offsets


def _with_rates(steps, patient, first, stop, sex, age_days, dx, lifetable) -> _Segments:
    at = steps.start[first]
    cell = _cells(lifetable, sex[patient], age_days[patient] + at, dx[patient] + at)
    rate = lifetable.hazard.flat[cell] / DAYS_PER_YEAR
    gained = rate * (steps.bounds[stop] - steps.bounds[first])
    return _Segments(patient, first, stop, cell, rate, _earlier(gained, patient))


def _cells(lifetable: LifeTable, sex, age_days, day) -> np.ndarray:
    """Flat life-table cells: age ``k`` from ``age_days >= k * 365.25``, the year of ``day``."""
    whole = np.floor(age_days / DAYS_PER_YEAR).astype(np.int64)
    whole += age_days >= (whole + 1) * DAYS_PER_YEAR
    whole -= age_days < whole * DAYS_PER_YEAR
    _, n_ages, n_years = lifetable.hazard.shape
    age = np.clip(whole - lifetable.first_age, 0, n_ages - 1)
    year = np.clip(year_of_days(day) - lifetable.first_year, 0, n_years - 1)
    return np.ravel_multi_index((sex - 1, age, year), lifetable.hazard.shape)


def _earlier(values: np.ndarray, patient: np.ndarray) -> np.ndarray:
    """For each run, the sum of ``values`` over the patient's earlier runs."""
    total = np.cumsum(values)
    first = np.flatnonzero(np.append(True, patient[1:] != patient[:-1]))
    runs = np.diff(np.append(first, len(patient)))
    return total - values - np.repeat(total[first] - values[first], runs)


def _ederer2(steps: _Steps, seg: _Segments, at, event) -> tuple[np.ndarray, np.ndarray]:
    n_steps = steps.start.size
    per_step = _difference(seg.first, seg.stop, seg.rate, n_steps)
    expected = np.bincount(
        steps.interval, weights=per_step * steps.length, minlength=len(steps.times)
    )
    deaths = np.bincount(at, weights=event, minlength=len(steps.times))
    n = np.cumsum(np.bincount(at, minlength=len(steps.times))[::-1])[::-1].astype(np.float64)
    return (deaths - expected) / n, np.cumsum(deaths / n**2)


def _pohar_perme(steps: _Steps, seg: _Segments, at, event) -> tuple[np.ndarray, np.ndarray]:
    sums = _weighted_sums(steps, seg)
    bounds = steps.bounds
    gained = seg.rate * (bounds[seg.stop] - bounds[seg.first])
    exit_haz = np.bincount(seg.patient, weights=gained, minlength=len(at))
    weight = np.exp(exit_haz) * event
    n_times = len(steps.times)
    deaths = np.bincount(at, weights=weight, minlength=n_times)
    deaths_sq = np.bincount(at, weights=weight * np.exp(exit_haz), minlength=n_times)
    at_risk = sums["end"][steps.ends - 1]
    integral = _interval_integral(steps, sums)
    return deaths / at_risk - integral, np.cumsum(deaths_sq / at_risk**2)


def _interval_integral(steps: _Steps, sums: dict[str, np.ndarray]) -> np.ndarray:
    """rs.surv's ``yidlisiw``: per interval, sum of step/2 x (A/B + A2/B2) with running sums
    restarted at each interval's start."""
    first = np.append(0, steps.ends[:-1])

    def running(values: np.ndarray) -> np.ndarray:
        total = np.cumsum(values)
        before = np.append(0.0, total)[first]
        return total - np.repeat(before, steps.ends - first)

    ratio = running(sums["rate"]) / running(sums["start"])
    ratio_end = running(sums["rate_end"]) / running(sums["end"])
    values = steps.length / 2 * (ratio + ratio_end)
    return np.bincount(steps.interval, weights=values, minlength=len(steps.times))


def _weighted_sums(steps: _Steps, seg: _Segments) -> dict[str, np.ndarray]:
    """Per step, over patients at risk: 1/S_p and lambda/S_p at the step's start and end.

    Within a run in cell c, ``1/S_p = scale x exp(rate_c x (s - reference_c))``: the running
    sum of ``scale`` over the runs covering each step (a difference array per cell) times one
    exponential per cell and step. Cells are taken a chunk at a time to bound memory.
    """
    cells, local = np.unique(seg.cell, return_inverse=True)
    order = np.argsort(local, kind="stable")
    starts = np.searchsorted(local[order], np.arange(len(cells)))
    reference = np.minimum.reduceat(steps.bounds[seg.first][order], starts)
    rate = seg.rate[order][starts]
    scale = np.exp(seg.cum_haz - seg.rate * (steps.bounds[seg.first] - reference[local]))
    out = {k: np.zeros(steps.start.size) for k in ("start", "rate", "end", "rate_end")}
    chunk = max(1, CELLS_X_STEPS // (steps.start.size + 1))
    for lo in range(0, len(cells), chunk):
        hi = min(lo + chunk, len(cells))
        rows = order[starts[lo] : starts[hi] if hi < len(cells) else len(order)]
        covered = _cell_difference(seg, rows, local[rows] - lo, hi - lo, steps, scale)
        _add_cells(out, steps, rate[lo:hi, None], reference[lo:hi, None], covered)
    return out


def _add_cells(out, steps: _Steps, rate: np.ndarray, reference: np.ndarray, covered) -> None:
    at_start = np.exp(rate * (steps.start - reference)) * covered
    at_end = at_start * np.exp(rate * steps.length)
    out["start"] += at_start.sum(axis=0)
    out["rate"] += (rate * at_start).sum(axis=0)
    out["end"] += at_end.sum(axis=0)
    out["rate_end"] += (rate * at_end).sum(axis=0)


def _cell_difference(seg: _Segments, rows, cell, n_cells, steps: _Steps, scale) -> np.ndarray:
    """Per cell (of this chunk) and step: the sum of ``scale`` over the runs covering it."""
    width = steps.start.size + 1
    size = n_cells * width
    marks = np.bincount(cell * width + seg.first[rows], weights=scale[rows], minlength=size)
    marks -= np.bincount(cell * width + seg.stop[rows], weights=scale[rows], minlength=size)
    return np.cumsum(marks.reshape(n_cells, width), axis=1)[:, :-1]


def _difference(first, stop, values, n_steps) -> np.ndarray:
    """Per step: the sum of ``values`` over the runs covering it."""
    marks = np.bincount(first, weights=values, minlength=n_steps + 1)
    marks -= np.bincount(stop, weights=values, minlength=n_steps + 1)
    return np.cumsum(marks)[:n_steps]
