"""Hospital reports as HL7 FHIR R4 (4.0.1) bundles with mCODE profiles.

One ``Bundle`` (type ``collection``, profile ``mcode-patient-bundle``) per patient per
facility: the reports of one ``facility_code`` sharing a ``patient_no`` (a report without
``patient_no`` is a patient of its own). Files are ``<out_dir>/<facility>/<patient>.json``,
compact UTF-8 JSON with a trailing newline; the same frame always gives the same bytes.

What each resource carries (profile URLs are mCODE's canonical ones, as in mCODE STU2-4):

* ``Patient`` (mcode-cancer-patient), each value from the first report (by report_id)
  that has it: the facility's patient number, national ID (CCCD) and insurance number as
  identifiers; the name as written in ``text``, the family name in ``family`` and
  ``given`` = [middle names, given name] (a full name alone is split at its first and
  last word, Vietnamese order); gender; birth date with its precision; phone; address
  text with the 2-digit province code in ``state``; date of death.
* ``Condition`` (mcode-primary-cancer-condition), one per report: ``identifier`` = the
  report_id under the facility's report system; ``code`` = ICD-10 (when
  ``oncoreg.codes.icd10`` can derive it) and the ICD-O-3 topography; ``bodySite`` = the
  topography with the mCODE laterality qualifier (right, left, bilateral); extensions for
  the ICD-O-3 morphology/behaviour (mCODE), and oncoreg's basis of diagnosis, laterality
  code and age at diagnosis; ``stage`` = the TNM stage group and the summary stage.
* ``Observation``: TNM stage group (mcode-tnm-stage-group, LOINC 21908-9) with the T, N
  and M categories (21905-5, 21906-3, 21907-1) as members, all clinical; the ICD-O-3 grade
  as mcode-histologic-grade (a registry grade code, since ICD-O-3 grades are not SNOMED
  concepts); vital status (LOINC 75186-7, SNOMED alive/dead) of the report with the
  latest last contact; cause of death (LOINC 69453-9, ICD-10).
* ``Procedure``: surgery (mcode-cancer-related-surgical-procedure) and radiotherapy
  (mcode-radiotherapy-course-summary) when the report says 1; ``MedicationAdministration``
  (mcode-cancer-related-medication-administration) for chemotherapy and other systemic
  therapy, dated by the first treatment or else the diagnosis.

Values FHIR cannot hold are left out rather than written invalid (a date that is not a
real ``YYYY[-MM[-DD]]``; a code with inner runs of blanks stays as ``text``); a treatment
"no" (0) and an unknown one both give no resource. Ids are ``<kind>-<facility>.<key>``
when valid, else ``<kind>-`` + SHA-1; ``fullUrl`` is ``urn:uuid:`` + UUID5 of
``<type>/<id>``, and references use it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import uuid
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple
from urllib.parse import quote

import polars as pl

from oncoreg.codes.morphology import grade_table
from oncoreg.export._common import (
    PatientGroup,
    Row,
    first_value,
    group_rows,
    is_partial_date,
    latest_contact,
    name_parts,
    patient_groups,
    patient_labels,
    prepare,
    safe_name,
    sha1_hex,
    unique_names,
)

logger = logging.getLogger(__name__)

MCODE = "http://hl7.org/fhir/us/mcode/StructureDefinition/"
ONCOREG = "https://oncoreg.org/fhir/"
ONCOREG_SID = ONCOREG + "sid/"
CCCD_SYSTEM = ONCOREG_SID + "vn-cccd"
BHYT_SYSTEM = ONCOREG_SID + "vn-bhyt"
HISTOLOGY_EXTENSION = MCODE + "mcode-histology-morphology-behavior"
BASIS_EXTENSION = ONCOREG + "StructureDefinition/basis-of-diagnosis"
LATERALITY_EXTENSION = ONCOREG + "StructureDefinition/laterality"
AGE_EXTENSION = ONCOREG + "StructureDefinition/age-at-diagnosis"
TNM_CATEGORY_SYSTEM = ONCOREG + "CodeSystem/tnm-category"
STAGE_GROUP_SYSTEM = ONCOREG + "CodeSystem/tnm-stage-group"
SUMMARY_STAGE_SYSTEM = ONCOREG + "CodeSystem/summary-stage"
GRADE_SYSTEM = ONCOREG + "CodeSystem/icdo3-grade"
ICDO3 = "http://terminology.hl7.org/CodeSystem/icd-o-3"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
NCIT = "http://ncicb.nci.nih.gov/xml/owl/EVS/Thesaurus.owl"
UCUM = "http://unitsofmeasure.org"
V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"
VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
ABSENT_CS = "http://terminology.hl7.org/CodeSystem/data-absent-reason"
DATA_ABSENT = "http://hl7.org/fhir/StructureDefinition/data-absent-reason"

_UUID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, ONCOREG)
# Compact, UTF-8 as written; the bundles are trees, so the cycle check is skipped.
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False)
_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
_CODE = re.compile(r"[^\s]+(\s[^\s]+)*")

PATIENT_FIELDS = (  # the columns a Patient takes from the first report that has them
    *("patient_no", "national_id", "insurance_no", "phone", "address", "province_code"),
    *("full_name", "family_name", "middle_name", "given_name", "sex", "birth_date"),
    "death_date",
)
GENDER = {"1": "male", "2": "female"}
LATERALITY_QUALIFIER = {
    "1": ("24028007", "Right (qualifier value)"),
    "2": ("7771000", "Left (qualifier value)"),
    "4": ("51440002", "Right and left (qualifier value)"),
}
VITAL_STATUS = {
    "1": ("438949009", "Alive (finding)", "alive"),
    "2": ("419099009", "Dead (finding)", "dead"),
}
TNM_CATEGORIES = (  # column, id kind, profile, LOINC code and display
    ("tnm_t", "tnmt", "mcode-tnm-primary-tumor-category", "21905-5", "Primary tumor.clinical"),
    ("tnm_n", "tnmn", "mcode-tnm-regional-nodes-category", "21906-3", "Regional lymph nodes"),
    ("tnm_m", "tnmm", "mcode-tnm-distant-metastases-category", "21907-1", "Distant metastases"),
)


class Treatment(NamedTuple):
    """How a treatment column of the report becomes a resource."""

    column: str
    kind: str
    resource_type: str
    profile: str
    text: str
    snomed: tuple[str, str] = ("", "")


TREATMENTS = (
    Treatment(
        "surgery",
        "surgery",
        "Procedure",
        "mcode-cancer-related-surgical-procedure",
        "cancer-directed surgery",
        ("387713003", "Surgical procedure (procedure)"),
    ),
    Treatment(
        "radiotherapy",
        "radiotherapy",
        "Procedure",
        "mcode-radiotherapy-course-summary",
        "radiotherapy",
        ("1217123003", "Radiotherapy course of treatment (regime/therapy)"),
    ),
    Treatment(
        "chemotherapy",
        "chemotherapy",
        "MedicationAdministration",
        "mcode-cancer-related-medication-administration",
        "chemotherapy",
    ),
    Treatment(
        "systemic_other",
        "systemic",
        "MedicationAdministration",
        "mcode-cancer-related-medication-administration",
        "systemic therapy",
    ),
)


def write_fhir_bundles(reports: pl.DataFrame, out_dir: Path) -> list[Path]:
    """Write one FHIR R4 mCODE bundle per patient per facility.

    Args:
        reports: canonical report frame (the columns of ``oncoreg.ingest.canonical.NAMES``).
        out_dir: directory to write into; ``<facility>/<patient>.json`` files are created
            or overwritten there, other files are left alone.

    Returns:
        The paths written, sorted.

    Raises:
        InputError: a canonical column is missing, a row lacks ``report_id`` or
            ``facility_code``, or a ``report_id`` repeats within its facility.
    """
    _icd10.cache_clear()  # the code tables may have changed since the last export
    frame = prepare(reports)
    paths = _bundle_paths(patient_labels(frame), Path(out_dir))
    for directory in sorted({path.parent for path in paths.values()}):
        directory.mkdir(parents=True, exist_ok=True)
    for group in patient_groups(frame):  # one patient in memory at a time
        path = paths[group.facility_code, group.label]
        path.write_bytes((_JSON.encode(_bundle(group)) + "\n").encode("utf-8"))
    logger.info("wrote %d FHIR bundles", len(paths))
    return sorted(paths.values())


def patient_bundle(rows: list[Row]) -> dict:
    """Build the FHIR bundle of one patient's reports at one facility.

    Args:
        rows: canonical rows (dicts by column name; missing columns count as empty) of one
            patient: one ``facility_code`` and one ``patient_no``, or a single report
            without ``patient_no``.

    Returns:
        The bundle as a JSON-ready dict; the same rows in any order give an equal dict.

    Raises:
        InputError: no rows, a row lacks ``report_id`` or ``facility_code``, or the rows
            belong to more than one patient.
    """
    _icd10.cache_clear()
    return _bundle(group_rows(rows))


def _bundle_paths(patients: list[tuple[str, str]], out_dir: Path) -> dict[tuple, Path]:
    by_facility: dict[str, list[str]] = {}
    for facility, label in patients:
        by_facility.setdefault(facility, []).append(label)
    folders = unique_names({code: safe_name(code) for code in by_facility})
    return {
        (code, label): out_dir / folders[code] / f"{stem}.json"
        for code, labels in by_facility.items()
        for label, stem in unique_names({label: safe_name(label) for label in labels}).items()
    }


def _bundle(group: PatientGroup) -> dict:
    patient = _patient(group)
    entries = [patient]
    for row in group.rows:
        entries.extend(_report_resources(row, patient))
    entries.extend(_follow_up(group, patient))
    return {
        "resourceType": "Bundle",
        "id": resource_id("bundle", group.facility_code, group.label),
        "meta": _meta("mcode-patient-bundle"),
        "type": "collection",
        "entry": [{"fullUrl": full_url(res), "resource": res} for res in entries],
    }


def resource_id(kind: str, facility: str, key: str) -> str:
    """A deterministic FHIR id: ``kind-facility.key`` when that is a valid id, else hashed.

    Readable ids hold a dot after the facility code and hashed ones (``kind-`` + 40 hex
    digits of SHA-1) hold none, so the two forms cannot collide; a facility code that
    itself holds a dot is always hashed.
    """
    readable = f"{kind}-{facility}.{key}"
    if "." not in facility and _ID.fullmatch(readable):
        return readable
    return f"{kind}-{sha1_hex(facility, key)[:40]}"


def full_url(resource: dict) -> str:
    """The bundle ``fullUrl`` of a resource: ``urn:uuid:`` + UUID5 of ``Type/id``."""
    return _uuid5_urn(f"{resource['resourceType']}/{resource['id']}")


@lru_cache(maxsize=4096)
def _uuid5_urn(name: str) -> str:
    # uuid.uuid5(_UUID_NAMESPACE, name), without building UUID objects (a tenth the time).
    digest = bytearray(hashlib.sha1(_UUID_NAMESPACE.bytes + name.encode("utf-8")).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    h = digest.hex()
    return f"urn:uuid:{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _ref(resource: dict) -> dict:
    return {"reference": full_url(resource)}


def _meta(profile: str) -> dict:
    return {"profile": [MCODE + profile]}


def _code(value: str | None) -> str | None:
    return value if value and _CODE.fullmatch(value) else None


def fhir_date(value: str | None) -> str | None:
    """``value`` if it is a real date written ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``."""
    return value if is_partial_date(value) else None


def _coding(system: str, code: str | None, display: str | None = None) -> list[dict]:
    valid = _code(code)
    if valid is None:
        return []
    coding = {"system": system, "code": valid}
    if display:
        coding["display"] = display
    return [coding]


def _concept(system: str, code: str, text: str | None = None) -> dict:
    """A CodeableConcept; a value that is not a valid FHIR code is kept as its text."""
    coding = _coding(system, code)
    concept: dict = {"coding": coding} if coding else {}
    if text or not coding:
        concept["text"] = text or code
    return concept


def _snomed(code: str, display: str, text: str | None = None) -> dict:
    concept: dict = {"coding": _coding(SNOMED, code, display)}
    if text:
        concept["text"] = text
    return concept


def _loinc(code: str, display: str) -> dict:
    return {"coding": _coding(LOINC, code, display)}


def _identifier(system: str, value: str | None, type_code: str, text: str) -> list[dict]:
    if value is None:
        return []
    kind = {"coding": [{"system": V2_0203, "code": type_code}], "text": text}
    return [{"type": kind, "system": system, "value": value}]


def facility_system(facility: str, what: str) -> str:
    """The identifier system of a facility's ``patient`` numbers or ``report`` ids."""
    return f"{ONCOREG_SID}facility/{quote(facility, safe='')}/{what}"


