"""Excel workbooks through mapping profiles: round trips, cells as text, bad sheets."""

from __future__ import annotations

import datetime
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from oncoreg.errors import InputError
from oncoreg.export._common import is_partial_date, name_parts
from oncoreg.export.xlsx import hospital_frame, write_xlsx
from oncoreg.ingest.canonical import NAMES
from oncoreg.ingest.profiles import DATE_FIELDS, load_profile, shipped_profiles
from oncoreg.ingest.readers import detect_format, read_reports

from . import assert_accounted, nfc, norm

PROFILES = shipped_profiles()
NAME_FIELDS = ("full_name", "family_name", "middle_name", "given_name")


def expected(frame: pl.DataFrame, profile) -> dict[str, list]:
    """What reading the profile's workbook must give: each written cell mapped back."""
    written = hospital_frame(frame, profile)
    return {
        name: [norm(profile.to_canonical_value(name, cell)) for cell in written[header]]
        for header, name in profile.columns
    }


def workbook(path: Path, rows: list[list], sheet: str = "Sheet1", at: str = "A1") -> Path:
    """A workbook typed the way other tools write one (numbers and dates as such)."""
    book = openpyxl.Workbook()
    worksheet = book.active
    worksheet.title = sheet
    first = openpyxl.utils.cell.coordinate_from_string(at)
    column = openpyxl.utils.cell.column_index_from_string(first[0])
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is not None:
                worksheet.cell(row=first[1] + r, column=column + c, value=value)
    book.save(path)
    return path


# --- Round trips ----------------------------------------------------------------------


@pytest.mark.parametrize("name", PROFILES)
def test_each_profile_round_trip(reports, tmp_path, name):
    profile = load_profile(name)
    path = tmp_path / f"{name}.xlsx"
    write_xlsx(reports, path, profile)
    assert detect_format(path) == "xlsx"
    result = read_reports(path, profile=profile)
    assert_accounted(result)
    assert result.problems == [] and result.warnings == []
    assert result.frame["_row"].to_list() == [2, 3, 4, 5, 6]
    want = expected(reports, profile)
    for field in profile.fields:
        assert result.frame[field].to_list() == want[field], field
    original = nfc(reports)
    for field in set(profile.fields) - set(NAME_FIELDS):
        assert result.frame[field].to_list() == original[field].to_list(), field


def test_names_are_fitted_to_the_profile(reports, tmp_path):
    full = load_profile("bv-k")  # one full-name column
    write_xlsx(reports, tmp_path / "k.xlsx", full)
    names = read_reports(tmp_path / "k.xlsx", profile=full).frame["full_name"].to_list()
    assert names[2] == "Trần Văn Hùng"  # written from the parts
    parts = load_profile("bv-ung-buou-hn")  # three name columns
    write_xlsx(reports, tmp_path / "u.xlsx", parts)
    frame = read_reports(tmp_path / "u.xlsx", profile=parts).frame
    got = list(frame.select("family_name", "middle_name", "given_name").iter_rows())
    assert got == [name_parts(row) for row in reports.iter_rows(named=True)]


def test_every_synth_workbook_reads_back_as_written(synth):
    _, written = synth
    names = sorted(PROFILES)
    files = [w for w in written if w.format == "xlsx"]
    assert files
    for item in files:
        profile = load_profile(names[sum(map(ord, item.path.stem)) % len(names)])
        result = read_reports(item.path, profile=profile)
        assert_accounted(result)
        assert result.problems == []
        want = expected(item.frame, profile)
        original = nfc(item.frame)
        for field in profile.fields:
            assert result.frame[field].to_list() == want[field], (item.path, field)
            if field in NAME_FIELDS:
                continue
            for got, before in zip(result.frame[field], original[field], strict=True):
                # only a date that is not a real date comes back other than it was: as
                # the hospital wrote it (the checks flag it)
                assert got == before or (field in DATE_FIELDS and not is_partial_date(before))


# --- Cells as text ----------------------------------------------------------------------


def test_numbers_and_dates_typed_by_other_tools(tmp_path):
    path = workbook(
        tmp_path / "a.xlsx",
        [
            [
                "report_id",
                "facility_code",
                "patient_no",
                "national_id",
                "birth_date",
                "age_at_diagnosis",
            ],
            [101, "BVK", "0012345", 1165001234.0, datetime.datetime(1965, 3, 1), 55],
            ["R2", 79, 12.5, "001165001234", "1965-03", None],
        ],
    )
    frame = read_reports(path).frame
    assert frame["report_id"].to_list() == ["101", "R2"]
    assert frame["facility_code"].to_list() == ["BVK", "79"]
    assert frame["patient_no"].to_list() == ["0012345", "12.5"]
    assert frame["national_id"].to_list() == ["1165001234", "001165001234"]
    assert frame["birth_date"].to_list() == ["1965-03-01", "1965-03"]
    assert frame["age_at_diagnosis"].to_list() == ["55", None]


