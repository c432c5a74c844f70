"""Date rules (oncoreg.checks.dates): order of the dates, the future, the stated age.

"Today" is fixed at 15 June 2024 through ``oncoreg.checks.dates.today``. Partial dates are
written as the first day of their period with their precision, as the importer stores them.
"""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oncoreg.checks import dates
from oncoreg.checks.engine import run
from tests.checks.frames import flagged, reports

D = datetime.date
TODAY = D(2024, 6, 15)
REAL_TODAY = dates.today
DATE_RULES = (
    "DATE-BIRTH-AFTER-DIAGNOSIS",
    "DATE-DIAGNOSIS-FUTURE",
    "DATE-BIRTH-FUTURE",
    "DATE-LAST-CONTACT-BEFORE-DIAGNOSIS",
    "DATE-DEATH-BEFORE-DIAGNOSIS",
    "DATE-DEATH-FUTURE",
    "DATE-LAST-CONTACT-FUTURE",
    "DATE-DEATH-NOT-LAST-CONTACT",
    "DATE-DEATH-BUT-ALIVE",
    "DATE-AGE-INCONSISTENT",
    "DATE-DIAGNOSIS-TOO-OLD",
)


@pytest.fixture(autouse=True)
def _fixed_today(monkeypatch):
    monkeypatch.setattr(dates, "today", lambda: TODAY)


def test_today_is_the_real_date_unless_patched():
    assert REAL_TODAY() == datetime.date.today()
    assert dates.today() == TODAY


def test_birth_after_diagnosis_at_day_precision():
    frame = reports(
        birth_date=[D(2020, 5, 2), D(2020, 5, 1), D(1950, 1, 1), None, D(2020, 5, 2)],
        diagnosis_date=[D(2020, 5, 1), D(2020, 5, 1), D(2020, 5, 1), D(2020, 5, 1), None],
    )
    assert flagged(frame, "DATE-BIRTH-AFTER-DIAGNOSIS") == {"r0"}


def test_birth_after_diagnosis_with_partial_dates():
    frame = reports(
        # r0: born "2020", diagnosed 1 Mar 2020 -> same year, not after
        # r1: born "2021", diagnosed 31 Dec 2020 -> after
        # r2: born "May 2020", diagnosed 1 May 2020 -> same month, not after
        # r3: born "June 2020", diagnosed 31 May 2020 -> after
        # r4: born 1 Jul 2020, diagnosed "2020" -> same year, not after
        # r5: born 1 Jul 2020, diagnosed "June 2020" -> after
        # r6, r7: a precision of unknown / invalid -> no usable date
        birth_date=[
            D(2020, 1, 1),
            D(2021, 1, 1),
            D(2020, 5, 1),
            D(2020, 6, 1),
            D(2020, 7, 1),
            D(2020, 7, 1),
            D(2021, 1, 1),
            D(2021, 1, 1),
        ],
        birth_date_precision=["year", "year", "month", "month", "day", "day", "unknown", "invalid"],
        diagnosis_date=[
            D(2020, 3, 1),
            D(2020, 12, 31),
            D(2020, 5, 1),
            D(2020, 5, 31),
            D(2020, 1, 1),
            D(2020, 6, 1),
            D(2020, 1, 1),
            D(2020, 1, 1),
        ],
        diagnosis_date_precision=["day", "day", "day", "day", "year", "month", "day", "day"],
    )
    assert flagged(frame, "DATE-BIRTH-AFTER-DIAGNOSIS") == {"r1", "r3", "r5"}