# --- Patient -------------------------------------------------------------------------


def _patient(group: PatientGroup) -> dict:
    value = {name: first_value(group.rows, name) for name in PATIENT_FIELDS}
    resource: dict = {
        "resourceType": "Patient",
        "id": resource_id("patient", group.facility_code, group.label),
        "meta": _meta("mcode-cancer-patient"),
    }
    optional = {
        "identifier": _patient_identifiers(group.facility_code, value),
        "name": _names(value),
        "telecom": [{"system": "phone", "value": value["phone"]}] if value["phone"] else [],
        "gender": GENDER.get(value["sex"] or "", "unknown"),
        "birthDate": fhir_date(value["birth_date"]),
        "address": _address(value),
    }
    resource.update({key: item for key, item in optional.items() if item})
    death = fhir_date(value["death_date"])
    if death:
        resource["deceasedDateTime"] = death
    elif latest_contact(group.rows)["vital_status"] == "2":
        resource["deceasedBoolean"] = True
    return resource


def _patient_identifiers(facility: str, value: Row) -> list[dict]:
    mrn = facility_system(facility, "patient")
    return (
        _identifier(mrn, value["patient_no"], "MR", "Medical record number")
        + _identifier(CCCD_SYSTEM, value["national_id"], "NI", "CCCD")
        + _identifier(BHYT_SYSTEM, value["insurance_no"], "MB", "BHYT")
    )


