"""Drafting a mapping profile from a hospital file's header row and first rows."""

from __future__ import annotations

import tomllib

import polars as pl
import pytest

from oncoreg.errors import InputError
from oncoreg.export.xlsx import write_xlsx
from oncoreg.ingest.canonical import NAMES
from oncoreg.ingest.profiles import load_profile, parse_profile, shipped_profiles
from oncoreg.ingest.readers import match_headers, read_reports, suggest_profile
from tests.export.conftest import SAMPLE_ROWS, frame_of


@pytest.fixture
def reports() -> pl.DataFrame:
    return frame_of(SAMPLE_ROWS)


@pytest.mark.parametrize("name", shipped_profiles())
def test_a_shipped_profile_is_found_again_from_its_own_workbook(reports, tmp_path, name):
    profile = load_profile(name)
    path = tmp_path / f"{name}.xlsx"
    write_xlsx(reports, path, profile)
    text = suggest_profile(path)
    draft = tomllib.loads(text)
    assert list(draft["columns"].items()) == list(profile.columns)
    assert draft["sheet"] == profile.sheet
    assert draft["date_format"] == profile.dates.full
    suggested = parse_profile(draft, "draft")  # a valid profile as it stands
    assert set(draft.get("values", {})) == set(profile.values)  # the same coded fields
    assert read_reports(path, profile=suggested).frame.equals(
        read_reports(path, profile=profile).frame
    )


def test_english_headers_and_guessed_values(tmp_path):
    path = tmp_path / "Hospital Export 2024.csv"
    path.write_text(
        "MRN,Report no,Facility,Full name,Sex,DOB,Topo,Morpho,Surgery,Vital status,Ward\n"
        "A1,R1,BVX,Nguyen Van A,M,15/06/1960,C50.9,8500,Yes,alive,3\n"
        "A2,R2,BVX,Tran Thi B,F,31/12/1970,C18.7,8140,No,dead,4\n",
        encoding="utf-8",
    )
    draft = tomllib.loads(suggest_profile(path))
    assert draft["name"] == "hospital-export-2024"
    assert draft["columns"] == {
        "MRN": "patient_no",
        "Report no": "report_id",
        "Facility": "facility_code",
        "Full name": "full_name",
        "Sex": "sex",
        "DOB": "birth_date",
        "Topo": "topography",
        "Morpho": "morphology",
        "Surgery": "surgery",
        "Vital status": "vital_status",
    }
    assert draft["date_format"] == "%d/%m/%Y"
    assert draft["values"]["sex"] == {"M": "1", "F": "2"}
    assert draft["values"]["surgery"] == {"Yes": "1", "No": "0"}
    assert draft["values"]["vital_status"] == {"alive": "1", "dead": "2"}
    assert (draft["encoding"], draft["delimiter"]) == ("utf-8", ",")
    result = read_reports(path, profile=parse_profile(draft))
    assert result.frame["birth_date"].to_list() == ["1960-06-15", "1970-12-31"]
    assert result.frame["sex"].to_list() == ["1", "2"]


def test_unmatched_and_missing_columns_are_said_in_comments(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("Họ tên,Ghi chú,Giới\nA,x,Nữ\n", encoding="utf-8")
    text = suggest_profile(path)
    assert '# Headers not matched (not imported): "Ghi chú"' in text
    assert "# No column found for the required field report_id" in text
    assert "# No column found for the required field facility_code" in text
    assert tomllib.loads(text)["columns"] == {"Họ tên": "full_name", "Giới": "sex"}


def test_headers_with_and_without_diacritics_and_case(tmp_path):
    matched, unmatched = match_headers(
        ["HO VA TEN", "gioi tinh", "Ngày sinh (dd/mm/yyyy)", "MÃ ICD-O VỊ TRÍ", "ma bn", "PT", "pT"]
    )
    assert matched == [
        ("HO VA TEN", "full_name"),
        ("gioi tinh", "sex"),
        ("Ngày sinh (dd/mm/yyyy)", "birth_date"),
        ("MÃ ICD-O VỊ TRÍ", "topography"),
        ("ma bn", "patient_no"),
        ("PT", "surgery"),
        ("pT", "tnm_t"),
    ]
    assert unmatched == []
    assert match_headers(list(NAMES)) == ([(n, n) for n in NAMES], [])


def test_month_first_dates_and_a_windows_encoding(tmp_path):
    path = tmp_path / "a.csv"
    text = "So BC;Ma CSKCB;Ngay sinh;Gioi\n1;BV;12/31/1960;1\n2;BV;01/02/1961;0\n"
    # "Giới" as Windows Vietnamese writes it: ơ (0xF5) and a combining acute (0xEC)
    path.write_bytes(text.replace("Gioi", "Gi\u01a1\u0301i").encode("cp1258"))
    draft = tomllib.loads(suggest_profile(path))
    assert draft["columns"]["Giới"] == "sex"  # the header in NFC
    assert draft["date_format"] == "%m/%d/%Y"
    assert (draft["encoding"], draft["delimiter"]) == ("cp1258", ";")
    assert draft["values"]["sex"] == {"1": "1", "0": "2"}


def test_only_csv_and_excel(tmp_path, reports):
    path = tmp_path / "a.xml"
    path.write_text("<NaaccrData/>", encoding="utf-8")
    with pytest.raises(InputError, match="CSV or Excel"):
        suggest_profile(path)