@pytest.mark.parametrize(
    ("rule_id", "column", "precision"),
    [
        ("DATE-DIAGNOSIS-FUTURE", "diagnosis_date", "diagnosis_date_precision"),
        ("DATE-BIRTH-FUTURE", "birth_date", "birth_date_precision"),
    ],
)
def test_partial_dates_in_the_future(rule_id, column, precision):
    frame = reports(
        **{
            column: [
                D(2024, 6, 16),
                D(2024, 6, 15),
                D(2024, 1, 1),
                D(2025, 1, 1),
                D(2024, 6, 1),
                D(2024, 7, 1),
                D(2030, 1, 1),
                None,
            ],
            precision: ["day", "day", "year", "year", "month", "month", "unknown", None],
        }
    )
    assert flagged(frame, rule_id) == {"r0", "r3", "r5"}


@pytest.mark.parametrize(
    ("rule_id", "column"),
    [("DATE-DEATH-FUTURE", "death_date"), ("DATE-LAST-CONTACT-FUTURE", "last_contact_date")],
)
def test_follow_up_dates_in_the_future(rule_id, column):
    frame = reports(**{column: [D(2024, 6, 16), D(2024, 6, 15), D(1999, 1, 1), None]})
    assert flagged(frame, rule_id) == {"r0"}


@pytest.mark.parametrize(
    ("rule_id", "column"),
    [
        ("DATE-LAST-CONTACT-BEFORE-DIAGNOSIS", "last_contact_date"),
        ("DATE-DEATH-BEFORE-DIAGNOSIS", "death_date"),
    ],
)
def test_follow_up_before_diagnosis(rule_id, column):
    frame = reports(
        # r0 a day before; r1 same day; r2 later; r3 diagnosis "2020" and an event in March
        # 2020; r4 diagnosis "May 2020" and an event on 3 May; r5 event in April: before
        diagnosis_date=[
            D(2020, 1, 2),
            D(2020, 1, 2),
            D(2020, 1, 2),
            D(2020, 1, 1),
            D(2020, 5, 1),
            D(2020, 5, 1),
            None,
            D(2020, 1, 2),
        ],
        diagnosis_date_precision=["day", "day", "day", "year", "month", "month", None, "day"],
        **{
            column: [
                D(2020, 1, 1),
                D(2020, 1, 2),
                D(2021, 1, 1),
                D(2020, 3, 1),
                D(2020, 5, 3),
                D(2020, 4, 30),
                D(2020, 1, 1),
                None,
            ]
        },
    )
    assert flagged(frame, rule_id) == {"r0", "r5"}


def test_death_must_be_the_last_contact_of_a_dead_patient():
    frame = reports(
        vital_status=["2", "2", "1", "2", "2", None, "9"],
        death_date=[D(2021, 3, 1)] * 4 + [None] + [D(2021, 3, 1)] * 2,
        last_contact_date=[D(2021, 2, 1), D(2021, 3, 1), D(2021, 2, 1), None] + [D(2021, 2, 1)] * 3,
    )
    assert flagged(frame, "DATE-DEATH-NOT-LAST-CONTACT") == {"r0"}


def test_death_date_of_a_living_patient():
    frame = reports(
        vital_status=["1", "1", "2", None, "9"],
        death_date=[D(2021, 3, 1), None, D(2021, 3, 1), D(2021, 3, 1), D(2021, 3, 1)],
    )
    assert flagged(frame, "DATE-DEATH-BUT-ALIVE") == {"r0"}


def test_stated_age_against_exact_dates():
    # born 15 Jun 1950, diagnosed 14 Jun 2020: 69 completed years; one year of tolerance
    ages = [69, 70, 68, 71, 67, None]
    frame = reports(
        birth_date=[D(1950, 6, 15)] * 6,
        diagnosis_date=[D(2020, 6, 14)] * 6,
        age_at_diagnosis=ages,
    )
    assert flagged(frame, "DATE-AGE-INCONSISTENT") == {"r3", "r4"}


def test_stated_age_against_a_year_only_birth():
    # born "1950", diagnosed 14 Jun 2020: 69 or 70, so 68-71 pass with the tolerance
    frame = reports(
        birth_date=[D(1950, 1, 1)] * 6,
        birth_date_precision=["year"] * 6,
        diagnosis_date=[D(2020, 6, 14)] * 6,
        age_at_diagnosis=[68, 69, 70, 71, 72, 67],
    )
    assert flagged(frame, "DATE-AGE-INCONSISTENT") == {"r4", "r5"}