def _names(value: Row) -> list[dict]:
    family, middle, given = name_parts(value)
    text = value["full_name"] or " ".join(part for part in (family, middle, given) if part)
    if not text:
        return []
    name: dict = {"use": "official", "text": text}
    if family:
        name["family"] = family
    if middle or given:
        name["given"] = [part for part in (middle, given) if part]
    return [name]


def _address(value: Row) -> list[dict]:
    address = {"text": value["address"], "state": value["province_code"]}
    if not any(address.values()):
        return []
    return [{key: item for key, item in address.items() if item} | {"country": "VN"}]


# --- One report: condition, staging, grade, treatments ---------------------------------


def _report_resources(row: Row, patient: dict) -> list[dict]:
    condition = _condition(row, patient)
    staging = _staging(row, patient, condition)
    _link_stages(condition, staging, row)
    resources = [condition, *staging]
    if row["grade"]:
        resources.append(_grade(row, patient, condition))
    given = [spec for spec in TREATMENTS if row[spec.column] == "1"]
    resources.extend(_treatment(spec, row, patient, condition) for spec in given)
    return resources


def _report_id(kind: str, row: Row) -> str:
    return resource_id(kind, row["facility_code"] or "", row["report_id"] or "")


def _condition(row: Row, patient: dict) -> dict:
    resource: dict = {
        "resourceType": "Condition",
        "id": _report_id("condition", row),
        "meta": _meta("mcode-primary-cancer-condition"),
    }
    extensions = _condition_extensions(row)
    if extensions:
        resource["extension"] = extensions
    system = facility_system(row["facility_code"] or "", "report")
    resource["identifier"] = [{"system": system, "value": row["report_id"]}]
    resource["verificationStatus"] = {"coding": [{"system": VERIFICATION, "code": "confirmed"}]}
    resource["category"] = [{"coding": [{"system": CATEGORY, "code": "problem-list-item"}]}]
    resource.update(_condition_codes(row))
    resource["subject"] = _ref(patient)
    diagnosed = fhir_date(row["diagnosis_date"])
    if diagnosed:
        resource["onsetDateTime"] = diagnosed
        resource["recordedDate"] = diagnosed
    return resource


