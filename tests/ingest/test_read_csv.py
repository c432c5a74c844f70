"""Canonical and mapped CSV: round trips, every record accounted for, clear errors, fuzz."""

from __future__ import annotations

import codecs
import tempfile
from collections import Counter
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oncoreg.errors import InputError
from oncoreg.export.xlsx import hospital_frame
from oncoreg.ingest.canonical import NAMES
from oncoreg.ingest.profiles import load_profile, parse_profile, shipped_profiles
from oncoreg.ingest.readers import detect_format, named_cells, read_reports

from . import assert_accounted, nfc

PERSONAL = ("full_name", "family_name", "given_name", "national_id", "insurance_no", "phone")


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def canonical_profile(**settings) -> object:
    """A profile whose headers are the canonical names (to test encodings, delimiters)."""
    return parse_profile({"name": "t", "columns": {n: n for n in NAMES}, **settings})


def messages(result) -> str:
    return "\n".join(str(p) for p in [*result.problems, *result.warnings])


# --- Round trips ----------------------------------------------------------------------


def test_canonical_csv_round_trip(reports, tmp_path):
    path = tmp_path / "reports.csv"
    reports.write_csv(path)
    result = read_reports(path)
    assert result.format == "csv"
    assert_accounted(result)
    assert result.problems == [] and result.warnings == []
    assert result.frame.select(NAMES).equals(nfc(reports))
    assert result.frame["_row"].to_list() == [2, 3, 4, 5, 6]
    assert set(result.frame["_file"]) == {str(path)}
    assert result.raw_columns == list(NAMES)
    raw = named_cells(result.frame["_raw"][0], result.raw_columns)
    assert raw["report_id"] == "R-001" and raw["family_name"] == ""


def test_every_synth_csv_file_reads_back_as_written(synth):
    _, written = synth
    files = [w for w in written if w.format == "csv"]
    assert files
    for item in files:
        result = read_reports(item.path)
        assert_accounted(result)
        assert result.problems == [] and result.warnings == []
        assert result.frame.select(NAMES).equals(nfc(item.frame)), item.path


def test_every_synth_report_is_read_once_in_some_format(synth):
    root, written = synth
    names = sorted(shipped_profiles())
    counts: Counter[str] = Counter()
    keys: set[tuple[str, str]] = set()
    for item in written:
        profile = None
        if item.format == "xlsx":
            profile = load_profile(names[sum(map(ord, item.path.stem)) % len(names)])
        if item.format == "fhir":
            continue
        result = read_reports(item.path, profile=profile)
        assert_accounted(result)
        counts.update(result.frame["facility_code"].to_list())
        if item.format != "naaccr":  # NAACCR carries no report_id (see read_naaccr)
            keys.update(result.frame.select("facility_code", "report_id").rows())
    fhir = read_reports(root / "reports" / "fhir")
    assert_accounted(fhir)
    counts.update(fhir.frame["facility_code"].to_list())
    keys.update(fhir.frame.select("facility_code", "report_id").rows())
    truth = pl.read_csv(root / "truth" / "reports.csv", infer_schema=False)
    assert counts == Counter(truth["facility_code"].to_list())
    naaccr = {w.frame["facility_code"][0] for w in written if w.format == "naaccr"}
    expected = {k for k in truth.select("facility_code", "report_id").rows() if k[0] not in naaccr}
    assert keys == expected


def test_a_hospital_csv_through_its_profile(reports, tmp_path):
    profile = load_profile("bv-tinh")
    path = tmp_path / "bv-tinh.csv"
    hospital_frame(reports, profile).write_csv(path)
    result = read_reports(path, profile=profile)
    assert_accounted(result)
    assert result.warnings == []
    assert result.frame["sex"].to_list() == ["2", "2", "1", "2", "1"]  # written 0 / 1
    assert result.frame["birth_date"].to_list() == [
        "1965-03",
        "1965-03",
        "1950",
        None,
        "1972-08-09",
    ]
    assert result.frame["vital_status"].to_list() == ["2", "2", "1", "2", "1"]
    assert result.frame["tnm_t"].null_count() == 5  # the profile has no T column


