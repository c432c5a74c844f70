"""FHIR R4 mCODE bundles: valid R4, codes and references that round-trip, stable bytes."""

from __future__ import annotations

import json
import re
import tempfile
import uuid
from pathlib import Path

import polars as pl
import pytest
from fhir.resources.R4B.bundle import Bundle
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from oncoreg.errors import InputError
from oncoreg.export._common import clean
from oncoreg.export.fhir import (
    BHYT_SYSTEM,
    CCCD_SYSTEM,
    HISTOLOGY_EXTENSION,
    ICD10,
    ICDO3,
    facility_system,
    patient_bundle,
    resource_id,
    write_fhir_bundles,
)
from oncoreg.ingest.canonical import NAMES, REQUIRED

from .conftest import SAMPLE_ROWS, frame_of

FULL_URL_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://oncoreg.org/fhir/")


def parse(path: Path) -> Bundle:
    """Parse a bundle file with the strict R4 (R4B package) models of fhir.resources."""
    return Bundle.model_validate_json(path.read_bytes())


def resources(bundle: dict, resource_type: str) -> list[dict]:
    return [
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == resource_type
    ]


@pytest.fixture
def written(reports, tmp_path) -> dict[str, dict]:
    """The bundles of the sample frame, by the patient's facility and key."""
    paths = write_fhir_bundles(reports, tmp_path / "fhir")
    bundles = [json.loads(path.read_text(encoding="utf-8")) for path in paths]
    return {resources(b, "Patient")[0]["id"]: b for b in bundles}


def test_one_bundle_per_patient_per_facility(reports, tmp_path):
    paths = write_fhir_bundles(reports, tmp_path)
    relative = sorted(path.relative_to(tmp_path).as_posix() for path in paths)
    assert len(relative) == 4  # BVK: 2 patients; 79-BVUB: 1; 36-BVT: 1
    assert "BVK/mrn.0012345.json" in relative
    assert "79-BVUB/report.9.json" in relative
    assert any(name.startswith("36-BVT/h-") for name in relative)  # "BN 4455" is hashed


def test_every_bundle_and_resource_is_valid_r4(reports, tmp_path):
    for path in write_fhir_bundles(reports, tmp_path):
        bundle = parse(path)
        assert bundle.type == "collection"
        for entry in bundle.entry:
            assert entry.resource.get_resource_type() in {
                "Patient",
                "Condition",
                "Observation",
                "Procedure",
                "MedicationAdministration",
            }
        assert path.read_bytes().endswith(b"}\n")


def test_reference_mcode_bundle_parses_and_parser_is_strict(reference_dir):
    folder = reference_dir / "fhir-mcode"
    bundle = parse(folder / "Bundle-mcode-patient-bundle-jenny-m.json")
    assert len(bundle.entry) == 40
    with pytest.raises(ValidationError):  # its Bundle.id holds "_": not a FHIR id
        parse(folder / "legacy-stu1_TrialMatching_Patient02.json")


def test_icdo3_codes_and_report_ids_round_trip(written):
    by_report = {row["report_id"]: row for row in SAMPLE_ROWS}
    conditions = [c for b in written.values() for c in resources(b, "Condition")]
    assert len(conditions) == len(SAMPLE_ROWS)
    for condition in conditions:
        (identifier,) = condition["identifier"]
        row = by_report[identifier["value"]]
        assert identifier["system"] == facility_system(row["facility_code"], "report")
        site = [c["code"] for c in condition["code"]["coding"] if c["system"] == ICDO3]
        assert site == [row["topography"]]
        assert condition["bodySite"][0]["coding"][0]["code"] == row["topography"]
        (histology,) = [e for e in condition["extension"] if e["url"] == HISTOLOGY_EXTENSION]
        expected = f"{row['morphology']}/{row['behaviour']}"
        assert histology["valueCodeableConcept"]["coding"][0]["code"] == expected
        assert condition["onsetDateTime"] == row["diagnosis_date"]  # partial dates kept