def _condition_extensions(row: Row) -> list[dict]:
    extensions = []
    if row["morphology"]:
        code = "/".join(part for part in (row["morphology"], row["behaviour"]) if part)
        extensions.append(
            {"url": HISTOLOGY_EXTENSION, "valueCodeableConcept": _concept(ICDO3, code)}
        )
    for column, url in (("basis", BASIS_EXTENSION), ("laterality", LATERALITY_EXTENSION)):
        code = _code(row[column])
        if code:
            extensions.append({"url": url, "valueCode": code})
    age = row["age_at_diagnosis"]
    if age and age.isascii() and age.isdigit() and len(age) <= 3:
        quantity = {"value": int(age), "unit": "a", "system": UCUM, "code": "a"}
        extensions.append({"url": AGE_EXTENSION, "valueAge": quantity})
    return extensions


def _condition_codes(row: Row) -> dict:
    topography = row["topography"]
    if not topography:
        return {}
    icd10 = None
    if row["morphology"] and row["behaviour"]:
        sex = row["sex"] if row["sex"] in ("1", "2") else None
        icd10 = _icd10(topography, f"{row['morphology']}/{row['behaviour']}", sex)
    codings = _coding(ICD10, icd10) + _coding(ICDO3, topography)
    site = _concept(ICDO3, topography)
    qualifier = LATERALITY_QUALIFIER.get(row["laterality"] or "")
    if qualifier:
        laterality = {"valueCodeableConcept": _snomed(*qualifier)}
        site["extension"] = [{"url": MCODE + "mcode-laterality-qualifier"} | laterality]
    code = {"coding": codings} if codings else {"text": topography}
    return {"code": code, "bodySite": [site]}