def test_profile_headers_match_without_diacritics_or_case(reports, tmp_path):
    profile = load_profile("bv-k")
    table = hospital_frame(reports, profile)
    table = table.rename({"Giới tính": "GIOI TINH", "Ngày sinh": "ngay  sinh"})
    path = tmp_path / "bvk.csv"
    table.write_csv(path)
    result = read_reports(path, profile=profile)
    assert result.warnings == []
    assert result.frame["sex"].to_list() == ["2", "2", "1", "2", "1"]
    assert result.frame["birth_date"][0] == "1965-03"


def test_unparseable_dates_are_kept_as_written_and_counted(tmp_path):
    profile = load_profile("bv-tinh")
    rows = [
        {"Ma CSKCB": "BVT", "So BC": "1", "Ngay sinh": "31-02-1960", "Ngay chan doan": "khong ro"},
        {"Ma CSKCB": "BVT", "So BC": "2", "Ngay sinh": "12-1960", "Ngay chan doan": "03-2020"},
    ]
    table = pl.DataFrame(rows).select(
        pl.col(h) if h in rows[0] else pl.lit(None, pl.String).alias(h) for h in profile.headers
    )
    path = tmp_path / "d.csv"
    table.write_csv(path)
    result = read_reports(path, profile=profile)
    assert result.frame["birth_date"].to_list() == ["31-02-1960", "1960-12"]
    assert result.frame["diagnosis_date"].to_list() == ["khong ro", "2020-03"]
    dates = [w for w in result.warnings if w.rule == "date-format"]
    assert {(w.field, w.message.split()[0]) for w in dates} == {
        ("birth_date", "1"),
        ("diagnosis_date", "1"),
    }


# --- Header -----------------------------------------------------------------------------


def test_header_is_case_insensitive_and_trimmed_and_bom_is_fine(tmp_path):
    text = "\ufeff Report_ID ,FACILITY_CODE,Sex,ghi chu,Note\nR1,BVK,2,x,y\n"
    result = read_reports(write(tmp_path / "a.csv", text))
    row = result.frame.row(0, named=True)
    assert (row["report_id"], row["facility_code"], row["sex"]) == ("R1", "BVK", "2")
    assert row["topography"] is None
    assert len(result.warnings) == 1
    assert "'ghi chu' (D)" in result.warnings[0].message
    assert "'Note' (E)" in result.warnings[0].message


def test_a_missing_required_column_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="report_id"):
        read_reports(write(tmp_path / "a.csv", "facility_code,sex\nBVK,1\n"))
    path = write(tmp_path / "b.csv", "report_id,sex\nR1,1\nR2,\n")
    with pytest.raises(InputError, match="facility_code"):
        read_reports(path)
    result = read_reports(path, facility="BVK")
    assert result.frame["facility_code"].to_list() == ["BVK", "BVK"]


def test_the_facility_fills_empty_cells_only(tmp_path):
    path = write(tmp_path / "a.csv", "report_id,facility_code\nR1,BVK\nR2,\n")
    assert read_reports(path, facility="XX").frame["facility_code"].to_list() == ["BVK", "XX"]
    result = read_reports(path)
    assert [(p.row, p.field) for p in result.problems] == [(3, "facility_code")]


def test_duplicate_and_blank_headers(tmp_path):
    path = write(tmp_path / "a.csv", "report_id,facility_code,Sex,sex\nR1,BVK,1,2\n")
    with pytest.raises(InputError, match="columns C and D have the same header"):
        read_reports(path)
    path = write(tmp_path / "b.csv", "report_id,facility_code,\nR1,BVK,x\n")
    with pytest.raises(InputError, match="column C holds values but no header"):
        read_reports(path)
    path = write(tmp_path / "c.csv", "report_id,facility_code,\nR1,BVK,\n")
    assert read_reports(path).frame.height == 1  # a trailing comma on every line
    path = write(tmp_path / "d.csv", "report_id,facility_code,Report ID\nR1,BVK,R2\n")
    with pytest.raises(InputError, match="columns A and C are both report_id"):
        read_reports(path)