def test_stated_age_is_not_checked_without_usable_dates():
    frame = reports(
        birth_date=[D(1950, 1, 1), None, D(1950, 1, 1)],
        birth_date_precision=["unknown", None, "invalid"],
        diagnosis_date=[D(2020, 6, 14)] * 3,
        age_at_diagnosis=[10, 10, 10],
    )
    assert flagged(frame, "DATE-AGE-INCONSISTENT") == set()


def test_diagnosis_before_1900():
    frame = reports(
        diagnosis_date=[D(1899, 12, 31), D(1900, 1, 1), D(1805, 1, 1), None],
        diagnosis_date_precision=["day", "day", "year", None],
    )
    assert flagged(frame, "DATE-DIAGNOSIS-TOO-OLD") == {"r0", "r2"}


def test_a_consistent_follow_up_passes_every_date_rule():
    frame = reports(
        birth_date=[D(1950, 1, 1)],
        birth_date_precision=["year"],
        diagnosis_date=[D(2020, 6, 14)],
        diagnosis_date_precision=["day"],
        age_at_diagnosis=[70],
        vital_status=["2"],
        last_contact_date=[D(2022, 2, 1)],
        death_date=[D(2022, 2, 1)],
    )
    assert run(frame, selected=list(DATE_RULES)).is_empty()


# ------------------------------------------------ properties against a plain-Python oracle

PRECISIONS = st.sampled_from(["day", "month", "year"])
DATES = st.dates(D(1880, 1, 1), D(2030, 12, 31))


def _truncate(value: datetime.date, precision: str) -> tuple[int, ...]:
    parts = (value.year, value.month, value.day)
    return parts[: {"year": 1, "month": 2, "day": 3}[precision]]


def _coarser(a: str, b: str) -> str:
    order = ["year", "month", "day"]
    return order[min(order.index(a), order.index(b))]


def _stored(value: datetime.date, precision: str) -> datetime.date:
    """The date as the importer stores it: the first day of its period."""
    if precision == "year":
        return value.replace(month=1, day=1)
    return value.replace(day=1) if precision == "month" else value


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(DATES, PRECISIONS, DATES, PRECISIONS), min_size=1, max_size=30))
def test_birth_after_diagnosis_agrees_with_comparison_at_the_coarser_precision(cases):
    births = [_stored(b, bp) for b, bp, _, _ in cases]
    diagnoses = [_stored(d, dp) for _, _, d, dp in cases]
    frame = reports(
        birth_date=births,
        birth_date_precision=[bp for _, bp, _, _ in cases],
        diagnosis_date=diagnoses,
        diagnosis_date_precision=[dp for _, _, _, dp in cases],
    )
    expected = set()
    for i, ((_, bp, _, dp), b, d) in enumerate(zip(cases, births, diagnoses, strict=True)):
        level = _coarser(bp, dp)
        if _truncate(b, level) > _truncate(d, level):
            expected.add(f"r{i}")
    assert flagged(frame, "DATE-BIRTH-AFTER-DIAGNOSIS") == expected


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(DATES, DATES, st.integers(-2, 160)), min_size=1, max_size=30))
def test_age_check_agrees_with_completed_years_at_day_precision(cases):
    frame = reports(
        birth_date=[b for b, _, _ in cases],
        diagnosis_date=[d for _, d, _ in cases],
        age_at_diagnosis=[a for _, _, a in cases],
    )
    expected = set()
    for i, (b, d, age) in enumerate(cases):
        completed = d.year - b.year - ((d.month, d.day) < (b.month, b.day))
        if abs(age - completed) > 1:
            expected.add(f"r{i}")
    assert flagged(frame, "DATE-AGE-INCONSISTENT") == expected