@lru_cache(maxsize=8192)
def _icd10(topography: str, morphology: str, sex: str | None) -> str | None:
    """ICD-10 from ``oncoreg.codes.icd10.to_icd10`` when that module exists, else None.

    The ICD-10 coding is an extra: whatever the converter raises (an invalid code, or an
    interface other than the expected one), the export goes on without it.
    """
    try:
        from oncoreg.codes.icd10 import to_icd10

        result = to_icd10(topography, morphology, int(sex) if sex else None)
    except Exception:  # an optional extra coding, see the docstring
        return None
    code = getattr(result, "code", result)
    return code if isinstance(code, str) else None


def _observation(resource_id_: str, profile: str | None, code: dict, patient: dict) -> dict:
    resource: dict = {"resourceType": "Observation", "id": resource_id_}
    if profile:
        resource["meta"] = _meta(profile)
    resource.update(status="final", code=code, subject=_ref(patient))
    return resource


def _dated(resource: dict, date: str | None, field: str = "effectiveDateTime") -> dict:
    valid = fhir_date(date)
    if valid:
        resource[field] = valid
    return resource


def _staging(row: Row, patient: dict, condition: dict) -> list[dict]:
    members = []
    for column, kind, profile, loinc, display in TNM_CATEGORIES:
        if row[column]:
            member = _observation(_report_id(kind, row), profile, _loinc(loinc, display), patient)
            member["focus"] = [_ref(condition)]
            _dated(member, row["diagnosis_date"])
            member["valueCodeableConcept"] = _concept(TNM_CATEGORY_SYSTEM, row[column])
            members.append(member)
    if not row["stage_group"]:
        return members
    code = _loinc("21908-9", "Stage group.clinical Cancer")
    group = _observation(_report_id("stagegroup", row), "mcode-tnm-stage-group", code, patient)
    group["focus"] = [_ref(condition)]
    _dated(group, row["diagnosis_date"])
    group["valueCodeableConcept"] = _concept(STAGE_GROUP_SYSTEM, row["stage_group"])
    if members:
        group["hasMember"] = [_ref(member) for member in members]
    return [group, *members]