def test_semicolons_and_tabs_are_sniffed_without_a_profile(tmp_path):
    for sep in (";", "\t"):
        text = f"report_id{sep}facility_code{sep}address\nR1{sep}BVK{sep}a, b\n"
        result = read_reports(write(tmp_path / "a.csv", text))
        assert result.frame.row(0, named=True)["address"] == "a, b"


def test_an_empty_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="no header"):
        read_reports(write(tmp_path / "a.csv", ""))
    with pytest.raises(InputError, match="no header"):
        read_reports(write(tmp_path / "b.csv", "\n\n  \n"))


# --- Records that cannot be rows --------------------------------------------------------


def test_ragged_rows_and_empty_report_ids_are_problems_with_their_row(tmp_path):
    text = (
        "report_id,facility_code,address\n"
        "R1,BVK,ok\n"
        "R2,BVK,Số 5, phố Huế\n"  # an unquoted comma: four cells
        "R3,BVK\n"  # two cells
        ",BVK,no id\n"
        "\n"
        '"R4",BVK,"line one\nline two"\n'  # one row over two lines
        "R5,BVK,after\n"
    )
    result = read_reports(write(tmp_path / "a.csv", text))
    assert_accounted(result)
    assert result.records == 6
    assert result.frame["report_id"].to_list() == ["R1", "R4", "R5"]
    assert result.frame["_row"].to_list() == [2, 7, 8]
    assert result.frame["address"][1] == "line one\nline two"
    assert [(p.row, p.rule) for p in result.problems] == [
        (3, "ragged-row"),
        (4, "ragged-row"),
        (5, "required"),
    ]
    assert [w.message for w in result.warnings] == ["1 blank rows skipped"]
    assert "Huế" not in messages(result)


def test_a_file_cut_inside_a_quoted_value_is_a_problem_not_a_traceback(tmp_path):
    text = 'report_id,facility_code,address\nR1,BVK,ok\nR2,BVK,"Số 5 phố'
    result = read_reports(write(tmp_path / "a.csv", text))
    assert_accounted(result)
    assert result.frame["report_id"].to_list() == ["R1"]
    [problem] = result.problems
    assert problem.row == 3 and "cut inside a quoted value" in problem.hint
    assert "phố" not in str(problem)


def test_a_stray_quote_is_a_problem_and_reading_goes_on(tmp_path):
    text = 'report_id,facility_code,address\nR1,BVK,"a"b\nR2,BVK,ok\n'
    result = read_reports(write(tmp_path / "a.csv", text))
    assert result.frame["report_id"].to_list() == ["R2"]
    assert [p.row for p in result.problems] == [2]


# --- Encodings and normalisation --------------------------------------------------------


def test_values_are_nfc_and_trimmed_and_empty_is_null(tmp_path):
    decomposed = "Nguye\u0302\u0303n"
    text = f"report_id,facility_code,family_name,address\n R1 ,BVK,{decomposed},  \n"
    row = read_reports(write(tmp_path / "a.csv", text)).frame.row(0, named=True)
    assert (row["report_id"], row["family_name"], row["address"]) == ("R1", "Nguyễn", None)


def test_a_file_not_in_utf8_names_the_line_and_suggests_the_fix(tmp_path):
    text = "report_id,facility_code,family_name\nR1,BVK,Lê\nR2,BVK,Nguyên\n"
    path = write(tmp_path / "a.csv", text, "cp1258")
    with pytest.raises(InputError) as raised:
        read_reports(path)
    assert "line 2, byte" in raised.value.message
    assert 'encoding = "cp1258"' in raised.value.hint
    assert "Lê" not in str(raised.value)
    result = read_reports(path, profile=canonical_profile(encoding="cp1258"))
    assert result.frame["family_name"].to_list() == ["Lê", "Nguyên"]


def test_cp1258_combining_tones_become_nfc(tmp_path):
    data = "report_id,facility_code,family_name\nR1,BVK,Nguy".encode("cp1258") + b"\xea\xden\n"
    path = tmp_path / "a.csv"
    path.write_bytes(data)
    result = read_reports(path, profile=canonical_profile(encoding="cp1258"))
    assert result.frame["family_name"].to_list() == ["Nguyễn"]


