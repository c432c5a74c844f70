"""Checks of the dates of a report: their order, the future, and the stated age.

IARC/IACR CHECK program (Ferlay et al., IARC Technical Report 42, 2005): the date of birth
cannot follow the date of incidence, no date can lie in the future, follow-up cannot end
before diagnosis, and the stated age must agree with the two dates (its "age/dates" check).
IARC's follow-up rules also want the date of last contact of a dead patient to be the date
of death.

**Partial dates.** A date known only to the month or the year is stored as the first day
of that period with its precision (``birth_date_precision``, ``diagnosis_date_precision``:
``day``, ``month``, ``year``; ``unknown`` or ``invalid`` mean no usable date). Two dates
are compared at the coarser of their two precisions: a birth known as "1950" is compared
with a diagnosis by year only, so a birth year equal to the diagnosis year is never "after
the diagnosis". A date without a precision column (last contact, death) or with a null
precision counts as known to the day.

"Today" comes from :func:`today`, so that tests can fix it.
"""

from __future__ import annotations

import datetime

import polars as pl

from oncoreg.checks.engine import Severity, rule

FAMILY = "dates"
EARLIEST_DIAGNOSIS_YEAR = 1900
AGE_TOLERANCE = 1
_DAY, _MONTH, _YEAR = 2, 1, 0


def today() -> datetime.date:
    """The date the rules take as today (monkeypatch this in tests)."""
    return datetime.date.today()


def _level(precision: str | None) -> pl.Expr:
    """How precisely a date is known: 2 day, 1 month, 0 year, null not known."""
    if precision is None:
        return pl.lit(_DAY)
    p = pl.col(precision)
    return (
        pl.when(p.is_null() | (p == "day"))
        .then(pl.lit(_DAY))
        .when(p == "month")
        .then(pl.lit(_MONTH))
        .when(p == "year")
        .then(pl.lit(_YEAR))
    )


def _key(date: pl.Expr, level: pl.Expr) -> pl.Expr:
    """An integer YYYYMMDD of ``date`` truncated to ``level`` (YYYY0000, YYYYMM00)."""
    month = pl.when(level >= _MONTH).then(date.dt.month().cast(pl.Int32) * 100).otherwise(0)
    day = pl.when(level >= _DAY).then(date.dt.day().cast(pl.Int32)).otherwise(0)
    return date.dt.year().cast(pl.Int32) * 10_000 + month + day


def is_after(
    later: str, later_precision: str | None, earlier: str, earlier_precision: str | None
) -> pl.Expr:
    """True where date column ``later`` is certainly after ``earlier``.

    Args:
        later: the date column that should not come after the other.
        later_precision: its precision column, or None when it is known to the day.
        earlier: the other date column.
        earlier_precision: its precision column, or None.

    Returns:
        A boolean expression, null where either date or precision is unknown.
    """
    return _after(
        pl.col(later), _level(later_precision), pl.col(earlier), _level(earlier_precision)
    )


def _after(a: pl.Expr, a_level: pl.Expr, b: pl.Expr, b_level: pl.Expr) -> pl.Expr:
    common = pl.min_horizontal(a_level, b_level)
    known = a_level.is_not_null() & b_level.is_not_null()
    return pl.when(known).then(_key(a, common) > _key(b, common))


def _in_future(column: str, precision: str | None = None) -> pl.Expr:
    """True where the date is after :func:`today` at its own precision."""
    now = pl.lit(today(), dtype=pl.Date)
    return _after(pl.col(column), _level(precision), now, pl.lit(_DAY))


@rule(
    "DATE-BIRTH-AFTER-DIAGNOSIS",
    Severity.ERROR,
    ("birth_date", "diagnosis_date"),
    en="Date of birth is after the date of diagnosis",
    vi="Ngày sinh sau ngày chẩn đoán",
    family=FAMILY,
)
def birth_after_diagnosis() -> pl.Expr:
    """Birth after diagnosis, compared at the coarser precision of the two dates."""
    return is_after(
        "birth_date", "birth_date_precision", "diagnosis_date", "diagnosis_date_precision"
    )


@rule(
    "DATE-DIAGNOSIS-FUTURE",
    Severity.ERROR,
    ("diagnosis_date",),
    en="Date of diagnosis is in the future",
    vi="Ngày chẩn đoán sau ngày hôm nay",
    family=FAMILY,
)
def diagnosis_in_future() -> pl.Expr:
    """Diagnosis after today (a year-only diagnosis of this year is not)."""
    return _in_future("diagnosis_date", "diagnosis_date_precision")


@rule(
    "DATE-BIRTH-FUTURE",
    Severity.ERROR,
    ("birth_date",),
    en="Date of birth is in the future",
    vi="Ngày sinh sau ngày hôm nay",
    family=FAMILY,
)
def birth_in_future() -> pl.Expr:
    """Birth after today."""
    return _in_future("birth_date", "birth_date_precision")