def _link_stages(condition: dict, staging: list[dict], row: Row) -> None:
    stages = []
    if row["stage_group"]:
        summary = _concept(STAGE_GROUP_SYSTEM, row["stage_group"])
        stages.append({"summary": summary, "assessment": [_ref(staging[0])]})
    if row["summary_stage"]:
        summary = _concept(SUMMARY_STAGE_SYSTEM, row["summary_stage"])
        stages.append({"summary": summary, "type": {"text": "summary stage"}})
    if stages:
        condition["stage"] = stages


def _grade(row: Row, patient: dict, condition: dict) -> dict:
    code = {"coding": _coding(NCIT, "C18000", "Histologic Grade")}
    resource = _observation(_report_id("grade", row), "mcode-histologic-grade", code, patient)
    related = {"url": MCODE + "mcode-related-condition", "valueReference": _ref(condition)}
    resource = {"extension": [related]} | resource  # extensions first, as mCODE writes them
    _dated(resource, row["diagnosis_date"])
    grade = row["grade"] or ""
    known = grade_table().get(grade)
    resource["valueCodeableConcept"] = _concept(GRADE_SYSTEM, grade, known and known.label_en)
    return resource


def _treatment(spec: Treatment, row: Row, patient: dict, condition: dict) -> dict:
    resource: dict = {"resourceType": spec.resource_type, "id": _report_id(spec.kind, row)}
    resource["meta"] = _meta(spec.profile)
    resource["status"] = "completed"
    if spec.resource_type == "Procedure":
        resource["code"] = _snomed(*spec.snomed, text=spec.text)
        resource["subject"] = _ref(patient)
        _dated(resource, row["first_treatment_date"], "performedDateTime")
    else:
        resource["medicationCodeableConcept"] = {"text": spec.text}
        resource["subject"] = _ref(patient)
        when = fhir_date(row["first_treatment_date"]) or fhir_date(row["diagnosis_date"])
        if when:
            resource["effectiveDateTime"] = when
        else:
            absent = {"url": DATA_ABSENT, "valueCode": "unknown"}
            resource["effectivePeriod"] = {"extension": [absent]}
    resource["reasonReference"] = [_ref(condition)]
    return resource


# --- Follow-up: vital status and cause of death (one each per patient) ----------------


def _follow_up(group: PatientGroup, patient: dict) -> list[dict]:
    resources = []
    latest = latest_contact(group.rows)
    if latest["vital_status"] or fhir_date(latest["last_contact_date"]):
        resources.append(_vital_status(group, patient, latest))
    cause = first_value(group.rows, "cause_of_death")
    if cause:
        code = _loinc("69453-9", "Cause of death")
        resource_id_ = resource_id("causeofdeath", group.facility_code, group.label)
        resource = _observation(resource_id_, None, code, patient)
        _dated(resource, first_value(group.rows, "death_date"))
        resource["valueCodeableConcept"] = _concept(ICD10, cause)
        resources.append(resource)
    return resources


def _vital_status(group: PatientGroup, patient: dict, latest: Row) -> dict:
    resource_id_ = resource_id("vitalstatus", group.facility_code, group.label)
    resource = _observation(resource_id_, None, _loinc("75186-7", "Vital status"), patient)
    _dated(resource, latest["last_contact_date"])
    status = latest["vital_status"]
    if status in VITAL_STATUS:
        resource["valueCodeableConcept"] = _snomed(*VITAL_STATUS[status])
    elif status:
        resource["valueCodeableConcept"] = {"text": status}
    else:
        resource["dataAbsentReason"] = {"coding": [{"system": ABSENT_CS, "code": "unknown"}]}
    return resource
