"""Pohar Perme weights as popEpi's survtab computes them (``pp_weights="popepi"``).

popEpi's ``survtab(..., relsurv.method = "pp")`` splits follow-up into Lexis rows (at the
interval breaks, every birthday and every 1 January of its ``per`` breaks), looks up each
row's population hazard at the row's middle, and gives each row one weight from
``popEpi:::comp_pp_weights(style = "delta")`` (popEpi 0.4.10). With ``PCS`` the patient's
expected survival from diagnosis to the start of the row, ``stop`` the end of the row's
interval and ``fot`` the row's start (breaks shifted down by ``sqrt(eps)``, as popEpi does):

* a row alone in its interval (for that patient): ``1 / (PCS * exp(+haz * (stop - fot) / 2))``;
* rows sharing an interval: ``1 / (PCS_first * exp(-sum(haz * dist)))``, one weight for all of
  them, ``dist`` the row's length but at most half the interval, and for the last row
  ``(stop - fot) / 2``.

The weighted figures are then summed over the rows as ``comp_pp_weighted_figures`` does:
``pyrs_pp = sum(w x length)``, ``d_exp_pp = sum(w x haz x length)``, ``d_pp = sum(w)`` and
``d_pp2 = sum(w**2)`` over the rows that end in a death. In the period approach popEpi
splits at 1 January only inside the window (its ``per`` breaks), computes the weights from
diagnosis over all rows, then keeps the rows inside the window; this module does the same.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from oncoreg.stats.lifetable import LifeTable, jan1_days, year_of_days
from oncoreg.stats.survival import DAYS_PER_YEAR, FollowUp

SHORTEST = np.finfo(np.float64).eps ** 0.5  # popEpi drops shorter rows and shifts breaks by it
WEIGHTED = ("d_pp", "d_pp2", "pyrs_pp", "d_exp_pp")
ROWS_PER_CHUNK = 4_000_000  # patients are taken in chunks of about this many Lexis rows


@dataclass
class _Cohort:
    """The patients' own values (years since diagnosis for ``follow``)."""

    sex: np.ndarray
    age: np.ndarray
    dx: np.ndarray
    follow: np.ndarray  # to the exit, at most the last break (period window or not)
    group: np.ndarray
    died: np.ndarray  # a death that counts, at ``follow``

    def part(self, rows: slice) -> _Cohort:
        return _Cohort(**{k: v[rows] for k, v in self.__dict__.items()})


@dataclass
class _Rows:
    """Lexis rows of a chunk of patients, sorted by patient and start."""

    patient: np.ndarray
    start: np.ndarray
    length: np.ndarray
    interval: np.ndarray  # 0-based, as popEpi's cut() at the shifted breaks
    haz: np.ndarray  # annual population hazard at the row's middle