def test_a_table_below_a1_keeps_excel_row_numbers_and_column_letters(tmp_path):
    rows = [["report_id", "facility_code", "extra"], ["R1", "BVK", "x"], [None, "BVK", "y"]]
    path = workbook(tmp_path / "a.xlsx", rows, at="C3")
    result = read_reports(path)
    assert_accounted(result)
    assert result.frame["_row"].to_list() == [4]
    assert [(p.row, p.field) for p in result.problems] == [(5, "report_id")]
    assert "'extra' (E)" in result.warnings[0].message


def test_blank_rows_are_skipped_and_counted(tmp_path):
    rows = [["report_id", "facility_code"], ["R1", "BVK"], [None, None], ["R2", "BVK"]]
    result = read_reports(workbook(tmp_path / "a.xlsx", rows))
    assert result.frame["_row"].to_list() == [2, 4]
    assert [w.message for w in result.warnings] == ["1 blank rows skipped"]


# --- Sheets that cannot be read ---------------------------------------------------------


def test_merged_header_cells_name_the_sheet_and_columns(tmp_path):
    path = workbook(
        tmp_path / "a.xlsx", [["report_id", "facility_code", "Họ tên"], ["R1", "BVK", "x"]]
    )
    book = openpyxl.load_workbook(path)
    book.active["D1"] = None
    book.active.merge_cells("C1:D1")
    book.save(path)
    with pytest.raises(InputError, match=r"sheet 'Sheet1': merged header cells \(columns C-D\)"):
        read_reports(path)


def test_merged_cells_below_the_header_are_a_warning(tmp_path):
    rows = [["report_id", "facility_code"], ["R1", "BVK"], ["R2", None]]
    path = workbook(tmp_path / "a.xlsx", rows)
    book = openpyxl.load_workbook(path)
    book.active.merge_cells("B2:B3")
    book.save(path)
    result = read_reports(path)
    assert [w.rule for w in result.warnings] == ["merged-cells"]
    assert [(p.row, p.field) for p in result.problems] == [(3, "facility_code")]


def test_duplicate_and_empty_headers_name_the_sheet_and_columns(tmp_path):
    rows = [["report_id", "facility_code", "Sex", "SEX"], ["R1", "BVK", "1", "2"]]
    with pytest.raises(InputError, match=r"sheet 'Sheet1': columns C and D have the same header"):
        read_reports(workbook(tmp_path / "a.xlsx", rows))
    rows = [["report_id", None, "facility_code"], ["R1", "x", "BVK"]]
    with pytest.raises(InputError, match=r"sheet 'Sheet1': column B holds values but no header"):
        read_reports(workbook(tmp_path / "b.xlsx", rows))


def test_which_sheet(reports, tmp_path):
    profile = load_profile("bv-k")
    path = workbook(tmp_path / "a.xlsx", [["x"]], sheet="Other")
    book = openpyxl.load_workbook(path)
    book.create_sheet("Third")
    book.save(path)
    with pytest.raises(InputError, match="no sheet 'Ca benh'") as raised:
        read_reports(path, profile=profile)
    assert "Other, Third" in raised.value.hint
    table = hospital_frame(reports, profile)
    single = workbook(tmp_path / "b.xlsx", [table.columns, *table.rows()], sheet="Data")
    result = read_reports(single, profile=profile)
    assert result.frame.height == 5
    assert "read the only sheet" in result.warnings[0].message


def test_an_empty_sheet_or_a_broken_file_is_an_input_error(tmp_path):
    openpyxl.Workbook().save(tmp_path / "empty.xlsx")
    with pytest.raises(InputError, match="empty"):
        read_reports(tmp_path / "empty.xlsx")
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(InputError, match="not a readable Excel workbook"):
        read_reports(broken)


def test_every_canonical_column_can_come_from_excel(reports, tmp_path):
    # openpyxl would store '=HYPERLINK("x")' as a formula without a computed value
    reports = reports.with_columns(pl.col("address").str.replace("=", "", literal=True))
    path = workbook(tmp_path / "a.xlsx", [list(NAMES), *reports.rows()])
    result = read_reports(path)
    assert result.frame.select(NAMES).equals(nfc(reports))
