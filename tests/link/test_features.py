"""The Vietnamese-aware linkage columns, worked out by hand."""

from __future__ import annotations

from datetime import date

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from oncoreg.link.features import SOURCE_COLUMNS, linkage_frame, marked_key


def _sources(**overrides) -> pl.DataFrame:
    row = {c: None for c in SOURCE_COLUMNS} | {"id": 1} | overrides
    schema = {c: pl.String for c in SOURCE_COLUMNS} | {
        "id": pl.Int64,
        "age_at_diagnosis": pl.Int64,
        "birth_date": pl.Date,
        "diagnosis_date": pl.Date,
    }
    return pl.DataFrame([row], schema=schema)


def test_names_fold_and_keep_their_marks_apart():
    a = linkage_frame(_sources(family_name="NGUYỄN", middle_name="Văn", given_name="Hùng")).row(
        0, named=True
    )
    b = linkage_frame(_sources(family_name="Nguyen", middle_name="Van", given_name="Hung")).row(
        0, named=True
    )
    c = linkage_frame(_sources(family_name="Nguyễn", middle_name="Văn", given_name="Hưng")).row(
        0, named=True
    )
    assert a["name"] == b["name"] == c["name"] == "nguyen van hung"
    assert a["has_marks"] and c["has_marks"] and not b["has_marks"]
    assert a["given_marked"] != c["given_marked"]  # Hùng is not Hưng
    assert a["family_given"] == "nguyen hung"


def test_reordered_and_merged_names_share_keys():
    a = linkage_frame(_sources(family_name="Trần", middle_name="Thị", given_name="Lan")).row(
        0, named=True
    )
    b = linkage_frame(_sources(family_name="Lan", middle_name="Trần", given_name="Thị")).row(
        0, named=True
    )
    c = linkage_frame(_sources(family_name="Trần", given_name="ThịLan")).row(0, named=True)
    assert a["name_sorted"] == b["name_sorted"]
    assert a["name_joined"] == c["name_joined"] == "tranthilan"


def test_old_and_new_tone_placement_are_one_name():
    assert marked_key("Hòa") == marked_key("Hoà")
    assert marked_key("THỦY") == marked_key("thuỷ")


def test_birth_by_precision_and_from_age():
    day = linkage_frame(_sources(birth_date=date(1960, 3, 4), birth_date_precision="day")).row(
        0, named=True
    )
    assert (day["dob"], day["dob_y"], day["dob_m"], day["dob_d"]) == ("1960-03-04", 1960, 3, 4)
    year = linkage_frame(_sources(birth_date=date(1960, 1, 1), birth_date_precision="year")).row(
        0, named=True
    )
    assert (year["dob"], year["dob_y"], year["dob_m"]) == (None, 1960, None)  # not 1 January
    aged = linkage_frame(_sources(age_at_diagnosis=60, diagnosis_date=date(2021, 5, 1))).row(
        0, named=True
    )
    assert (aged["dob_y"], aged["birth_year"]) == (None, 1961)
    assert (aged["birth_band"], aged["birth_band_odd"]) == (980, 981)


def test_death_certificate_only_reports_are_flagged():
    assert linkage_frame(_sources(basis="0")).row(0, named=True)["dco"]
    assert not linkage_frame(_sources(basis="7")).row(0, named=True)["dco"]
    assert not linkage_frame(_sources()).row(0, named=True)["dco"]


def test_phone_identifiers_and_identified():
    row = linkage_frame(
        _sources(phone="+84 912-345-678", national_id_hash="h1:abc", province_code="01")
    ).row(0, named=True)
    assert row["phone"] == "912345678" and row["nid"] == "h1:abc" and row["identified"]
    assert not linkage_frame(_sources(phone="0912345678")).row(0, named=True)["identified"]
    assert linkage_frame(_sources(sex="9")).row(0, named=True)["sex"] is None


@given(st.text(alphabet="aăâbdđeêghiklmnoôơpqrstuưvxyàáảãạằắẳẵặầấẩẫậèéẻẽẹ ", max_size=30))
def test_folded_names_are_plain_ascii(name):
    row = linkage_frame(_sources(given_name=name or None)).row(0, named=True)
    assert row["given"] is None or row["given"].isascii()