def test_patient_birth_dates_names_and_identifiers(written):
    lan = written["patient-BVK.mrn.0012345"]["entry"][0]["resource"]
    assert lan["birthDate"] == "1965-03"
    assert lan["name"] == [
        {"use": "official", "text": "Nguyễn Thị Lan", "family": "Nguyễn", "given": ["Thị", "Lan"]}
    ]
    identifiers = {i["system"]: i["value"] for i in lan["identifier"]}
    assert identifiers == {
        facility_system("BVK", "patient"): "0012345",
        CCCD_SYSTEM: "001165001234",
        BHYT_SYSTEM: "DN4010012345678",
    }
    assert lan["address"] == [{"text": SAMPLE_ROWS[0]["address"], "state": "01", "country": "VN"}]
    hung = written["patient-BVK.mrn.0099881"]["entry"][0]["resource"]
    assert hung["birthDate"] == "1950"
    assert hung["name"][0]["text"] == "Trần Văn Hùng"
    assert {i["system"] for i in hung["identifier"]} == {
        facility_system("BVK", "patient"),
        BHYT_SYSTEM,
    }
    mai = written["patient-79-BVUB.report.9"]["entry"][0]["resource"]
    assert "identifier" not in mai and "birthDate" not in mai  # no IDs, no birth date


def test_long_or_unsafe_keys_get_hashed_ids(written):
    (bundle,) = [b for b in written.values() if "36-BVT" in json.dumps(b)]
    condition = resources(bundle, "Condition")[0]
    assert condition["id"] == resource_id("condition", "36-BVT", "BC/2021/000123")
    assert re.fullmatch(r"condition-[0-9a-f]{40}", condition["id"])  # "/" is not allowed
    assert resource_id("condition", "BVK", "R-001") == "condition-BVK.R-001"
    assert resource_id("condition", "B.K", "1").startswith("condition-")
    assert "." not in resource_id("condition", "B.K", "1")  # dotted facility: hashed


def test_references_resolve_within_the_bundle(written):
    for bundle in written.values():
        urls = [entry["fullUrl"] for entry in bundle["entry"]]
        assert len(set(urls)) == len(urls)
        patient_url = urls[0]
        for reference in _references(bundle):
            assert reference in urls
        for entry in bundle["entry"]:
            resource = entry["resource"]
            name = f"{resource['resourceType']}/{resource['id']}"
            assert entry["fullUrl"] == f"urn:uuid:{uuid.uuid5(FULL_URL_NAMESPACE, name)}"
            if resource["resourceType"] != "Patient":
                assert resource["subject"] == {"reference": patient_url}


