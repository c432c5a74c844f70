"""NAACCR XML: round trips with the export (for the items it carries), reference files,
broken documents, flat memory, fuzz.

NAACCR is lossy by design (``oncoreg.export.naaccr``): :func:`expected_rows` says what
each report must read back as. Not carried at all: report_id (a stable hash instead),
national ID, insurance number, province, the full name as written. Carried only by
``A``/``M``/``C`` files: names, phone (10 digits), medical record number, address.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oncoreg.errors import InputError
from oncoreg.export._common import (
    first_value,
    is_partial_date,
    latest_contact,
    name_parts,
    patient_groups,
    prepare,
)
from oncoreg.export.naaccr import write_naaccr
from oncoreg.ingest import read_naaccr as module
from oncoreg.ingest.readers import read_reports

from . import assert_accounted, differences

BASIS = {"7": "7", "6": "7", "5": "5", "4": "4", "2": "2", "1": "1", "9": "9", "0": "0"}
CONFIDENTIAL = ("patient_no", "family_name", "middle_name", "given_name", "phone", "address")
NOT_CARRIED = ("full_name", "national_id", "insurance_no", "province_code")
HEAD = '<?xml version="1.0"?>\n<NaaccrData xmlns="http://naaccr.org/naaccrxml" recordType="I">'


def _date(value):
    return value if is_partial_date(value) else None


def _digits(value, length):
    return value if value and value.isascii() and value.isdigit() and len(value) <= length else None


def _dotted(value, pattern):
    if not value or not re.fullmatch(pattern, value.upper()):
        return None
    code = value.upper().replace(".", "")
    return f"{code[:3]}.{code[3:]}" if len(code) == 4 else code


def _phone(value):
    digits = re.sub(r"[\s.()-]", "", value or "")
    digits = "0" + digits[3:] if digits.startswith("+84") else digits
    return digits if len(digits) == 10 and digits.isdigit() else None


def _stage(value):
    match = re.fullmatch(r"(IV|I{1,3}|0)([A-D]?\d?|IS)", (value or "").upper())
    return match[0] if match else None


def expected_rows(frame: pl.DataFrame, record_type: str) -> list[dict]:
    """The rows reading the NAACCR export of ``frame`` must give, in document order."""
    rows = []
    for group in patient_groups(prepare(frame)):
        person = _person(group, confidential=record_type != "I")
        for row in group.rows:
            rows.append(person | _tumour(row, confidential=record_type != "I"))
    return rows


def _person(group, confidential: bool) -> dict:
    first = {name: first_value(group.rows, name) for name in group.rows[0]}
    latest = latest_contact(group.rows)
    vital = latest["vital_status"] if latest["vital_status"] in ("1", "2") else None
    death = first["death_date"] if vital == "2" and _date(first["death_date"]) else None
    contact = _date(death or latest["last_contact_date"])
    family, middle, given = name_parts(first) if confidential else (None, None, None)
    return {
        "sex": _digits(first["sex"], 1),
        "birth_date": _date(first["birth_date"]),
        "vital_status": vital,
        "last_contact_date": contact,
        "death_date": contact if vital == "2" else None,
        "cause_of_death": _dotted(first["cause_of_death"], r"[A-Z]\d{2}(\.?\d)?"),
        **{"family_name": family, "middle_name": middle, "given_name": given},
        "phone": _phone(first["phone"]) if confidential else None,
        **dict.fromkeys(NOT_CARRIED),
    }


def _tumour(row: dict, confidential: bool) -> dict:
    yes_no = {name: row[name] if row[name] in ("0", "1") else None for name in _TREATMENTS}
    tnm = {
        f"tnm_{a}": row[f"tnm_{a}"]
        for a in "tnm"
        if re.fullmatch(r"[TNM][\w()+-]*", row[f"tnm_{a}"] or "")
    }
    age = _digits(row["age_at_diagnosis"], 3)
    return {
        "facility_code": row["facility_code"],
        "patient_no": row["patient_no"] if confidential else None,
        "address": row["address"] if confidential else None,
        "diagnosis_date": _date(row["diagnosis_date"]),
        "first_treatment_date": _date(row["first_treatment_date"]),
        "age_at_diagnosis": str(int(age)) if age else None,
        "topography": _dotted(row["topography"], r"C\d{2}\.?\d"),
        "morphology": _digits(row["morphology"], 4),
        **{name: _digits(row[name], 1) for name in ("behaviour", "grade", "laterality")},
        "basis": BASIS.get(row["basis"] or ""),
        **{f"tnm_{a}": None for a in "tnm"} | tnm,
        "stage_group": _stage(row["stage_group"]),
        "summary_stage": row["summary_stage"]
        if row["summary_stage"] in "0 1 2 7 9".split()
        else None,
        **yes_no,
    }


_TREATMENTS = ("surgery", "radiotherapy", "chemotherapy", "systemic_other")


def compare(frame: pl.DataFrame, path: Path, record_type: str) -> None:
    result = read_reports(path)
    assert_accounted(result)
    assert result.problems == [] and result.warnings == []
    want = expected_rows(frame, record_type)
    got = list(result.frame.iter_rows(named=True))
    assert differences(want, got, [name for name in want[0]]) == []
    ids = result.frame["report_id"].to_list()
    assert len(set(ids)) == len(ids) and all(i.startswith("naaccr-") for i in ids)


# --- Round trips ----------------------------------------------------------------------


@pytest.mark.parametrize("record_type", ["I", "A"])
def test_round_trip_of_the_items_naaccr_carries(reports, tmp_path, record_type):
    path = tmp_path / "reports.xml"
    write_naaccr(reports, path, record_type=record_type)
    compare(reports, path, record_type)
    frame = read_reports(path).frame
    assert frame["_row"].to_list() == [1, 2, 3, 4, 5]
    assert frame.filter(pl.col("facility_code") == "79-BVUB")["basis"].to_list() == ["0"]


def test_every_synth_naaccr_file_reads_back_as_written(synth):
    _, written = synth
    files = [w for w in written if w.format == "naaccr"]
    assert files
    for item in files:
        compare(item.frame, item.path, "A")  # the generator writes abstracts


def test_report_ids_are_stable_and_differ_for_other_tumours(reports, tmp_path):
    write_naaccr(reports, tmp_path / "a.xml")
    first = read_reports(tmp_path / "a.xml").frame["report_id"].to_list()
    assert read_reports(tmp_path / "a.xml").frame["report_id"].to_list() == first
    write_naaccr(reports, tmp_path / "copy.xml")  # the same records sent again
    assert read_reports(tmp_path / "copy.xml").frame["report_id"].to_list() == first
    # another year's file: the same patient numbers (1, 2, ...) for other tumours
    other = reports.with_columns(pl.col("diagnosis_date").str.replace(r"^20", "19"))
    write_naaccr(other, tmp_path / "b.xml")
    second = read_reports(tmp_path / "b.xml").frame["report_id"].to_list()
    assert not set(first) & set(second)


def test_a_hospital_accession_number_is_the_report_id(tmp_path):
    path = tmp_path / "a.xml"
    path.write_text(
        HEAD + '<Patient><Tumor><Item naaccrId="accessionNumberHosp">2021000123</Item>'
        '<Item naaccrId="sequenceNumberHospital">01</Item>'
        '<Item naaccrId="reportingFacility">BVK</Item></Tumor></Patient></NaaccrData>',
        encoding="utf-8",
    )
    assert read_reports(path).frame["report_id"].to_list() == ["2021000123-01"]


# --- Reference files --------------------------------------------------------------------


def test_the_reference_samples_read_with_the_facility_given(reference_dir):
    folder = reference_dir / "naaccr"
    for name, tumours in [
        ("naaccr-xml-sample-v250-incidence-10.xml", 10),
        ("naaccr-xml-sample-v250-abstract-10.xml", 10),
        ("valid_standard-file-1.xml", 1),
    ]:
        result = read_reports(folder / name, facility="US-REG")
        assert_accounted(result)
        assert result.frame.height == tumours and result.problems == []
        assert set(result.frame["facility_code"]) == {"US-REG"}
    unidentified = read_reports(folder / "valid_standard-file-1.xml")
    assert [p.field for p in unidentified.problems] == ["facility_code"]
    sample = read_reports(folder / "naaccr-xml-sample-v250-incidence-10.xml", facility="X")
    row = sample.frame.row(0, named=True)
    assert (row["topography"], row["morphology"], row["behaviour"]) == ("C61.9", "8140", "3")
    assert (row["birth_date"], row["age_at_diagnosis"], row["basis"]) == ("1952-01-12", "71", "7")
    assert (row["vital_status"], row["cause_of_death"], row["surgery"]) == ("1", None, None)


def test_unknown_items_are_one_warning_with_their_ids_only(reference_dir):
    result = read_reports(reference_dir / "naaccr" / "valid_standard-file-1.xml", facility="X")
    assert result.warnings[0].message.endswith("registryId (1)")
    assert "0000000001" not in str(result.warnings[0])
    assert "1 Patients without a Tumor" in result.warnings[1].message
    abstract = read_reports(reference_dir / "naaccr" / "naaccr-xml-sample-v250-abstract-10.xml")
    text = " ".join(str(w) for w in abstract.warnings)
    assert "textRemarks" in text and "Smith" not in text


# --- Broken documents -------------------------------------------------------------------


def test_broken_xml_names_the_line(reports, tmp_path):
    path = tmp_path / "a.xml"
    write_naaccr(reports, path)
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[5] = lines[5].replace("</Item>", "</Itm>")
    path.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(InputError, match="not well-formed XML at line 6"):
        read_reports(path)
    cut = path.read_bytes()[:-300]
    path.write_bytes(cut)
    with pytest.raises(InputError, match="not well-formed XML at line"):
        read_reports(path)


def test_a_document_that_is_not_naaccr_is_an_input_error(tmp_path):
    path = tmp_path / "a.xml"
    path.write_text("<html><body>x</body></html>", encoding="utf-8")
    with pytest.raises(InputError, match="not a NAACCR XML document"):
        read_reports(path)


def test_dates_that_are_not_dates_are_kept_and_counted(tmp_path):
    path = tmp_path / "a.xml"
    path.write_text(
        HEAD + '<Patient><Item naaccrId="dateOfBirth">19650231</Item><Tumor>'
        '<Item naaccrId="reportingFacility">BVK</Item>'
        '<Item naaccrId="dateOfDiagnosis">2020</Item></Tumor></Patient></NaaccrData>',
        encoding="utf-8",
    )
    result = read_reports(path)
    assert result.frame.row(0, named=True)["birth_date"] == "19650231"
    assert result.frame.row(0, named=True)["diagnosis_date"] == "2020"
    assert result.warnings[0].message.endswith("dateOfBirth (1)")
    assert "19650231" not in result.warnings[0].message


def test_entities_are_not_expanded(tmp_path):
    path = tmp_path / "a.xml"
    path.write_text(
        '<?xml version="1.0"?><!DOCTYPE NaaccrData [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        '<NaaccrData xmlns="http://naaccr.org/naaccrxml"><Patient><Tumor>'
        '<Item naaccrId="reportingFacility">&x;</Item></Tumor></Patient></NaaccrData>',
        encoding="utf-8",
    )
    result = read_reports(path, facility="F")
    assert result.frame["facility_code"].to_list() == ["F"]  # not the file's content
    assert "root:" not in result.frame["_raw"][0]


def test_memory_stays_flat(reports, tmp_path, monkeypatch):
    """Each Patient is dropped from the tree once read: none stays before the current one
    (the parser builds a few ahead, by its buffer; never all of the file)."""
    big = pl.concat(
        [reports.with_columns(pl.col("patient_no") + f"-{n}") for n in range(200)]
    ).with_columns(pl.int_range(pl.len()).cast(pl.String).alias("report_id"))
    path = tmp_path / "big.xml"
    write_naaccr(big, path)
    sizes = []
    done = module._patient_done

    def spy(element, reading):
        done(element, reading)
        sizes.append((element.getparent().index(element), len(element.getparent())))

    monkeypatch.setattr(module, "_patient_done", spy)
    result = read_reports(path)
    assert result.frame.height == 1000
    assert len(sizes) == 800 and {before for before, _ in sizes} == {0}  # 4 patients × 200
    assert max(size for _, size in sizes) < 100


# --- Fuzz -------------------------------------------------------------------------------

_PIECES = st.sampled_from(
    [
        "<Patient>",
        "</Patient>",
        "<Tumor>",
        "</Tumor>",
        '<Item naaccrId="primarySite">',
        '<Item naaccrId="reportingFacility">',
        '<Item naaccrId="dateOfDiagnosis">',
        "<Item>",
        "</Item>",
        "C509",
        "2020",
        "&amp;",
        "&bogus;",
        "<!-- c -->",
        "<x:y xmlns:x='u'/>",
        "\x00",
        "é",
    ]
)
_XMLISH = st.lists(_PIECES | st.text(max_size=5), max_size=40).map("".join)


def _read_xml(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.xml"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            result = read_reports(path, format="naaccr", facility="F")
        except InputError:
            return
        assert_accounted(result)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=_XMLISH, close=st.booleans())
def test_fuzz_xmlish_text_raises_only_input_errors(body, close):
    _read_xml(HEAD + body + ("</NaaccrData>" if close else ""))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_fuzz_random_text_raises_only_input_errors(text):
    _read_xml(text)
