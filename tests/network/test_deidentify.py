"""De-identification of research extracts (oncoreg.network.deidentify): no identifying
column or exact date can leave, ages in 5-year groups, per-extract pseudonyms."""

from __future__ import annotations

import re
from datetime import date

import polars as pl
import pytest

from oncoreg.codes.provinces import provinces
from oncoreg.errors import InputError
from oncoreg.network.deidentify import (
    BASE_COLUMNS,
    NEVER,
    SELECTABLE,
    VARIABLES,
    build_frame,
    check_variables,
    province_regions,
    pseudonym,
    quasi_identifiers,
    region_names,
)

KEY = b"k" * 32
OTHER_KEY = b"o" * 32
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _row(**values) -> dict:
    row = {
        "tumour_id": 101,
        "sex": "2",
        "birth_date": date(1960, 5, 1),
        "birth_date_precision": "day",
        "reported_age": None,
        "province_code": "79",
        "diagnosis_date": date(2020, 4, 30),
        "diagnosis_date_precision": "day",
        "topography": "C50.9",
        "morphology": "8500/3",
        "grade": "2",
        "basis": "7",
        "stage": "II",
        "icd10": "C50.9",
        "surgery": "1",
        "radiotherapy": "0",
        "chemotherapy": None,
        "death_date": None,
        "last_seen": date(2022, 4, 30),
        "dead": False,
    }
    return row | values


def _base(*rows: dict) -> pl.DataFrame:
    schema = {c: pl.Date if c in ("birth_date", "diagnosis_date") else None for c in BASE_COLUMNS}
    frame = pl.DataFrame(list(rows))
    return frame.with_columns(
        pl.col(c).cast(pl.Date) for c, kind in schema.items() if kind is pl.Date
    ).with_columns(pl.col("death_date", "last_seen").cast(pl.Date))


def test_no_identifying_column_or_exact_date_can_leave():
    rows = [_row(tumour_id=i, death_date=date(2021, 1, 2), dead=True) for i in range(1, 6)]
    frame = build_frame(_base(*rows), list(SELECTABLE), KEY).drop("__site_group")
    assert set(frame.columns) == {"record_id", *SELECTABLE}
    assert not set(frame.columns) & set(NEVER)
    assert all(dtype not in (pl.Date, pl.Datetime) for dtype in frame.dtypes)
    for column in frame.columns:
        values = [str(v) for v in frame[column].drop_nulls().to_list()]
        assert not any(ISO_DATE.search(v) for v in values), column
    assert set(frame["record_id"]).isdisjoint({str(i) for i in range(1, 6)})


@pytest.mark.parametrize("name", ["family_name", "national_id", "address", "phone", "birth_date"])
def test_asking_for_an_identifying_variable_is_refused_by_name(name):
    with pytest.raises(InputError, match=name):
        check_variables(["sex", name])


def test_birth_year_and_unknown_names_are_refused():
    with pytest.raises(InputError, match="birth_year.*never"):
        check_variables(["birth_year"])
    with pytest.raises(InputError, match="'weight' is not an extract variable"):
        check_variables(["weight"])
    with pytest.raises(InputError, match="at least one"):
        check_variables([])


def test_variables_come_back_in_catalogue_order_without_repeats():
    assert check_variables(["stage", "sex", "stage"]) == ["sex", "stage"]
    assert quasi_identifiers(["sex", "stage", "age_group"]) == ["sex", "age_group"]


@pytest.mark.parametrize(
    ("birth", "precision", "reported", "expected"),
    [
        (date(1960, 5, 1), "day", None, "55-59"),  # a day short of 60
        (date(1960, 4, 30), "day", None, "60-64"),
        (date(1930, 1, 1), "day", None, "85+"),
        (date(2018, 1, 1), "day", None, "0-4"),
        (None, "unknown", 47, "45-49"),  # the age the hospitals reported
        (date(1960, 1, 1), "year", None, "60-64"),  # year only: by calendar years
        (None, "unknown", None, None),
    ],
)
def test_ages_are_5_year_groups(birth, precision, reported, expected):
    row = _row(birth_date=birth, birth_date_precision=precision, reported_age=reported)
    frame = build_frame(_base(row), ["age_group"], KEY)
    assert frame["age_group"].to_list() == [expected]


def test_pseudonyms_differ_between_extracts_and_hold_within_one():
    base = _base(*[_row(tumour_id=i) for i in range(1, 21)])
    first = set(build_frame(base, ["sex"], KEY)["record_id"])
    again = set(build_frame(base, ["sex"], KEY)["record_id"])
    other = set(build_frame(base, ["sex"], OTHER_KEY)["record_id"])
    assert first == again
    assert first.isdisjoint(other)
    assert all(re.fullmatch(r"[0-9a-f]{16}", p) for p in first)
    assert pseudonym(KEY, 1) != pseudonym(OTHER_KEY, 1)
    with pytest.raises(InputError):
        build_frame(base, ["sex"], b"short")


def test_rows_are_ordered_by_pseudonym_not_by_registration():
    base = _base(*[_row(tumour_id=i) for i in range(1, 31)])
    ids = build_frame(base, ["sex"], KEY)["record_id"].to_list()
    assert ids == sorted(ids)


def test_dates_are_reduced_to_month_year_and_durations():
    row = _row(death_date=date(2021, 4, 30), dead=True, last_seen=date(2021, 4, 30))
    frame = build_frame(_base(row), list(SELECTABLE), KEY).row(0, named=True)
    assert frame["diagnosis_year"] == "2020"
    assert frame["diagnosis_month"] == "2020-04"
    assert frame["death_year"] == "2021"
    assert frame["survival_days"] == 365
    assert frame["vital_status"] == "2"
    assert (frame["surgery"], frame["radiotherapy"], frame["chemotherapy"]) == ("yes", "no", None)
    assert (frame["province"], frame["region"]) == ("79", "SE")
    assert (frame["site_category"], frame["site_group"], frame["behaviour"]) == (
        "C50",
        "breast",
        "3",
    )


def test_a_year_only_diagnosis_has_no_month_and_a_dateless_death_no_survival():
    row = _row(diagnosis_date_precision="year", dead=True, death_date=None)
    frame = build_frame(_base(row), ["diagnosis_month", "diagnosis_year", "survival_days"], KEY)
    assert frame.row(0, named=True) | {"record_id": None} == {
        "record_id": None,
        "diagnosis_month": None,
        "diagnosis_year": "2020",
        "survival_days": None,
        "__site_group": "breast",
    }


def test_alive_when_seen_after_diagnosis_else_unknown():
    rows = [_row(tumour_id=1), _row(tumour_id=2, last_seen=None)]
    frame = build_frame(_base(*rows), ["vital_status", "survival_days"], KEY)
    assert sorted(frame["vital_status"].to_list()) == ["1", "9"]
    assert sorted(frame["survival_days"].to_list(), key=str) == [730, None]


def test_every_2025_province_has_one_of_the_six_regions():
    regions = province_regions()
    assert set(regions) == {p.code for p in provinces("2025")}
    assert set(regions.values()) == set(region_names()) == {"NMM", "RRD", "NCC", "CH", "SE", "MRD"}
    assert regions["01"] == "RRD" and regions["79"] == "SE" and regions["92"] == "MRD"


def test_the_catalogue_describes_every_variable():
    for variable in VARIABLES.values():
        assert variable.description and variable.derivation and variable.values
        assert variable.type in ("string", "integer")
    assert not VARIABLES["record_id"].quasi_identifier
    assert VARIABLES["province"].quasi_identifier
