"""Relative and net survival in intervals of follow-up (the hazard method of popEpi's survtab).

Follow-up is cut at the interval breaks and, inside each interval, at every birthday and
every 1 January, so that each piece of a patient's time lies in one life-table cell (sex,
single year of age, calendar year) and its population hazard is exact. Per stratum and
interval ``k`` (width ``delta``) it sums deaths ``d``, person-years ``pyrs`` and expected
deaths ``d_exp`` (population hazard x time), and the Pohar Perme weighted figures with weight
``w(t) = 1 / S_p(t)``, the patient's expected survival since diagnosis, integrated exactly
over each piece: ``d_pp`` (weighted deaths), ``d_pp2`` (deaths weighted by ``w**2``),
``pyrs_pp`` (weighted time) and ``d_exp_pp`` (weighted expected deaths).

The estimators are survtab's ``surv.method = "hazard"`` (:func:`estimates`):

* observed ``prod exp(-delta d / pyrs)``, SE ``S sqrt(sum delta^2 d / pyrs^2)``;
* Ederer II ``prod exp(-delta (d - d_exp) / pyrs)``, SE the observed SE divided by the
  expected survival ``prod exp(-delta d_exp / pyrs)``;
* Pohar Perme ``prod exp(-delta (d_pp - d_exp_pp) / pyrs_pp)``,
  SE ``S sqrt(sum delta^2 d_pp2 / pyrs_pp^2)``.

A death on a break belongs to the interval that ends there. Only time inside the period
window counts in the period approach (late entry); the weights still run from diagnosis.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from oncoreg.stats.lifetable import LifeTable, jan1_days, year_of_days
from oncoreg.stats.survival import DAYS_PER_YEAR, FollowUp

FIGURES = ("d", "pyrs", "d_exp", "d_pp", "d_pp2", "pyrs_pp", "d_exp_pp")
COMPACT_BELOW = 0.75  # drop patients who left once fewer than this share are still followed


@dataclass
class _Rates:
    """Annual hazards as a flat array over (sex, age, year), ages and years padded past the
    cohort's so that a patient's cell moves by +years at a birthday and +1 on 1 January."""

    flat: np.ndarray
    first_age: int
    first_year: int
    ages: int
    years: int

    @classmethod
    def around(cls, lifetable: LifeTable, age: np.ndarray, year: np.ndarray, span: float):
        first_age, first_year = int(age.min()), int(year.min())
        ages = int(age.max()) - first_age + int(np.ceil(span)) + 3
        years = int(year.max()) - first_year + int(np.ceil(span)) + 3
        sex, a, y = np.meshgrid([1, 2], first_age + np.arange(ages), first_year + np.arange(years))
        grid = lifetable.rates(sex.transpose(1, 0, 2), a.transpose(1, 0, 2), y.transpose(1, 0, 2))
        return cls(np.nan_to_num(grid).ravel(), first_age, first_year, ages, years)

    def cell(self, sex: np.ndarray, age: np.ndarray, year: np.ndarray) -> np.ndarray:
        return ((sex - 1) * self.ages + age - self.first_age) * self.years + year - self.first_year


@dataclass
class _Patients:
    """The state of each patient still followed, as the intervals are walked."""

    group: np.ndarray
    dx: np.ndarray
    entry: np.ndarray
    exit: np.ndarray
    event: np.ndarray
    now: np.ndarray
    cum_haz: np.ndarray
    cell: np.ndarray
    next_birthday: np.ndarray
    year: np.ndarray
    next_new_year: np.ndarray

    def keep(self, rows: np.ndarray) -> _Patients:
        return _Patients(**{k: v[rows] for k, v in self.__dict__.items()})


@dataclass
class _Walk:
    """What every step needs: the rates, the sums being filled and the options."""

    rates: _Rates
    sums: dict[str, np.ndarray]
    weighted: bool
    late_entry: bool


def _patients(observed: FollowUp, end: float, lifetable: LifeTable) -> tuple[_Patients, _Rates]:
    exit_ = np.minimum(observed.exit, end)
    keep = exit_ > observed.entry
    frame = observed.frame.filter(keep)
    age, dx = frame["age"].to_numpy(), frame["dx"].to_numpy()
    year, whole = year_of_days(dx), np.floor(age).astype(np.int64)
    rates = _Rates.around(lifetable, whole, year, end)
    patients = _Patients(
        group=observed.group[keep],
        dx=dx,
        entry=observed.entry[keep],
        exit=exit_[keep],
        event=(observed.event & (observed.exit <= end))[keep],
        now=np.zeros(len(age)),
        cum_haz=np.zeros(len(age)),
        cell=rates.cell(frame["sex"].to_numpy().astype(np.int64), whole, year),
        next_birthday=whole + 1 - age,
        year=year,
        next_new_year=(jan1_days(year + 1) - dx) / DAYS_PER_YEAR,
    )
    return patients, rates


def interval_figures(
    observed: FollowUp, lifetable: LifeTable, breaks: np.ndarray, weighted: bool
) -> dict[str, np.ndarray]:
    """The figures of :data:`FIGURES` per stratum and interval (arrays [group, interval]).

    Args:
        observed: the cohort's follow-up (entry, exit, death, stratum).
        lifetable: the population hazards.
        breaks: the interval breaks in years, from 0.
        weighted: compute the Pohar Perme figures too (else they stay 0).
    """
    shape = (observed.groups, len(breaks) - 1)
    sums = {name: np.zeros(shape) for name in FIGURES}
    if not (np.minimum(observed.exit, breaks[-1]) > observed.entry).any():
        return sums  # no one has time under observation: every estimate is empty
    people, rates = _patients(observed, breaks[-1], lifetable)
    walk = _Walk(rates, sums, weighted, observed.truncated)
    for k in range(len(breaks) - 1):
        followed = people.exit > breaks[k]
        if followed.sum() < COMPACT_BELOW * len(followed):
            people = people.keep(np.flatnonzero(followed))
        _walk(people, breaks[k + 1], walk, k)
        _count_deaths(people, breaks[k], breaks[k + 1], walk, k)
    return walk.sums


def _walk(people: _Patients, end: float, walk: _Walk, k: int) -> None:
    """Move every patient to the interval's end (or exit), piece by piece."""
    stop = np.minimum(people.exit, end)
    _step(people, slice(None), stop, walk, k)  # everyone, on views: no piece is 0 long
    rows = np.flatnonzero(people.now < stop)
    while len(rows):
        _step(people, rows, stop[rows], walk, k)
        rows = rows[people.now[rows] < stop[rows]]


