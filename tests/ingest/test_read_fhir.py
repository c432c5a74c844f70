"""FHIR bundles: round trips with the export, real mCODE examples, bad bundles, fuzz.

What the FHIR export carries and how it comes back is in ``oncoreg.ingest.read_fhir``'s
docstring; :func:`expected_rows` applies those rules to the frame given to the writer.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oncoreg.errors import InputError
from oncoreg.export._common import (
    first_value,
    latest_contact,
    name_parts,
    patient_groups,
    prepare,
)
from oncoreg.export.fhir import PATIENT_FIELDS, fhir_date, write_fhir_bundles
from oncoreg.ingest.readers import read_reports

from . import assert_accounted, norm

PER_REPORT = (
    *("report_id", "facility_code", "topography", "morphology", "grade", "basis"),
    *("laterality", "tnm_t", "tnm_n", "tnm_m", "stage_group", "summary_stage"),
)
TREATMENTS = ("surgery", "radiotherapy", "chemotherapy", "systemic_other")
PER_PATIENT = ("patient_no", "national_id", "insurance_no", "phone", "address", "province_code")
COMPARED = (
    *PER_REPORT,
    *PER_PATIENT,
    *TREATMENTS,
    *("behaviour", "age_at_diagnosis", "diagnosis_date", "first_treatment_date", "sex"),
    *("birth_date", "death_date", "vital_status", "last_contact_date", "cause_of_death"),
    *("name", "parts"),
)
JENNY = "fhir-mcode/Bundle-mcode-patient-bundle-jenny-m.json"


@pytest.fixture
def bundles(reports, tmp_path) -> list[Path]:
    return write_fhir_bundles(reports, tmp_path / "fhir")


def expected_rows(frame: pl.DataFrame) -> dict[tuple[str, str], dict]:
    """The rows reading the export of ``frame`` must give, by facility and report_id."""
    rows = {}
    for group in patient_groups(prepare(frame)):
        person = _person(group)
        for row in group.rows:
            want = {name: norm(row[name]) for name in PER_REPORT} | person
            want["behaviour"] = row["behaviour"] if row["morphology"] else None
            age = row["age_at_diagnosis"] or ""
            digits = age.isascii() and age.isdigit() and len(age) <= 3
            want["age_at_diagnosis"] = str(int(age)) if digits else None
            want["diagnosis_date"] = fhir_date(row["diagnosis_date"])
            want.update({name: "1" if row[name] == "1" else None for name in TREATMENTS})
            want["first_treatment_date"] = _first_treatment(row)
            rows[row["facility_code"], row["report_id"]] = want
    return rows


def _person(group) -> dict:
    first = {name: first_value(group.rows, name) for name in PATIENT_FIELDS}
    parts = name_parts(first)
    text = first["full_name"] or " ".join(part for part in parts if part)
    latest = latest_contact(group.rows)
    death = fhir_date(first["death_date"])
    return {name: first[name] for name in PER_PATIENT} | {
        "name": norm(text),
        "parts": parts,
        "sex": first["sex"] if first["sex"] in ("1", "2") else "9",
        "birth_date": fhir_date(first["birth_date"]),
        "death_date": death,
        "vital_status": latest["vital_status"] or ("2" if death else None),
        "last_contact_date": fhir_date(latest["last_contact_date"]),
        "cause_of_death": first_value(group.rows, "cause_of_death"),
    }


def _first_treatment(row: dict) -> str | None:
    given = [name for name in TREATMENTS if row[name] == "1"]
    treated = fhir_date(row["first_treatment_date"])
    dates = [treated for name in given if name in ("surgery", "radiotherapy")]
    drugs = treated or fhir_date(row["diagnosis_date"])  # what a drug is dated by
    dates += [drugs for name in given if name not in ("surgery", "radiotherapy")]
    return min((d for d in dates if d), default=None)


def actual_rows(frame: pl.DataFrame) -> dict[tuple[str, str], dict]:
    rows = {}
    for row in frame.iter_rows(named=True):
        parts = (row["family_name"], row["middle_name"], row["given_name"])
        row["name"] = row["full_name"] or " ".join(part for part in parts if part) or None
        row["parts"] = parts
        rows[row["facility_code"], row["report_id"]] = row
    return rows


def assert_same(expected: dict, actual: dict) -> None:
    assert sorted(expected) == sorted(actual)
    wrong = [
        (key, name, expected[key][name], actual[key][name])
        for key in expected
        for name in COMPARED
        if expected[key][name] != actual[key][name]
    ]
    assert wrong == []


# --- Round trips ----------------------------------------------------------------------


def test_folder_round_trip(reports, bundles):
    result = read_reports(bundles[0].parent.parent)
    assert result.format == "fhir"
    assert_accounted(result)
    assert result.problems == [] and result.warnings == []
    assert_same(expected_rows(reports), actual_rows(result.frame))
    assert set(result.frame["_file"]) == {str(path) for path in bundles}
    raw = json.loads(result.frame["_raw"][0])
    assert raw["Condition"]["resourceType"] == "Condition"
    assert raw["Patient"]["resourceType"] == "Patient"


def test_a_full_name_comes_back_as_parts(reports, bundles):
    rows = actual_rows(read_reports(bundles[0].parent.parent).frame)
    lan = rows["BVK", "R-001"]
    assert lan["full_name"] is None
    assert lan["parts"] == ("Nguyễn", "Thị", "Lan")
    assert rows["BVK", "R-003"]["parts"] == ("Trần", "Văn", "Hùng")


def test_every_synth_bundle_reads_back_as_written(synth):
    root, written = synth
    frames = [w.frame for w in written if w.format == "fhir"]
    assert frames
    result = read_reports(root / "reports" / "fhir")
    assert_accounted(result)
    assert result.problems == [] and result.warnings == []
    assert_same(expected_rows(pl.concat(frames)), actual_rows(result.frame))


def test_ndjson_one_bundle_a_line(reports, bundles, tmp_path):
    path = tmp_path / "bundles.ndjson"
    path.write_bytes(b"".join(p.read_bytes() for p in bundles) + b"\n")
    result = read_reports(path)
    assert_accounted(result)
    assert_same(expected_rows(reports), actual_rows(result.frame))
    assert {f.rpartition(":")[2] for f in result.frame["_file"]} == {"1", "2", "3", "4"}


def test_references_by_type_and_id_resolve_too(bundles, tmp_path):
    bundle = json.loads(bundles[0].read_text(encoding="utf-8"))
    by_url = {e["fullUrl"]: e["resource"] for e in bundle["entry"]}
    for entry in bundle["entry"]:
        entry["fullUrl"] = f"http://example.org/fhir/{entry['resource']['resourceType']}/x"
        _retarget(entry["resource"], by_url)
    path = tmp_path / "relative.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    relative = read_reports(path).frame.drop("_file", "_raw")
    assert relative.equals(read_reports(bundles[0]).frame.drop("_file", "_raw"))


def _retarget(node, by_url: dict) -> None:
    if isinstance(node, dict):
        target = by_url.get(node.get("reference"))
        if target is not None:
            node["reference"] = f"{target['resourceType']}/{target['id']}"
        for value in node.values():
            _retarget(value, by_url)
    elif isinstance(node, list):
        for value in node:
            _retarget(value, by_url)


# --- Real mCODE examples --------------------------------------------------------------


def test_the_mcode_jenny_example_reads_without_icdo3_codes(reference_dir):
    path = reference_dir / JENNY
    result = read_reports(path, facility="US-EX")
    assert_accounted(result)
    assert result.problems == []
    row = result.frame.row(0, named=True)
    assert result.frame.height == 1 and row["facility_code"] == "US-EX"
    assert row["report_id"] == "primary-cancer-condition-jenny-m"
    assert (row["patient_no"], row["sex"], row["birth_date"]) == ("MRN1234", "2", "1965-01-01")
    assert (row["family_name"], row["given_name"]) == ("M", "Jenny")
    assert row["diagnosis_date"] == "2018-03-16"
    assert row["topography"] is None and row["morphology"] is None
    assert (row["surgery"], row["radiotherapy"]) == ("1", "1")
    assert row["first_treatment_date"] == "2018-04-01"
    text = " ".join(w.message for w in result.warnings)
    assert "topography (1)" in text and "MedicationRequest (4)" in text
    unidentified = read_reports(path)
    assert [p.field for p in unidentified.problems] == ["facility_code"]
    assert unidentified.records == 1


def test_every_reference_bundle_reads_without_crashing(reference_dir):
    for path in sorted((reference_dir / "fhir-mcode").rglob("*.json")):
        result = read_reports(path, facility="US-EX")
        assert_accounted(result)
    legacy = read_reports(reference_dir / "fhir-mcode" / "legacy-stu1_TrialMatching_Patient02.json")
    assert [p.rule for p in legacy.problems] == ["fhir-valid", "fhir-valid"]  # an invalid id
    assert legacy.problems[0].field == "id"


# --- Bad bundles ------------------------------------------------------------------------


def test_unknown_resource_types_are_skipped_with_one_warning(reports, bundles):
    bundle = json.loads(bundles[0].read_text(encoding="utf-8"))
    bundle["entry"].insert(1, {"resource": {"resourceType": "Foo", "id": "a"}})
    bundle["entry"].append({"resource": {"resourceType": "Foo", "id": "b"}})
    bundle["entry"].append({"resource": {"resourceType": "BarBaz"}})
    bundles[0].write_text(json.dumps(bundle), encoding="utf-8")
    result = read_reports(bundles[0].parent.parent)
    assert_accounted(result)
    assert result.problems == []
    [warning] = result.warnings
    assert warning.message.endswith("skipped: BarBaz (1), Foo (2)")
    assert_same(expected_rows(reports), actual_rows(result.frame))


def test_an_invalid_resource_loses_its_bundle_with_a_problem_per_condition(bundles):
    bundle = json.loads(bundles[0].read_text(encoding="utf-8"))
    bundle["entry"][0]["resource"]["birthDate"] = "1965-13-45"
    bundles[0].write_text(json.dumps(bundle), encoding="utf-8")
    result = read_reports(bundles[0].parent.parent)
    assert_accounted(result)
    lost = [p for p in result.problems if p.file == str(bundles[0])]
    conditions = [
        i for i, e in enumerate(bundle["entry"]) if e["resource"]["resourceType"] == "Condition"
    ]
    assert [p.row for p in lost] == conditions
    assert {p.field for p in lost} == {"entry[0].resource.birthDate"}
    assert "1965-13-45" not in " ".join(str(p) for p in result.problems)


def test_not_json_and_not_a_bundle_are_problems(tmp_path):
    (tmp_path / "a.json").write_text('{"resourceType": "Bundle", "entry": [', encoding="utf-8")
    (tmp_path / "b.json").write_text('{"resourceType": "Patient"}', encoding="utf-8")
    (tmp_path / "c.json").write_bytes(b"\xff\xfe{}")
    (tmp_path / "notes.txt").write_text("x", encoding="utf-8")
    result = read_reports(tmp_path)
    assert_accounted(result)
    assert [(Path(p.file).name, p.rule) for p in result.problems] == [
        ("a.json", "fhir-bundle"),
        ("b.json", "fhir-bundle"),
        ("c.json", "fhir-bundle"),
    ]
    assert "not bundles" in result.warnings[0].message


def test_ndjson_problems_name_the_line(bundles, tmp_path):
    path = tmp_path / "b.ndjson"
    good = bundles[0].read_bytes().strip()
    path.write_bytes(good + b"\n\n{broken\n" + good.replace(b'"birthDate":"', b'"birthDate":"x'))
    result = read_reports(path)
    assert_accounted(result)
    assert sorted({p.file for p in result.problems}) == [f"{path}:3", f"{path}:4"]


def test_the_facility_argument_fills_what_identifiers_lack(bundles, tmp_path):
    source = next(path for path in bundles if path.name == "mrn.0012345.json")
    text = source.read_text(encoding="utf-8").replace("https://oncoreg.org/fhir/sid/", "urn:x:")
    path = tmp_path / "other.json"
    path.write_text(text, encoding="utf-8")
    assert [p.field for p in read_reports(path).problems] == ["facility_code"] * 2
    result = read_reports(path, facility="BVK")
    assert result.frame["facility_code"].to_list() == ["BVK", "BVK"]
    assert result.frame["report_id"].to_list() == ["R-001", "R-002"]


def test_a_missing_path_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_reports(tmp_path / "nothing.json")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="without FHIR bundle files"):
        read_reports(tmp_path / "empty")


# --- Fuzz -------------------------------------------------------------------------------

_SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
_JSON = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=30,
)
_KEYS = st.sampled_from(
    ["resourceType", "id", "subject", "code", "gender", "birthDate", "identifier", "focus"]
)
_TYPES = st.sampled_from(["Patient", "Condition", "Observation", "Procedure", "Foo", 7, None])
_RESOURCE = st.dictionaries(_KEYS, _JSON, max_size=5).flatmap(
    lambda r: _TYPES.map(lambda t: {**r, "resourceType": t})
)
_BUNDLE = st.fixed_dictionaries(
    {
        "resourceType": st.just("Bundle"),
        "type": st.sampled_from(["collection", "batch", 3]),
        "entry": st.lists(st.fixed_dictionaries({"resource": _RESOURCE}), max_size=4),
    }
)


def _read_json(text: str, suffix: str = ".json") -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"fuzz{suffix}"
        path.write_text(text, encoding="utf-8")
        try:
            result = read_reports(path, format="fhir")
        except InputError:
            return
        assert_accounted(result)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_JSON)
def test_fuzz_random_json(value):
    _read_json(json.dumps(value))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_BUNDLE, min_size=1, max_size=3))
def test_fuzz_bundle_shaped_json(bundles):
    _read_json(json.dumps(bundles[0]))
    _read_json("\n".join(json.dumps(b) for b in bundles), ".ndjson")