def _references(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "reference":
                yield value
            else:
                yield from _references(value)
    elif isinstance(node, list):
        for item in node:
            yield from _references(item)


def test_icd10_coding_when_the_converter_is_there(written):
    pytest.importorskip("oncoreg.codes.icd10")
    bundle = written["patient-BVK.mrn.0012345"]
    codes = [
        [c["code"] for c in condition["code"]["coding"] if c["system"] == ICD10]
        for condition in resources(bundle, "Condition")
    ]
    assert codes == [["C50.9"], ["C18.7"]]


def test_two_tumours_staging_treatment_and_death(written):
    bundle = written["patient-BVK.mrn.0012345"]
    patient = resources(bundle, "Patient")[0]
    assert patient["deceasedDateTime"] == "2023-02-10"
    assert len(resources(bundle, "Condition")) == 2
    observations: dict[str, list[dict]] = {}
    for observation in resources(bundle, "Observation"):
        observations.setdefault(observation["code"]["coding"][0]["code"], []).append(observation)
    stage_groups = [o["valueCodeableConcept"]["coding"][0]["code"] for o in observations["21908-9"]]
    assert stage_groups == ["IIB", "III"]  # in report order
    assert observations["21905-5"][0]["valueCodeableConcept"]["coding"][0]["code"] == "T2"
    assert len(observations["21905-5"]) == 1  # R-002 has no T category
    (vital,) = observations["75186-7"]
    assert vital["effectiveDateTime"] == "2023-02-10"
    assert vital["valueCodeableConcept"]["text"] == "dead"
    cause = observations["69453-9"][0]["valueCodeableConcept"]["coding"][0]
    assert (cause["system"], cause["code"]) == (ICD10, "C50.9")
    procedures = resources(bundle, "Procedure")
    assert len(procedures) == 3  # R-001 surgery + radiotherapy, R-002 surgery
    assert {p.get("performedDateTime") for p in procedures} == {"2020-07-01", None}
    administrations = resources(bundle, "MedicationAdministration")
    assert sorted(a["medicationCodeableConcept"]["text"] for a in administrations) == [
        "chemotherapy",
        "systemic therapy",
    ]


def test_same_frame_gives_the_same_bytes(reports, tmp_path):
    first = write_fhir_bundles(reports, tmp_path / "a")
    second = write_fhir_bundles(reports.reverse(), tmp_path / "b")
    assert [p.relative_to(tmp_path / "a") for p in first] == [
        p.relative_to(tmp_path / "b") for p in second
    ]
    for one, two in zip(first, second, strict=True):
        assert one.read_bytes() == two.read_bytes()


def test_patient_bundle_matches_the_file(reports, tmp_path):
    rows = [row for row in SAMPLE_ROWS if row.get("patient_no") == "0012345"]
    (path,) = [p for p in write_fhir_bundles(reports, tmp_path) if "0012345" in p.name]
    assert patient_bundle(list(reversed(rows))) == json.loads(path.read_text(encoding="utf-8"))
    with pytest.raises(InputError):
        patient_bundle(rows + [SAMPLE_ROWS[2]])  # two patients
    with pytest.raises(InputError):
        patient_bundle([])


def test_rows_without_keys_are_refused_without_personal_data(reports, tmp_path):
    broken = reports.with_columns(
        pl.when(pl.col("report_id") == "R-002").then(None).otherwise("report_id").alias("report_id")
    )
    with pytest.raises(InputError) as error:
        write_fhir_bundles(broken, tmp_path)
    assert [(p.row, p.field) for p in error.value.problems] == [(2, "report_id")]
    assert "Nguyễn" not in json.dumps(error.value.as_dict(), ensure_ascii=False)
    duplicated = pl.concat([reports, reports.head(1)])
    with pytest.raises(InputError, match="repeat"):
        write_fhir_bundles(duplicated, tmp_path)


_VALUES = st.one_of(
    st.none(),
    st.text(max_size=12),
    st.sampled_from(["1", "2", "0", " ", "2020-02-30", "2020-02", "0000", "C50.9", "a  b"]),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.fixed_dictionaries({name: _VALUES for name in NAMES}), min_size=1, max_size=5))
def test_random_frames_give_valid_bundles_or_input_errors(rows):
    frame = frame_of(rows)
    keys = [tuple(clean(row[name]) for name in REQUIRED) for row in rows]
    refused = any(not all(key) for key in keys) or len(set(keys)) < len(keys)
    with tempfile.TemporaryDirectory() as folder:
        try:
            paths = write_fhir_bundles(frame, Path(folder))
        except InputError:
            assert refused
            return
        assert not refused
        for path in paths:
            parse(path)


def test_file_names_differ_on_case_insensitive_file_systems(tmp_path):
    rows = [
        {"report_id": "1", "facility_code": "bvk", "patient_no": "ab"},
        {"report_id": "2", "facility_code": "bvk", "patient_no": "AB"},
        {"report_id": "3", "facility_code": "BVK", "patient_no": "ab"},
        {"report_id": "4", "facility_code": "CON", "patient_no": "x/../y"},
    ]
    paths = write_fhir_bundles(frame_of(rows), tmp_path)
    names = [path.relative_to(tmp_path).as_posix().casefold() for path in paths]
    assert len(set(names)) == 4
    assert all(".." not in name.split("/") and not name.startswith("con/") for name in names)
    for path in paths:
        parse(path)