def test_utf16_with_a_byte_order_mark_is_read(tmp_path):
    path = tmp_path / "a.txt"
    path.write_bytes(
        codecs.BOM_UTF16_LE + "report_id\tfacility_code\nR1\tBVK\n".encode("utf-16-le")
    )
    assert detect_format(path) == "csv"
    assert read_reports(path).frame["report_id"].to_list() == ["R1"]


def test_messages_hold_no_personal_values(reports, tmp_path):
    broken = reports.with_columns(pl.lit(None, pl.String).alias("report_id"))
    path = tmp_path / "a.csv"
    broken.with_columns(pl.lit("x").alias("extra")).write_csv(path)
    result = read_reports(path)
    assert len(result.problems) == 5
    text = messages(result)
    for name in PERSONAL:
        for value in reports[name].drop_nulls():
            assert value not in text


# --- Fuzz -------------------------------------------------------------------------------


def _read_bytes(data: bytes, suffix: str = ".csv") -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"fuzz{suffix}"
        path.write_bytes(data)
        try:
            result = read_reports(path, format="csv")
        except InputError:
            return
        assert_accounted(result)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_fuzz_random_bytes_raise_only_input_errors(data):
    _read_bytes(data)


_CSV_TEXT = st.text(alphabet=st.sampled_from(list('ab,"\n\r ;\tế\x00')), max_size=300)


@settings(max_examples=200, deadline=None)
@given(prefix=st.sampled_from(["", "report_id,facility_code\n", "report_id\n"]), body=_CSV_TEXT)
def test_fuzz_random_text_raises_only_input_errors(prefix, body):
    _read_bytes((prefix + body).encode("utf-8"))
    _read_bytes(("\ufeff" + prefix + body).encode("utf-8"))


def test_fast_and_careful_parsers_agree_on_a_well_formed_file(synth):
    """The Arrow fast path reads exactly what the row-by-row parser reads."""
    from pathlib import Path

    from oncoreg.ingest.read_csv import _careful_parse, fast_parse

    root = synth[0] if isinstance(synth, tuple) else synth
    path = sorted(Path(root, "reports", "csv").glob("*.csv"))[0]
    text = path.read_text(encoding="utf-8")
    fast = fast_parse(text, ",")
    assert fast is not None
    header, cells, numbers, problems, blank = _careful_parse(text, ",", path)
    assert (fast[0], fast[2]) == (header, numbers) and not problems and not blank
    assert fast[1].equals(cells)


@pytest.mark.parametrize(
    "body",
    [
        "R1,BVK,ok\n\nR2,BVK,ok\n",  # a blank line
        'R1,BVK,"two\nlines"\n',  # a line break inside a value
        "R1,BVK\n",  # a ragged row
        'R1,BVK,"a"b\n',  # a stray quote
    ],
)
def test_fast_parser_leaves_irregular_files_to_the_careful_one(body):
    from oncoreg.ingest.read_csv import fast_parse

    assert fast_parse("report_id,facility_code,address\n" + body, ",") is None


_CELL = st.text(alphabet=st.sampled_from(list('ab"\\:,c1{}[] ếđ\t')), max_size=12)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cells=st.lists(_CELL, min_size=3, max_size=3))
def test_raw_record_is_the_row_cell_for_cell(cells, tmp_path):
    """The raw JSON array decodes to the row's cells exactly, whatever quotes, backslashes
    or key-like text (``"c1":``) they hold."""
    path = tmp_path / "tricky.csv"
    row = {"report_id": "R-1", "facility_code": "VN-K", "address": cells[0]}
    row |= {"phone": cells[1], "(extra)": cells[2]}
    pl.DataFrame([row]).write_csv(path)
    result = read_reports(path)
    as_read = pl.read_csv(path, infer_schema=False).fill_null("").row(0, named=True)
    assert named_cells(result.frame["_raw"][0], result.raw_columns) == as_read