def _step(people: _Patients, rows: np.ndarray | slice, stop, walk: _Walk, k: int) -> None:
    """One piece for each patient in ``rows``: up to the next birthday, 1 January, entry or
    stop, whichever comes first (0 long for patients already at their stop)."""
    now = people.now[rows]
    birthday, new_year = people.next_birthday[rows], people.next_new_year[rows]
    until = np.minimum(np.minimum(birthday, new_year), stop)
    length = until - now
    counted = length
    if walk.late_entry:
        entry = people.entry[rows]
        until = np.where(entry > now, np.minimum(until, entry), until)
        length = until - now
        counted = np.where(entry <= now, length, 0.0)
    rate = walk.rates.flat[people.cell[rows]]
    group = people.group[rows]
    _add(walk.sums["pyrs"], group, k, counted)
    _add(walk.sums["d_exp"], group, k, rate * counted)
    cum_haz = people.cum_haz[rows]
    if walk.weighted:
        growth = np.expm1(rate * counted)
        weight = np.exp(cum_haz)
        per_rate = np.divide(growth, rate, out=counted.copy(), where=rate > 0)
        _add(walk.sums["pyrs_pp"], group, k, weight * per_rate)
        _add(walk.sums["d_exp_pp"], group, k, weight * growth)
    people.cum_haz[rows] = cum_haz + rate * length
    people.now[rows] = until
    _cross(people, rows, until, birthday, new_year, walk.rates.years)


def _cross(people: _Patients, rows, until, birthday, new_year, years: int) -> None:
    """Move to the next age or calendar year where a piece ended on a birthday or 1 January."""
    rows = np.arange(len(people.now)) if isinstance(rows, slice) else rows
    aged = rows[until == birthday]
    people.cell[aged] += years
    people.next_birthday[aged] += 1
    turned = rows[until == new_year]
    people.cell[turned] += 1
    people.year[turned] += 1
    people.next_new_year[turned] = (jan1_days(people.year[turned] + 1) - people.dx[turned]) / (
        DAYS_PER_YEAR
    )


def _count_deaths(people: _Patients, start: float, end: float, walk: _Walk, k: int) -> None:
    died = np.flatnonzero(people.event & (people.exit > start) & (people.exit <= end))
    group = people.group[died]
    _add(walk.sums["d"], group, k, np.ones(len(died)))
    if walk.weighted:
        weight = np.exp(people.cum_haz[died])
        _add(walk.sums["d_pp"], group, k, weight)
        _add(walk.sums["d_pp2"], group, k, weight**2)


def _add(target: np.ndarray, group: np.ndarray, k: int, values: np.ndarray) -> None:
    if target.shape[0] == 1:
        target[0, k] += values.sum()
    else:
        target[:, k] += np.bincount(group, weights=values, minlength=target.shape[0])


def estimates(
    figures: dict[str, np.ndarray], breaks: np.ndarray, method: str
) -> dict[str, np.ndarray]:
    """Cumulative estimates and SEs per stratum at each interval's end ([group, interval]).

    Returns:
        ``estimate`` and ``se`` of ``method`` (``ederer2`` or ``pohar-perme``), and
        ``observed`` and ``observed_se``.
    """
    delta = np.diff(breaks)[None, :]
    d, pyrs = figures["d"], figures["pyrs"]
    with np.errstate(divide="ignore", invalid="ignore"):
        observed = np.cumprod(np.exp(-delta * d / pyrs), axis=1)
        observed_se = observed * np.sqrt(np.cumsum(delta**2 * d / pyrs**2, axis=1))
        if method == "ederer2":
            estimate = np.cumprod(np.exp(-delta * (d - figures["d_exp"]) / pyrs), axis=1)
            expected = np.cumprod(np.exp(-delta * figures["d_exp"] / pyrs), axis=1)
            se = observed_se / expected
        else:
            weighted = figures["pyrs_pp"]
            excess = figures["d_pp"] - figures["d_exp_pp"]
            estimate = np.cumprod(np.exp(-delta * excess / weighted), axis=1)
            se = estimate * np.sqrt(np.cumsum(delta**2 * figures["d_pp2"] / weighted**2, axis=1))
    return {"estimate": estimate, "se": se, "observed": observed, "observed_se": observed_se}
