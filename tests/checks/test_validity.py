"""Validity rules (oncoreg.checks.validity), and properties of all IARC rule families.

Each rule gets reports that break it, reports that pass, and missing or malformed values;
the property tests run every rule of the validity, dates and consistency families on
random frames.
"""

from __future__ import annotations

import datetime
import unicodedata

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oncoreg.checks.engine import FINDING_COLUMNS, INPUT_COLUMNS, Severity, rules, run
from tests.checks.frames import flagged, reports

FAMILIES = ("validity", "dates", "consistency")

SEVERITIES = {
    "VAL-SEX": Severity.ERROR,
    "VAL-TOPOGRAPHY": Severity.ERROR,
    "VAL-MORPHOLOGY": Severity.ERROR,
    "VAL-BEHAVIOUR": Severity.ERROR,
    "VAL-GRADE": Severity.ERROR,
    "VAL-BASIS": Severity.ERROR,
    "VAL-BASIS-MISSING": Severity.WARNING,
    "VAL-DIAGNOSIS-DATE": Severity.ERROR,
    "VAL-AGE": Severity.ERROR,
    "VAL-MORPHOLOGY-OBSOLETE": Severity.WARNING,
    "VAL-MORPHOLOGY-UNLISTED": Severity.INFO,
    "DATE-BIRTH-AFTER-DIAGNOSIS": Severity.ERROR,
    "DATE-DIAGNOSIS-FUTURE": Severity.ERROR,
    "DATE-BIRTH-FUTURE": Severity.ERROR,
    "DATE-LAST-CONTACT-BEFORE-DIAGNOSIS": Severity.ERROR,
    "DATE-DEATH-BEFORE-DIAGNOSIS": Severity.ERROR,
    "DATE-DEATH-FUTURE": Severity.ERROR,
    "DATE-LAST-CONTACT-FUTURE": Severity.ERROR,
    "DATE-DEATH-NOT-LAST-CONTACT": Severity.WARNING,
    "DATE-DEATH-BUT-ALIVE": Severity.WARNING,
    "DATE-AGE-INCONSISTENT": Severity.ERROR,
    "DATE-DIAGNOSIS-TOO-OLD": Severity.WARNING,
    "CONS-SEX-SITE": Severity.ERROR,
    "CONS-SEX-HISTOLOGY": Severity.WARNING,
    "CONS-BEHAVIOUR-SITE": Severity.WARNING,
    "CONS-BEHAVIOUR-HISTOLOGY": Severity.ERROR,
    "CONS-GRADE-BEHAVIOUR": Severity.ERROR,
    "CONS-GRADE-HISTOLOGY": Severity.ERROR,
    "CONS-BASIS-HISTOLOGY": Severity.WARNING,
    "CONS-DCO": Severity.ERROR,
    "CONS-DCO-NOT-DEAD": Severity.WARNING,
}


def our_rules() -> dict:
    """The rules of the validity, dates and consistency modules (not other rule modules)."""
    modules = {f"oncoreg.checks.{family}" for family in FAMILIES}
    return {i: r for i, r in rules().items() if r.check.__module__ in modules}


def test_rule_ids_severities_and_families_are_as_specified():
    found = {i: r.severity for i, r in our_rules().items()}
    assert found == SEVERITIES
    for rule_id, item in our_rules().items():
        prefix = {"validity": "VAL", "dates": "DATE", "consistency": "CONS"}[item.family]
        assert rule_id.startswith(prefix + "-")
        assert item.check.__module__ == f"oncoreg.checks.{item.family}"


def test_messages_are_short_fixed_nfc_texts():
    for item in our_rules().values():
        for text in (item.message_en, item.message_vi):
            assert text and len(text) <= 100
            assert unicodedata.is_normalized("NFC", text)
            assert "{" not in text and "%" not in text
        assert item.message_en != item.message_vi
        assert set(item.fields) <= set(INPUT_COLUMNS)


def test_sex():
    frame = reports(sex=["1", "2", "9", "3", "M", None])
    assert flagged(frame, "VAL-SEX") == {"r3", "r4", "r5"}


def test_topography_must_be_a_subsite():
    frame = reports(topography=["C50.9", "C80.9", "C50", "C14.1", "C509", None])
    assert flagged(frame, "VAL-TOPOGRAPHY") == {"r2", "r3", "r4", "r5"}


def test_morphology_must_be_a_histology():
    frame = reports(morphology=["8500", "9989", "9999", "85003", "850", None])
    assert flagged(frame, "VAL-MORPHOLOGY") == {"r2", "r3", "r4", "r5"}


def test_behaviour():
    frame = reports(behaviour=["0", "1", "2", "3", "6", "9", "4", "/3", None])
    assert flagged(frame, "VAL-BEHAVIOUR") == {"r6", "r7", "r8"}


def test_grade_only_when_given():
    frame = reports(grade=["1", "4", "8", "9", None, "0", "10", "G2"])
    assert flagged(frame, "VAL-GRADE") == {"r5", "r6", "r7"}


def test_basis_codes_and_missing_basis():
    frame = reports(basis=["0", "1", "2", "4", "5", "6", "7", "9", "3", "8", None])
    assert flagged(frame, "VAL-BASIS") == {"r8", "r9"}
    assert flagged(frame, "VAL-BASIS-MISSING") == {"r10"}


def test_diagnosis_date_missing():
    frame = reports(
        diagnosis_date=[datetime.date(2020, 1, 1), datetime.date(2020, 1, 1), None],
        diagnosis_date_precision=["day", "year", "unknown"],
    )
    assert flagged(frame, "VAL-DIAGNOSIS-DATE") == {"r2"}