def popepi_figures(
    observed: FollowUp,
    lifetable: LifeTable,
    breaks: np.ndarray,
    window: tuple[int, int] | None,
) -> dict[str, np.ndarray]:
    """The Pohar Perme figures of :data:`WEIGHTED` with popEpi's weights ([group, interval]).

    Args:
        observed: the cohort's follow-up (period approach when ``window`` is given).
        lifetable: the population hazards.
        breaks: the interval breaks in years, from 0.
        window: ``(first, last)`` calendar years of the period approach, or ``None``.
    """
    frame = observed.frame
    cohort = _Cohort(
        sex=frame["sex"].to_numpy().astype(np.int64),
        age=frame["age"].to_numpy(),
        dx=frame["dx"].to_numpy(),
        follow=np.minimum(frame["days"].to_numpy() / DAYS_PER_YEAR, breaks[-1]),
        group=observed.group,
        died=observed.event & (observed.exit <= breaks[-1]),
    )
    sums = {name: np.zeros((observed.groups, len(breaks) - 1)) for name in WEIGHTED}
    per_patient = len(breaks) + 2 * int(np.ceil(breaks[-1])) + 4
    size = max(1, ROWS_PER_CHUNK // per_patient)
    for first in range(0, len(cohort.follow), size):
        _add_chunk(cohort.part(slice(first, first + size)), lifetable, breaks, window, sums)
    return sums


def _add_chunk(cohort: _Cohort, lifetable: LifeTable, breaks, window, sums: dict) -> None:
    rows = _rows(cohort.follow, cohort.age, cohort.dx, breaks, window)
    if len(rows.start) == 0:
        return
    middle = rows.start + rows.length / 2
    rows.haz = lifetable.rates(
        cohort.sex[rows.patient],
        np.floor(cohort.age[rows.patient] + middle).astype(np.int64),
        year_of_days(cohort.dx[rows.patient] + middle * DAYS_PER_YEAR),
    )
    weight = _weights(rows, breaks - SHORTEST)
    counted = _inside(rows, cohort.dx, window)
    _sums(rows, weight, counted, cohort, sums)


def _rows(follow, age, dx, breaks, window) -> _Rows:
    """Split each patient's time from 0 to ``follow`` at the breaks, birthdays and 1 January
    (inside the window only, in the period approach); rows shorter than popEpi's tolerance
    are dropped, as popEpi's splitMulti drops them."""
    origin = (np.arange(len(follow)), np.zeros(len(follow)))
    parts = [origin, _break_cuts(follow, breaks), _birthdays(follow, age)]
    parts.append(_new_years(follow, dx, window))
    patient = np.concatenate([p for p, _ in parts])
    cut = np.concatenate([c for _, c in parts])
    order = np.lexsort((cut, patient))
    patient, start = patient[order], cut[order]
    last = np.append(patient[1:] != patient[:-1], True)
    stop = np.where(last, follow[patient], np.roll(start, -1))
    keep = stop - start >= SHORTEST
    patient, start, length = patient[keep], start[keep], (stop - start)[keep]
    interval = np.searchsorted(breaks - SHORTEST, start, side="left") - 1
    return _Rows(patient, start, length, interval, np.empty(0))


def _ragged(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For counts per patient: each item's patient and its 0-based place among them."""
    counts = np.maximum(counts, 0).astype(np.int64)
    patient = np.repeat(np.arange(len(counts)), counts)
    first = np.cumsum(counts) - counts
    return patient, np.arange(len(patient)) - first[patient]


def _break_cuts(follow, breaks) -> tuple[np.ndarray, np.ndarray]:
    patient, place = _ragged(np.searchsorted(breaks, follow, side="left") - 1)
    return patient, breaks[1 + place]


def _birthdays(follow, age) -> tuple[np.ndarray, np.ndarray]:
    whole = np.floor(age)
    patient, place = _ragged(np.ceil(follow + age - whole).astype(np.int64))
    cut = (whole[patient] + 1 + place) - age[patient]
    inside = cut < follow[patient]
    return patient[inside], cut[inside]


def _new_years(follow, dx, window) -> tuple[np.ndarray, np.ndarray]:
    patient, place = _ragged(np.ceil(follow).astype(np.int64) + 2)
    year = year_of_days(dx)[patient] + 1 + place
    cut = (jan1_days(year) - dx[patient]) / DAYS_PER_YEAR
    inside = cut < follow[patient]
    if window is not None:
        inside &= (year >= window[0]) & (year <= window[1] + 1)
    return patient[inside], cut[inside]


def _weights(rows: _Rows, shifted: np.ndarray) -> np.ndarray:
    """popEpi's comp_pp_weights(style = "delta"): one weight per row."""
    survival = _survival_to_start(rows)
    stop = shifted[rows.interval + 1]
    bounds = _bounds(_first(rows.patient) | _first(rows.interval))
    sizes = np.diff(bounds)
    alone = survival * np.exp(rows.haz * (stop - rows.start) / 2)
    half = (stop - shifted[rows.interval]) / 2
    dist = np.maximum(np.minimum(rows.length, half), 0.0)
    last = bounds[1:] - 1  # each interval's last row: dist (stop - fot) / 2
    dist[last] = np.maximum((stop[last] - rows.start[last]) / 2, 0.0)
    shared = survival[bounds[:-1]] * np.exp(-np.add.reduceat(rows.haz * dist, bounds[:-1]))
    return 1 / np.where(np.repeat(sizes, sizes) == 1, alone, np.repeat(shared, sizes))


def _survival_to_start(rows: _Rows) -> np.ndarray:
    """PCS: each patient's expected survival from diagnosis to the row's start, computed as
    popEpi does (``exp(-cumsum(haz x length)) / exp(-haz x length)``)."""
    step = rows.haz * rows.length
    total = np.cumsum(step)
    first = _first(rows.patient)
    before = np.repeat(total[first] - step[first], np.diff(_bounds(first)))
    return np.exp(-(total - before)) / np.exp(-step)


def _first(values: np.ndarray) -> np.ndarray:
    """Where a run of equal values starts."""
    return np.append(True, values[1:] != values[:-1])


def _bounds(first: np.ndarray) -> np.ndarray:
    """Start index of each run (``first`` marks a run's first item), and the end."""
    return np.append(np.flatnonzero(first), len(first))


def _inside(rows: _Rows, dx: np.ndarray, window) -> np.ndarray:
    """The rows that count: all in the cohort approach, those inside the window else."""
    if window is None:
        return np.ones(len(rows.start), dtype=bool)
    start, end = (float(d) for d in jan1_days(np.array([window[0], window[1] + 1])))
    middle = dx[rows.patient] + (rows.start + rows.length / 2) * DAYS_PER_YEAR
    return (middle >= start) & (middle < end)


def _sums(rows: _Rows, weight, counted, cohort: _Cohort, sums: dict) -> None:
    """Add the chunk's weighted time, expected deaths and deaths to ``sums``."""
    shape = sums["d_pp"].shape
    cell = cohort.group[rows.patient] * shape[1] + rows.interval

    def add(name: str, where, values) -> None:
        found = np.bincount(cell[where], weights=values, minlength=shape[0] * shape[1])
        sums[name] += found.reshape(shape)

    w, length = weight[counted], rows.length[counted]
    add("pyrs_pp", counted, w * length)
    add("d_exp_pp", counted, w * rows.haz[counted] * length)
    last = np.append(rows.patient[1:] != rows.patient[:-1], True)
    died = last & cohort.died[rows.patient]
    add("d_pp", died, weight[died])
    add("d_pp2", died, weight[died] ** 2)
