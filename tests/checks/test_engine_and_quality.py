"""The engine's contract (one row per finding, confirmations, format rules) and the
data-quality indicators on a hand-made frame whose figures are worked out by hand."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from oncoreg.checks.engine import FINDING_COLUMNS, Severity, rules, run
from oncoreg.checks.quality import indicators


def _frame(**columns):
    base = {"facility_code": ["A", "A"], "report_id": ["1", "2"]}
    return pl.DataFrame(base | columns)


def test_every_rule_has_messages_in_both_languages_and_a_severity():
    table = rules()
    assert len(table) > 40
    for rule in table.values():
        assert rule.message_en and rule.message_vi and rule.fields
        assert isinstance(rule.severity, Severity)


def test_findings_shape_and_format_rules():
    frame = _frame(birth_date_invalid=[True, False], age_at_diagnosis_invalid=[False, True])
    found = run(frame, selected=["FMT-BIRTH-DATE", "FMT-AGE"])
    assert tuple(found.columns) == FINDING_COLUMNS
    assert found.select("report_id", "rule_id").rows() == [
        ("1", "FMT-BIRTH-DATE"),
        ("2", "FMT-AGE"),
    ]
    assert set(found["severity"]) == {"error"}


def test_confirmed_warnings_are_left_out():
    frame = _frame(basis=[None, None], diagnosis_date=[dt.date(2020, 1, 1)] * 2)
    found = run(frame, selected=["VAL-BASIS-MISSING"])
    assert found.height == 2
    confirmed = pl.DataFrame(
        {"facility_code": ["A"], "report_id": ["1"], "rule_id": ["VAL-BASIS-MISSING"]}
    )
    assert run(frame, selected=["VAL-BASIS-MISSING"], confirmed=confirmed)[
        "report_id"
    ].to_list() == ["2"]


def test_unknown_rule_id_is_a_key_error():
    with pytest.raises(KeyError):
        run(_frame(), selected=["NO-SUCH-RULE"])


def test_quality_indicators_by_hand():
    """Ten liver cases: 6 MV (5,6,7), 1 DCO, 1 clinical, 2 unknown basis, 1 unknown age,
    1 at C80.9; 4 deaths with liver as cause -> M:I 0.4."""
    frame = pl.DataFrame(
        {
            "site": ["liver"] * 10,
            "basis": ["7", "7", "7", "6", "5", "5", "0", "1", "9", None],
            "age": [60, 61, 62, 63, None, 65, 66, 67, 68, 69],
            "topography": ["C22.0"] * 9 + ["C80.9"],
            "sex": ["1"] * 10,
            "diagnosis_year": [2022] * 10,
            "death_year": [2022, 2022, 2022, 2022, None, None, None, None, None, None],
            "cause_site": ["liver"] * 4 + [None] * 6,
        }
    )
    row = indicators(frame, ["site"]).row(0, named=True)
    assert row == {
        "site": "liver",
        "cases": 10,
        "mv_pct": 60.0,
        "dco_pct": 10.0,
        "clinical_only_pct": 10.0,
        "unknown_basis_pct": 20.0,
        "unknown_age_pct": 10.0,
        "unknown_site_pct": 10.0,
        "deaths": 4,
        "m_i_ratio": 0.4,
    }
    overall = indicators(frame, []).row(0, named=True)
    assert overall["cases"] == 10 and overall["m_i_ratio"] == 0.4
