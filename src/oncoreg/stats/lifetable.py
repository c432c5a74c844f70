"""Population life tables: annual mortality hazards by sex, single year of age and calendar year.

A life table is read from a frame with columns ``sex`` (1 male, 2 female), ``age`` (whole
years), ``year`` (calendar year) and ``haz`` (annual hazard: deaths per person-year), or ``qx``
(annual probability of death) instead of ``haz``, converted as ``haz = -ln(1 - qx)``.

Lookups are vectorised: :meth:`LifeTable.rates` takes arrays of sexes, ages and years. The
table must cover every age and year a patient reaches during follow-up; with ``extend=True``
ages past the oldest age use the oldest age and years past the last year use the last year
(:meth:`LifeTable.check_coverage` logs how often, on the ``oncoreg.stats`` logger).

Calendar time: the hazard of a moment is that of the calendar year of its date, so a year
starts on 1 January (:func:`jan1_days`, :func:`year_of_days`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import polars as pl

from oncoreg.errors import Problem
from oncoreg.stats.survival_input import Origin, as_polars, codes, numbers, require_columns

log = logging.getLogger("oncoreg.stats")

LIFETABLE_HINT = "LIFETABLE.csv needs sex, age, year and haz (or qx); see docs/stats-survival.md"


def jan1_days(years: np.ndarray | int) -> np.ndarray:
    """Days from 1970-01-01 to 1 January of each (proleptic Gregorian) year."""
    y = np.asarray(years, dtype=np.int64)
    before = y - 1
    leaps = before // 4 - before // 100 + before // 400
    return 365 * (y - 1970) + leaps - (1969 // 4 - 1969 // 100 + 1969 // 400)


def year_of_days(days: np.ndarray) -> np.ndarray:
    """The calendar year of each day (days since 1970-01-01, fractional days allowed)."""
    d = np.asarray(days, dtype=np.float64)
    year = np.floor(d / 365.2425).astype(np.int64) + 1970
    year -= jan1_days(year) > d
    year += jan1_days(year + 1) <= d
    return year


@dataclass(frozen=True, eq=False)
class LifeTable:
    """Annual hazards ``hazard[sex - 1, age - first_age, year - first_year]``.

    Attributes:
        hazard: array of shape (2, ages, years); NaN for a sex the table does not hold.
        first_age: the youngest age in the table.
        first_year: the first calendar year in the table.
        extend: carry the oldest age and the last year forward when follow-up goes past them.
    """

    hazard: np.ndarray
    first_age: int
    first_year: int
    extend: bool = False

    @property
    def last_age(self) -> int:
        return self.first_age + self.hazard.shape[1] - 1

    @property
    def last_year(self) -> int:
        return self.first_year + self.hazard.shape[2] - 1

    @property
    def sexes(self) -> tuple[int, ...]:
        return tuple(s + 1 for s in range(2) if not np.isnan(self.hazard[s]).all())

    @classmethod
    def from_frame(cls, frame, *, extend: bool = False, origin: Origin | None = None) -> LifeTable:
        """Build a life table from a frame of ``sex, age, year, haz`` (or ``qx``).

        Args:
            frame: a Polars or pandas frame; text columns are parsed.
            extend: carry the oldest age and the last year forward (see the module docstring).
            origin: where the frame came from, for messages (file name, first row number).

        Raises:
            InputError: missing columns, bad values, duplicate or missing (sex, age, year) cells.
        """
        origin = origin or Origin()
        frame = as_polars(frame)
        value = "haz" if "haz" in frame.columns or "qx" not in frame.columns else "qx"
        require_columns(frame, ["sex", "age", "year", value], origin, LIFETABLE_HINT)
        problems: list[Problem] = []
        sex = codes(frame, "sex", (1, 2), origin, problems, "1 (male) or 2 (female)")
        age = _whole(frame, "age", origin, problems, low=0)
        year = _whole(frame, "year", origin, problems, low=1000)
        haz = _hazards(frame, value, origin, problems)
        if problems:
            origin.fail("the life table has bad values", problems, hint=LIFETABLE_HINT)
        return cls._from_arrays(sex, age, year, haz, extend, origin)

    @classmethod
    def _from_arrays(cls, sex, age, year, haz, extend: bool, origin: Origin) -> LifeTable:
        if len(sex) == 0:
            origin.fail("the life table has no rows", hint=LIFETABLE_HINT)
        age0, year0 = int(age.min()), int(year.min())
        shape = (2, int(age.max()) - age0 + 1, int(year.max()) - year0 + 1)
        cell = np.ravel_multi_index((sex - 1, age - age0, year - year0), shape)
        _check_duplicates(cell, origin)
        table = np.full(shape, np.nan)
        table.flat[cell] = haz
        _check_complete(table, age0, year0, origin)
        return cls(table, age0, year0, extend)

    def rates(self, sex: np.ndarray, age: np.ndarray, year: np.ndarray) -> np.ndarray:
        """Annual hazards for arrays of sexes (1/2), whole ages and calendar years.

        Ages and years outside the table are clipped to its edges; callers check coverage
        first (:meth:`check_coverage`), so clipping only acts where ``extend`` allows it.
        """
        a = np.clip(age - self.first_age, 0, self.hazard.shape[1] - 1)
        y = np.clip(year - self.first_year, 0, self.hazard.shape[2] - 1)
        return self.hazard[np.asarray(sex) - 1, a, y]

    def check_coverage(
        self,
        sex: np.ndarray,
        ages: tuple[np.ndarray, np.ndarray],
        years: tuple[np.ndarray, np.ndarray],
        origin: Origin,
        rows: np.ndarray,
    ) -> None:
        """Raise unless the table covers each patient's follow-up (or ``extend`` carries it).

        Args:
            sex: each patient's sex (1/2).
            ages: the first and last whole age each patient reaches during follow-up.
            years: the first and last calendar year of each patient's follow-up.
            origin: the cohort's origin, for messages.
            rows: each patient's 0-based row in the cohort frame.

        Raises:
            InputError: naming the cohort rows the table does not cover.
        """
        problems: list[Problem] = []
        have = np.isin(sex, self.sexes)
        problems += origin.problems(rows[~have], "sex", "the life table has no rates for this sex")
        young = have & (ages[0] < self.first_age)
        problems += origin.problems(
            rows[young], "age", f"younger than the life table's first age {self.first_age}"
        )
        early = have & (years[0] < self.first_year)
        problems += origin.problems(
            rows[early], "dx_date", f"before the life table's first year {self.first_year}"
        )
        old = have & (ages[1] > self.last_age)
        late = have & (years[1] > self.last_year)
        if not self.extend:
            problems += origin.problems(
                rows[old], "age", f"follow-up reaches ages past the life table's {self.last_age}"
            )
            problems += origin.problems(
                rows[late], "dx_date", f"follow-up runs past the life table's {self.last_year}"
            )
        if problems:
            origin.fail(
                "the life table does not cover the cohort's follow-up",
                problems,
                hint="give a life table that covers every age and year of follow-up, "
                "or carry its oldest age and last year forward (--extend-lifetable)",
            )
        self._log_extension(int(old.sum()), int(late.sum()))

    def _log_extension(self, old: int, late: int) -> None:
        if old:
            log.warning(
                "life table extended: %d patients reach ages past %d, which use age %d's rates",
                old,
                self.last_age,
                self.last_age,
            )
        if late:
            log.warning(
                "life table extended: %d patients are followed past %d, which use %d's rates",
                late,
                self.last_year,
                self.last_year,
            )

    def to_frame(self) -> pl.DataFrame:
        """The table as ``sex, age, year, haz`` rows (sexes it holds only)."""
        s, a, y = np.indices(self.hazard.shape)
        keep = ~np.isnan(self.hazard)
        return pl.DataFrame(
            {
                "sex": (s[keep] + 1).astype(np.int8),
                "age": (a[keep] + self.first_age).astype(np.int32),
                "year": (y[keep] + self.first_year).astype(np.int32),
                "haz": self.hazard[keep],
            }
        )


def _whole(frame, name: str, origin: Origin, problems: list[Problem], low: int) -> np.ndarray:
    values = numbers(frame, name, origin, problems)
    ok = np.isfinite(values)
    wrong = ok & ((values != np.round(values)) | (values < low) | (values > 3000))
    problems += origin.problems(np.flatnonzero(wrong), name, "must be a whole number")
    return np.where(ok & ~wrong, values, low).astype(np.int64)


def _hazards(frame, name: str, origin: Origin, problems: list[Problem]) -> np.ndarray:
    values = numbers(frame, name, origin, problems)
    ok = np.isfinite(values)
    if name == "qx":
        wrong = ok & ((values < 0) | (values >= 1))
        problems += origin.problems(np.flatnonzero(wrong), name, "must be at least 0, below 1")
        return -np.log1p(-np.where(ok & ~wrong, values, 0.0))
    wrong = ok & (values < 0)
    problems += origin.problems(np.flatnonzero(wrong), name, "must not be negative")
    return np.where(ok & ~wrong, values, 0.0)


def _check_duplicates(cell: np.ndarray, origin: Origin) -> None:
    order = np.argsort(cell, kind="stable")
    repeated = order[1:][cell[order][1:] == cell[order][:-1]]
    if len(repeated):
        origin.fail(
            "the life table repeats (sex, age, year) cells",
            origin.problems(np.sort(repeated), None, "repeats an earlier row's sex, age and year"),
            hint=LIFETABLE_HINT,
        )


def _check_complete(table: np.ndarray, age0: int, year0: int, origin: Origin) -> None:
    present = ~np.isnan(table).all(axis=(1, 2))
    holes = np.isnan(table) & present[:, None, None]
    if not holes.any():
        return
    sex, age, year = np.nonzero(holes)
    shown = [
        Problem(f"no rate for sex {s + 1}, age {a + age0}, year {y + year0}", file=origin.file)
        for s, a, y in list(zip(sex, age, year, strict=True))[:20]
    ]
    origin.fail(
        f"the life table misses {len(sex)} (sex, age, year) cells",
        shown,
        hint="give every single age and calendar year between the table's first and last",
    )