@rule(
    "DATE-LAST-CONTACT-BEFORE-DIAGNOSIS",
    Severity.ERROR,
    ("last_contact_date", "diagnosis_date"),
    en="Date of last contact is before the date of diagnosis",
    vi="Ngày liên lạc cuối trước ngày chẩn đoán",
    family=FAMILY,
)
def last_contact_before_diagnosis() -> pl.Expr:
    """Diagnosis after the last contact."""
    return is_after("diagnosis_date", "diagnosis_date_precision", "last_contact_date", None)


@rule(
    "DATE-DEATH-BEFORE-DIAGNOSIS",
    Severity.ERROR,
    ("death_date", "diagnosis_date"),
    en="Date of death is before the date of diagnosis",
    vi="Ngày tử vong trước ngày chẩn đoán",
    family=FAMILY,
)
def death_before_diagnosis() -> pl.Expr:
    """Diagnosis after death (a DCO case is diagnosed on the day of death, not after)."""
    return is_after("diagnosis_date", "diagnosis_date_precision", "death_date", None)


@rule(
    "DATE-DEATH-FUTURE",
    Severity.ERROR,
    ("death_date",),
    en="Date of death is in the future",
    vi="Ngày tử vong sau ngày hôm nay",
    family=FAMILY,
)
def death_in_future() -> pl.Expr:
    """Death after today."""
    return _in_future("death_date")


@rule(
    "DATE-LAST-CONTACT-FUTURE",
    Severity.ERROR,
    ("last_contact_date",),
    en="Date of last contact is in the future",
    vi="Ngày liên lạc cuối sau ngày hôm nay",
    family=FAMILY,
)
def last_contact_in_future() -> pl.Expr:
    """Last contact after today."""
    return _in_future("last_contact_date")


@rule(
    "DATE-DEATH-NOT-LAST-CONTACT",
    Severity.WARNING,
    ("vital_status", "death_date", "last_contact_date"),
    en="The patient is dead but the date of last contact is not the date of death",
    vi="Bệnh nhân đã tử vong nhưng ngày liên lạc cuối khác ngày tử vong",
    family=FAMILY,
)
def death_not_last_contact() -> pl.Expr:
    """Vital status dead (2) and both dates given but different (IARC: they must agree)."""
    return (pl.col("vital_status") == "2") & (pl.col("death_date") != pl.col("last_contact_date"))


@rule(
    "DATE-DEATH-BUT-ALIVE",
    Severity.WARNING,
    ("vital_status", "death_date"),
    en="A date of death is given but the vital status is alive",
    vi="Có ngày tử vong nhưng bệnh nhân được ghi là còn sống",
    family=FAMILY,
)
def death_but_alive() -> pl.Expr:
    """Vital status alive (1) with a date of death."""
    return (pl.col("vital_status") == "1") & pl.col("death_date").is_not_null()


def _age_bounds() -> tuple[pl.Expr, pl.Expr]:
    """Youngest and oldest age that the dates of birth and diagnosis allow.

    Both dates known to the month or day: the completed years (one age). Either known to
    the year only: the year difference or one less.
    """
    birth, dx = pl.col("birth_date"), pl.col("diagnosis_date")
    b_level, d_level = _level("birth_date_precision"), _level("diagnosis_date_precision")
    years = (dx.dt.year() - birth.dt.year()).cast(pl.Int64)
    before_birthday = (dx.dt.month() < birth.dt.month()) | (
        (dx.dt.month() == birth.dt.month()) & (dx.dt.day() < birth.dt.day())
    )
    exact = pl.min_horizontal(b_level, d_level) >= _MONTH
    youngest = pl.when(exact).then(years - before_birthday.cast(pl.Int64)).otherwise(years - 1)
    oldest = pl.when(exact).then(years - before_birthday.cast(pl.Int64)).otherwise(years)
    known = b_level.is_not_null() & d_level.is_not_null()
    return pl.when(known).then(youngest), pl.when(known).then(oldest)


@rule(
    "DATE-AGE-INCONSISTENT",
    Severity.ERROR,
    ("age_at_diagnosis", "birth_date", "diagnosis_date"),
    en="Age at diagnosis does not agree with the dates of birth and diagnosis",
    vi="Tuổi lúc chẩn đoán không khớp với ngày sinh và ngày chẩn đoán",
    family=FAMILY,
)
def age_inconsistent() -> pl.Expr:
    """Stated age more than one year away from every age the two dates allow.

    With exact dates this is IARC's age/dates check with a tolerance of one year (ages
    written as the year difference, or counted at admission, still pass).
    """
    age = pl.col("age_at_diagnosis")
    youngest, oldest = _age_bounds()
    return (age < youngest - AGE_TOLERANCE) | (age > oldest + AGE_TOLERANCE)


@rule(
    "DATE-DIAGNOSIS-TOO-OLD",
    Severity.WARNING,
    ("diagnosis_date",),
    en="Date of diagnosis is before 1900: probably a typing error",
    vi="Ngày chẩn đoán trước năm 1900: có thể nhập sai",
    family=FAMILY,
)
def diagnosis_too_old() -> pl.Expr:
    """Diagnosis year before 1900."""
    return pl.col("diagnosis_date").dt.year() < EARLIEST_DIAGNOSIS_YEAR