def test_age_range():
    frame = reports(age_at_diagnosis=[0, 55, 120, -1, 121, 999, None])
    assert flagged(frame, "VAL-AGE") == {"r3", "r4", "r5"}


def test_obsolete_morphology():
    frame = reports(
        morphology=["8042", "8120", "8120", "8500", "8042", "8042", "8000"],
        behaviour=["3", "1", "3", "3", "2", None, "3"],
    )
    # 8042/3 [obs] in ICD-O-3.2; 8120/1 only in ICD-O-3.1; 8042 has no current code at all
    assert flagged(frame, "VAL-MORPHOLOGY-OBSOLETE") == {"r0", "r1", "r4", "r5"}


def test_obsolete_morphology_needs_a_valid_histology():
    frame = reports(morphology=["9999", None], behaviour=["3", "3"])
    assert flagged(frame, "VAL-MORPHOLOGY-OBSOLETE") == set()


def test_unlisted_pair_is_information_only():
    frame = reports(
        morphology=["8500", "8500", "9680", "8140", "8500", "9999", None],
        behaviour=["3", "6", "0", "6", "4", "3", "3"],
    )
    # 8500/6 and 9680/0 are not listed; 8140/6 is; invalid codes are other rules' business
    assert flagged(frame, "VAL-MORPHOLOGY-UNLISTED") == {"r1", "r2"}


def test_a_complete_valid_report_passes_every_validity_rule():
    frame = reports(
        sex=["2"],
        topography=["C50.9"],
        morphology=["8500"],
        behaviour=["3"],
        grade=["2"],
        basis=["7"],
        diagnosis_date=[datetime.date(2020, 3, 1)],
        age_at_diagnosis=[54],
    )
    ids = [i for i in our_rules() if i.startswith("VAL-")]
    assert run(frame, selected=ids).is_empty()


# ---------------------------------------------------------------- properties, all families

CODES = {
    "sex": ["1", "2", "9", "0"],
    "topography": ["C50.9", "C53.9", "C61.9", "C44.5", "C71.0", "C80.9", "C50", "C14.1"],
    "morphology": ["8000", "8500", "8720", "9084", "9714", "9680", "8042", "8380", "0000"],
    "behaviour": ["0", "1", "2", "3", "6", "9", "5"],
    "grade": [str(g) for g in range(10)],
    "basis": [str(b) for b in range(10)],
    "vital_status": ["1", "2", "9"],
    "birth_date_precision": ["day", "month", "year", "unknown", "invalid"],
    "diagnosis_date_precision": ["day", "month", "year", "unknown", "invalid"],
}


def _value(name: str, dtype: pl.DataType) -> st.SearchStrategy:
    if dtype == pl.Date():
        return st.none() | st.dates(datetime.date(1000, 1, 1), datetime.date(2999, 12, 31))
    if dtype == pl.Int64():
        return st.none() | st.integers(-(2**62), 2**62) | st.integers(-5, 130)
    if dtype == pl.Boolean():
        return st.none() | st.booleans()
    if dtype == pl.String():
        return st.none() | st.text(max_size=6) | st.sampled_from(CODES.get(name, ["x"]))
    return st.none()


ROW = st.fixed_dictionaries(
    {n: _value(n, t) for n, t in INPUT_COLUMNS.items() if n not in ("report_id",)}
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ROW, min_size=1, max_size=12))
def test_random_frames_never_raise_and_findings_match_their_rules(rows):
    frame = pl.DataFrame(
        [{**row, "report_id": f"r{i}"} for i, row in enumerate(rows)], schema=INPUT_COLUMNS
    )
    table = our_rules()
    found = run(frame, selected=sorted(table))
    assert tuple(found.columns) == FINDING_COLUMNS
    assert found.select("report_id", "rule_id").is_unique().all()
    assert set(found["report_id"]) <= set(frame["report_id"])
    for finding in found.iter_rows(named=True):
        item = table[finding["rule_id"]]
        assert finding["severity"] == item.severity.value
        assert finding["field"] == ",".join(item.fields)
        assert (finding["message_en"], finding["message_vi"]) == (item.message_en, item.message_vi)


@settings(max_examples=30, deadline=None)
@given(st.lists(ROW, min_size=1, max_size=6))
def test_each_rule_alone_finds_what_it_finds_among_all(rows):
    frame = pl.DataFrame(
        [{**row, "report_id": f"r{i}"} for i, row in enumerate(rows)], schema=INPUT_COLUMNS
    )
    together = run(frame, selected=sorted(our_rules()))
    for rule_id in ("VAL-SEX", "DATE-AGE-INCONSISTENT", "CONS-GRADE-HISTOLOGY"):
        alone = run(frame, selected=[rule_id])
        assert alone.equals(together.filter(pl.col("rule_id") == rule_id))


@pytest.mark.parametrize("rule_id", sorted(SEVERITIES))
def test_every_rule_passes_an_all_null_report(rule_id):
    frame = pl.DataFrame({"report_id": ["r0"]})
    required = {
        "VAL-SEX",
        "VAL-TOPOGRAPHY",
        "VAL-MORPHOLOGY",
        "VAL-BEHAVIOUR",
        "VAL-BASIS-MISSING",
        "VAL-DIAGNOSIS-DATE",
    }
    assert flagged(frame, rule_id) == ({"r0"} if rule_id in required else set())
