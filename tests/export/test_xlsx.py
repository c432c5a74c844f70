"""Hospital workbooks through mapping profiles: round trip, text cells, stable bytes,
and profiles that are refused with the file and key named."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from oncoreg.errors import InputError
from oncoreg.export.xlsx import write_xlsx
from oncoreg.ingest.canonical import NAMES
from oncoreg.ingest.profiles import load_profile, parse_profile, shipped_profiles

from .conftest import SAMPLE_ROWS

NAME_PARTS = {"family_name", "middle_name", "given_name"}
NOT_IN_PROFILE = {  # canonical fields each shipped profile has no column for (documented)
    "bv-k": NAME_PARTS,
    "bv-ung-buou-hn": {"full_name"},
    "bv-tinh": NAME_PARTS
    | {"tnm_t", "tnm_n", "tnm_m", "summary_stage", "systemic_other", "cause_of_death"},
}
# The names as each kind of profile must give them back (fitted from the other form).
FULL_NAMES = {"R-003": "Trần Văn Hùng"}
SPLIT_NAMES = {
    "R-001": ("Nguyễn", "Thị", "Lan"),
    "R-002": ("Nguyễn", "Thị", "Lan"),
    "9": ("Lê", "Thị", "Mai"),
    "BC/2021/000123": ("Phạm", "Văn", "Đức"),
}


def read_back(path: Path, name: str) -> list[dict[str, str | None]]:
    """Read a written workbook and map it back to canonical rows with the profile."""
    profile = load_profile(name)
    sheet = pl.read_excel(path, sheet_name=profile.sheet, engine="calamine", infer_schema_length=0)
    assert sheet.columns == profile.headers
    return [
        {
            target: profile.to_canonical_value(target, row[header])
            for header, target in profile.columns
        }
        for row in sheet.iter_rows(named=True)
    ]


def expected_row(row: dict[str, str], name: str) -> dict[str, str | None]:
    fields = set(NAMES) - NOT_IN_PROFILE[name]
    expected = {field: row.get(field) for field in fields}
    if "full_name" in fields and row["report_id"] in FULL_NAMES:
        expected["full_name"] = FULL_NAMES[row["report_id"]]
    if "family_name" in fields and row["report_id"] in SPLIT_NAMES:
        family, middle, given = SPLIT_NAMES[row["report_id"]]
        expected |= {"family_name": family, "middle_name": middle, "given_name": given}
    return expected


def test_shipped_profiles_cover_the_canonical_fields():
    assert shipped_profiles() == ["bv-k", "bv-tinh", "bv-ung-buou-hn"]
    for name in shipped_profiles():
        profile = load_profile(name)
        assert profile.name == name
        assert set(NAMES) - set(profile.fields) == NOT_IN_PROFILE[name]


@pytest.mark.parametrize("name", ["bv-k", "bv-tinh", "bv-ung-buou-hn"])
def test_round_trip_through_each_shipped_profile(reports, tmp_path, name):
    path = tmp_path / f"{name}.xlsx"
    assert write_xlsx(reports, path, load_profile(name)) == len(SAMPLE_ROWS)
    back = read_back(path, name)
    assert back == [expected_row(row, name) for row in SAMPLE_ROWS]


@pytest.mark.parametrize("name", ["bv-k", "bv-tinh", "bv-ung-buou-hn"])
def test_cells_are_text_in_the_hospital_codes(reports, tmp_path, name):
    profile = load_profile(name)
    path = tmp_path / "out.xlsx"
    write_xlsx(reports, path, profile)
    sheet = openpyxl.load_workbook(path)[profile.sheet]
    rows = list(sheet.iter_rows(values_only=False))
    assert [cell.value for cell in rows[0]] == profile.headers
    written = [cell for row in rows for cell in row if cell.value is not None]
    assert all(cell.data_type == "s" and cell.number_format == "@" for cell in written)
    first = {header: cell.value for header, cell in zip(profile.headers, rows[1], strict=True)}
    assert first[profile.header_for("patient_no")] == "0012345"  # leading zeros kept
    assert first[profile.header_for("province_code")] == "01"
    assert first[profile.header_for("sex")] == profile.to_hospital_value("sex", "2")
    assert first[profile.header_for("birth_date")] == profile.to_hospital_value(
        "birth_date", "1965-03"
    )
    third = {header: cell.value for header, cell in zip(profile.headers, rows[3], strict=True)}
    assert third[profile.header_for("address")] == '=HYPERLINK("x")'  # text, not a formula


def test_dates_are_written_the_hospital_way(reports, tmp_path):
    written = {}
    for name in ("bv-k", "bv-ung-buou-hn", "bv-tinh"):
        profile = load_profile(name)
        sheet = pl.read_excel(
            _write(reports, tmp_path / f"{name}.xlsx", profile),
            sheet_name=profile.sheet,
            infer_schema_length=0,
        )
        written[name] = sheet.get_column(profile.header_for("diagnosis_date")).to_list()
    assert written["bv-k"] == ["15/06/2020", "11/2022", "2021", "20/01/2019", "09/2021"]
    assert written["bv-ung-buou-hn"] == ["2020-06-15", "2022-11", "2021", "2019-01-20", "2021-09"]
    assert written["bv-tinh"] == ["15-06-2020", "11-2022", "2021", "20-01-2019", "09-2021"]


def _write(reports: pl.DataFrame, path: Path, profile) -> Path:
    write_xlsx(reports, path, profile)
    return path


def test_same_frame_gives_the_same_bytes(reports, tmp_path):
    profile = load_profile("bv-k")
    write_xlsx(reports, tmp_path / "a.xlsx", profile)
    write_xlsx(reports, tmp_path / "b.xlsx", profile)
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()


# --- profile helpers ------------------------------------------------------------------


def test_values_map_both_ways_with_folded_reading():
    profile = load_profile("bv-k")
    assert profile.to_hospital_value("sex", "2") == "Nữ"
    assert profile.to_hospital_value("vital_status", "2") == "Tử vong"  # first listed wins
    for typed in ("Nữ", "nữ", "NU", " Nu "):
        assert profile.to_canonical_value("sex", typed.strip()) == "2"
    assert profile.to_canonical_value("vital_status", "Đã mất") == "2"
    assert profile.to_canonical_value("sex", "x") == "x"  # unlisted values pass through
    assert profile.to_hospital_value("topography", "C50.9") == "C50.9"
    assert profile.to_canonical_value("sex", "  ") is None
    assert profile.to_hospital_value("sex", None) is None


@pytest.mark.parametrize(
    ("date_format", "iso", "written"),
    [
        ("%d/%m/%Y", "2020-03-05", "05/03/2020"),
        ("%d/%m/%Y", "2020-03", "03/2020"),
        ("%d/%m/%Y", "2020", "2020"),
        ("%Y-%m-%d", "2020-03", "2020-03"),
        ("%m/%d/%Y", "2020-03-05", "03/05/2020"),
        ("%m/%d/%Y", "2020-03", "03/2020"),
        ("%d.%m.%Y", "2020-12", "12.2020"),
    ],
)
def test_dates_keep_their_precision(date_format, iso, written):
    profile = parse_profile(_minimal(date_format=date_format))
    assert profile.to_hospital_value("diagnosis_date", iso) == written
    assert profile.to_canonical_value("diagnosis_date", written) == iso


def test_date_reading_accepts_unpadded_and_passes_bad_dates_through():
    profile = load_profile("bv-k")
    assert profile.to_canonical_value("birth_date", "5/3/1960") == "1960-03-05"
    assert profile.to_canonical_value("birth_date", "31/02/1960") == "31/02/1960"
    assert profile.to_canonical_value("birth_date", "không rõ") == "không rõ"


def _minimal(**extra: object) -> dict[str, object]:
    return {
        "name": "test",
        "columns": {"Số BC": "report_id", "Mã CS": "facility_code", "Ngày CĐ": "diagnosis_date"},
    } | extra


# --- bad profiles ---------------------------------------------------------------------


BAD_PROFILES = [
    ('"Giới tính" = "gender"', "columns.Giới tính", "unknown canonical field"),
    ('"Mã phiếu" = "report_id"', "columns.Mã phiếu", "duplicate target"),
    ('"SO BC" = "phone"', "columns.SO BC", "but for case or diacritics"),
]


@pytest.mark.parametrize(("line", "key", "message"), BAD_PROFILES)
def test_bad_columns_name_the_file_and_key(tmp_path, line, key, message):
    path = _profile_file(tmp_path, columns_extra=line)
    with pytest.raises(InputError) as error:
        load_profile(path)
    assert (str(path), key) in {(p.file, p.field) for p in error.value.problems}
    assert message in str(error.value) and str(path) in str(error.value)


@pytest.mark.parametrize(
    ("top", "values", "key"),
    [
        ('date_format = "%d/%m/%y"', "", "date_format"),
        ('date_format = "%d%m%Y"\nmonth_format = "%Y"', "", "month_format"),
        ('sheet = "Ca/benh"', "", "sheet"),
        ('encoding = "utf-99"', "", "encoding"),
        ('date_fromat = "%d/%m/%Y"', "", "date_fromat"),
        ("", '[values.gender]\n"Nam" = "1"', "values.gender"),
        ("", '[values.address]\n"x" = "1"', "values.address"),
        ("", '[values.sex]\n"Nữ" = "2"\n"Nu" = "1"', "values.sex"),
        ("", '[values.sex]\n"Nam" = 1', "values.sex"),
    ],
)
def test_bad_settings_and_values_name_the_file_and_key(tmp_path, top, values, key):
    path = _profile_file(tmp_path, top=top, values=values)
    with pytest.raises(InputError) as error:
        load_profile(path)
    assert (str(path), key) in {(p.file, p.field) for p in error.value.problems}


def test_missing_name_broken_toml_and_unknown_profile(tmp_path):
    path = tmp_path / "x.toml"
    path.write_text('[columns]\n"Số BC" = "report_id"\n"Mã CS" = "facility_code"\n', "utf-8")
    with pytest.raises(InputError) as error:
        load_profile(path)
    assert (str(path), "name") in {(p.file, p.field) for p in error.value.problems}
    path.write_text('name = "x\n', "utf-8")
    with pytest.raises(InputError, match="not valid TOML") as error:
        load_profile(path)
    assert str(path) in str(error.value)
    with pytest.raises(InputError, match="no shipped mapping profile") as error:
        load_profile("bv-khong-co")
    assert "bv-k" in (error.value.hint or "")


def test_profile_without_the_required_fields_is_refused(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text('name = "p"\n[columns]\n"Giới" = "sex"\n', "utf-8")
    with pytest.raises(InputError) as error:
        load_profile(path)
    assert {p.message for p in error.value.problems} == {
        "no column for the required field report_id",
        "no column for the required field facility_code",
    }


def _profile_file(tmp_path: Path, top: str = "", columns_extra: str = "", values: str = "") -> Path:
    path = tmp_path / "benh-vien.toml"
    text = f"""name = "benh-vien"
{top}
[columns]
"Số BC" = "report_id"
"Mã CS" = "facility_code"
"Giới" = "sex"
"Địa chỉ" = "address"
{columns_extra}
{values}
"""
    path.write_text(text, encoding="utf-8")
    return path


def test_profile_files_with_a_bom_load_and_other_encodings_are_refused(tmp_path):
    shipped = load_profile("bv-tinh")
    shipped_file = resources.files("oncoreg.ingest").joinpath("profiles", "bv-tinh.toml")
    text = shipped_file.read_text(encoding="utf-8")
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert load_profile(path).columns == shipped.columns
    path.write_bytes(text.replace("tỉnh", "tinh").encode("utf-16"))
    with pytest.raises(InputError, match="not UTF-8"):
        load_profile(path)
