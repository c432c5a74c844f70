"""FHIR reports: R4 bundles (mCODE) as oncoreg's FHIR export writes them, and as others do.

Input: a Bundle JSON file, an NDJSON file (a Bundle a line) or a folder of them (sorted,
recursive). Resources of types FHIR does not know are skipped (one warning), then each
bundle is checked with ``fhir.resources.R4B``: an invalid one is a problem per Condition,
naming the file (``file:line`` for NDJSON) and the first error's location, never a value.
One row per primary cancer ``Condition`` (``_row``: its ``Bundle.entry`` index), as the
inverse of ``oncoreg.export.fhir``:

* Patient (the Condition's ``subject``): name parts (the last given name is the given
  name; ``text`` -> full_name only when it says more), gender male/female/unknown -> 1/2/9,
  birthDate, identifiers by system or ``type`` (v2-0203 MR/NI/MB or its text), phone,
  address text (or lines and city) and ``state``, deceasedDateTime.
* Condition: report_id and facility from the facility's report identifier (else the first
  identifier or the id, the facility from the patient identifier or the ``facility``
  argument); ICD-O-3 topography of ``bodySite`` or ``code``; ``8500/3`` from the mCODE
  histology extension; oncoreg's basis, laterality, age extensions; onset -> diagnosis.
* Observations about it (``focus``, stage-group members, related-condition): stage group,
  T, N, M, grade. Per patient: vital status and its date, cause of death.
* Procedures and MedicationAdministrations for it (``reasonReference``, else the patient's
  only cancer Condition): 1 (0 when ``not-done``); the earliest date -> first treatment.

Lossy, by the export's design: person fields, vital status, last contact and cause of
death are per patient; a full name comes back as its parts; an empty sex comes back 9;
treatments 0 and unknown both come back empty; behaviour without morphology and a first
treatment date without a treatment are not written; a drug without a treatment date
carries the diagnosis date. Values coded in other systems stay empty (a warning a field).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.resource import Resource
from pydantic import ValidationError

from oncoreg.errors import Problem
from oncoreg.export import fhir as export
from oncoreg.ingest import readers
from oncoreg.ingest.canonical import NAMES
from oncoreg.ingest.profiles import Profile
from oncoreg.text import fold_vietnamese

Json = dict[str, Any]
Links = dict[int, list[tuple[str, Json]]]  # id() of a Condition or Patient -> resources

READ = frozenset(("Patient", "Condition", "Observation", "Procedure", "MedicationAdministration"))
GENDER = {"male": "1", "female": "2", "unknown": "9"}
VITAL_CODES = {code: status for status, (code, _, _) in export.VITAL_STATUS.items()}
LATERALITY_CODES = {code: value for value, (code, _) in export.LATERALITY_QUALIFIER.items()}
OBSERVATION_CODES = {
    (export.LOINC, "21908-9"): "stage_group",
    **{(export.LOINC, loinc): column for column, _, _, loinc, _ in export.TNM_CATEGORIES},
    **{(export.SNOMED, "399537006"): "stage_group", (export.SNOMED, "399504009"): "tnm_t"},
    **{(export.SNOMED, "399534004"): "tnm_n", (export.SNOMED, "399387003"): "tnm_m"},
    (export.NCIT, "C18000"): "grade",
    (export.LOINC, "75186-7"): "vital_status",
    (export.LOINC, "69453-9"): "cause_of_death",
}
OBSERVATION_PROFILES = {
    export.MCODE + "mcode-tnm-stage-group": "stage_group",
    **{export.MCODE + profile: column for column, _, profile, _, _ in export.TNM_CATEGORIES},
    export.MCODE + "mcode-histologic-grade": "grade",
}
VALUE_SYSTEMS = {
    **dict.fromkeys(("tnm_t", "tnm_n", "tnm_m"), (export.TNM_CATEGORY_SYSTEM,)),
    "stage_group": (export.STAGE_GROUP_SYSTEM,),
    "grade": (export.GRADE_SYSTEM,),
    "cause_of_death": (export.ICD10, "http://hl7.org/fhir/sid/icd-10-cm"),
}
_PROCEDURES = [spec for spec in export.TREATMENTS if spec.resource_type == "Procedure"]
PROCEDURE_PROFILES = {export.MCODE + spec.profile: spec.column for spec in _PROCEDURES}
PROCEDURE_CODES = {spec.snomed[0]: spec.column for spec in _PROCEDURES}
MEDICATION_TEXTS = {s.text: s.column for s in export.TREATMENTS if s not in _PROCEDURES}
TREATMENT_COLUMNS = frozenset(spec.column for spec in export.TREATMENTS)
SYSTEM_FIELDS = {export.CCCD_SYSTEM: "national_id", export.BHYT_SYSTEM: "insurance_no"}
IDENTIFIER_TYPES = (  # v2-0203 code, words of the type's text (folded), field
    ("MR", ("medical record", "mrn", "benh an", "ma bn"), "patient_no"),
    ("NI", ("cccd", "cmnd", "can cuoc", "national"), "national_id"),
    ("MB", ("bhyt", "insurance", "bao hiem"), "insurance_no"),
)
WARNINGS = {
    "unknown": "unknown FHIR resource types skipped",
    "unread": "resource types oncoreg does not read, ignored",
    "foreign": "values coded in systems oncoreg does not read, left empty (by field)",
    "other": "Conditions that are not primary cancers, skipped",
    "no-cancer": "bundles without a primary cancer Condition",
    "unresolved": "Conditions whose subject is not a Patient of the bundle",
    "medication": "MedicationAdministrations neither chemotherapy nor other systemic therapy",
    "files": "files in the folder that are not bundles (.json, .ndjson), ignored",
}
_FACILITY_SYSTEM = re.compile(re.escape(export.ONCOREG_SID) + r"facility/([^/]+)/(patient|report)")
_CANCER_ICD10 = re.compile(r"C\d\d|D0\d|D[34]\d")
_TYPE_NAME = re.compile(r"[A-Z][A-Za-z]{0,63}")
_PRIMARY = export.MCODE + "mcode-primary-cancer-condition"
_SECONDARY = export.MCODE + "mcode-secondary-cancer-condition"


@dataclass
class _Reading:
    """What has been read so far, over every bundle of the input."""

    facility: str | None
    rows: readers.RowBuffer = field(default_factory=readers.RowBuffer)
    problems: list[Problem] = field(default_factory=list)
    records: int = 0
    counts: dict[str, Counter[str]] = field(default_factory=dict)

    def count(self, what: str, name: str = "", n: int = 1) -> None:
        self.counts.setdefault(what, Counter())[name] += n

    def warnings(self, file: str) -> list[Problem]:
        found = ((message, self.counts.get(what)) for what, message in WARNINGS.items())
        return [readers.counted(message, counts, file) for message, counts in found if counts]


def read_fhir(
    path: Path, profile: Profile | None = None, facility: str | None = None
) -> readers.ReadResult:
    """Read FHIR R4 bundles of reports (see the module docstring).

    Args:
        path: a ``.json`` Bundle, an ``.ndjson`` file of Bundles, or a folder of them.
        profile: not used (mapping profiles are for CSV and Excel).
        facility: the facility code for reports whose identifiers do not carry it.
    """
    path, reading = Path(path), _Reading(facility)
    for label, payload in _sources(path, reading):
        _read_bundle(label, payload, reading)
    frame, warnings = reading.rows.frame(), reading.warnings(str(path))
    return readers.make_result(path, "fhir", frame, reading.problems, warnings, reading.records)


def _sources(path: Path, reading: _Reading) -> Iterator[tuple[str, bytes]]:
    """``(label, JSON bytes)`` of every bundle: the file, or ``file:line`` for NDJSON."""
    files = list(readers.bundle_files(path)) if path.is_dir() else [path]
    if path.is_dir() and (others := sum(p.is_file() for p in path.rglob("*")) - len(files)):
        reading.count("files", n=others)
    for file in files:
        if file.suffix.lower() != ".ndjson":
            yield str(file), file.read_bytes()
            continue
        for number, line in enumerate(file.read_bytes().split(b"\n"), start=1):
            if line.strip():
                yield f"{file}:{number}", line


def _read_bundle(label: str, payload: bytes, reading: _Reading) -> None:
    bundle = _load(label, payload, reading)
    if bundle is None:
        return
    kept = []
    for index, entry in enumerate(_list(bundle.get("entry"))):
        kind = _type_of(entry)
        if isinstance(kind, str) and not _is_resource_type(kind):
            reading.count("unknown", kind if _TYPE_NAME.fullmatch(kind) else "(not a name)")
        else:
            kept.append((index, entry))
    if isinstance(bundle.get("entry"), list):
        bundle = {**bundle, "entry": [entry for _, entry in kept]}
    error = _validate(bundle, kept)
    if error is not None:
        _invalid(label, error, kept, reading)
    else:
        _extract(label, _Index(kept), reading)


def _load(label: str, payload: bytes, reading: _Reading) -> Json | None:
    try:
        data = json.loads(payload)
    except (ValueError, RecursionError):  # also a UnicodeDecodeError: not UTF-8
        message = "not JSON (UTF-8)"
    else:
        if isinstance(data, dict) and data.get("resourceType") == "Bundle":
            return data
        message = "not a FHIR Bundle (resourceType must be Bundle)"
    reading.problems.append(Problem(message, file=label, rule="fhir-bundle"))
    reading.records += 1
    return None


def _type_of(entry: object) -> object:
    return _dict(_dict(entry).get("resource")).get("resourceType")


@lru_cache(maxsize=1024)
def _is_resource_type(name: str) -> bool:
    try:
        model = get_fhir_model_class(name)
    except Exception:  # any failure to find the model means: not a known type
        return False
    return isinstance(model, type) and issubclass(model, Resource)


def _validate(bundle: Json, kept: list[tuple[int, Json]]) -> tuple[str, str | None] | None:
    """None for a valid R4 bundle, else the first error's kind and location (a FHIR path
    with the entry index of the file)."""
    try:
        Bundle.model_validate(bundle)
    except ValidationError as error:
        first = error.errors(include_url=False, include_context=False, include_input=False)[0]
        loc = list(first["loc"])
        if loc[:1] == ["entry"] and len(loc) > 1 and isinstance(loc[1], int) and loc[1] < len(kept):
            loc[1] = kept[loc[1]][0]
        return first["type"], re.sub(r"\.(\d+)", r"[\1]", ".".join(map(str, loc)))
    except Exception as error:  # fhir.resources raises KeyError, TypeError, ... as well
        return type(error).__name__, None
    return None


def _invalid(label: str, error: tuple[str, str | None], kept, reading: _Reading) -> None:
    """An invalid bundle loses every Condition it holds: one problem each (or one)."""
    kind, location = error
    message = f"not a valid FHIR R4 Bundle: {kind}" + (f" at {location}" if location else "")
    conditions = [index for index, item in kept if _type_of(item) == "Condition"] or [None]
    for index in conditions:
        problem = Problem(message, file=label, row=index, field=location, rule="fhir-valid")
        reading.problems.append(problem)
    reading.records += len(conditions)


# --- One valid bundle -------------------------------------------------------------------


class _Index:
    """The resources of a bundle, by type and by the references that point to them."""

    def __init__(self, kept: list[tuple[int, Json]]) -> None:
        self.by_ref: dict[str, Json] = {}
        self.by_type: dict[str, list[tuple[int, Json]]] = {}
        for index, entry in kept:
            resource = entry.get("resource")
            if not isinstance(resource, dict):
                continue
            kind = resource["resourceType"]
            self.by_type.setdefault(kind, []).append((index, resource))
            if entry.get("fullUrl"):
                self.by_ref[entry["fullUrl"]] = resource
            if resource.get("id"):
                self.by_ref[f"{kind}/{resource['id']}"] = resource

    def of(self, kind: str) -> list[tuple[int, Json]]:
        return self.by_type.get(kind, [])

    def resolve(self, reference: object, kind: str) -> Json | None:
        """The resource of a Reference (by fullUrl or ``Type/id``) if in the bundle."""
        ref = _dict(reference).get("reference")
        if not isinstance(ref, str):
            return None
        found = self.by_ref.get(ref) or self.by_ref.get("/".join(ref.split("/")[-2:]))
        return found if found and found["resourceType"] == kind else None


def _extract(label: str, index: _Index, reading: _Reading) -> None:
    for kind, items in index.by_type.items():
        if kind not in READ:
            reading.count("unread", kind, len(items))
    cancers = [(i, c) for i, c in index.of("Condition") if _is_cancer(c)]
    if len(cancers) < len(index.of("Condition")):
        reading.count("other", n=len(index.of("Condition")) - len(cancers))
    if not cancers:
        reading.count("no-cancer")
        return
    related, follow_up = _links(index, cancers, reading)
    for position, condition in cancers:
        row = _row(condition, index, related, follow_up, reading)
        row["_file"], row["_row"] = label, position
        reading.rows.append(row)
    reading.records += len(cancers)


def _is_cancer(condition: Json) -> bool:
    profiles = _list(_dict(condition.get("meta")).get("profile"))
    if _PRIMARY in profiles or _SECONDARY in profiles:
        return _PRIMARY in profiles
    urls = (extension.get("url") for extension in _dicts(condition.get("extension")))
    if export.HISTOLOGY_EXTENSION in urls:
        return True
    concepts = [_dict(condition.get("code")), *_dicts(condition.get("bodySite"))]
    if any(_system_code(concept, (export.ICDO3,)) for concept in concepts):
        return True
    icd10 = _system_code(concepts[0], (export.ICD10,))
    return bool(icd10 and _CANCER_ICD10.match(icd10))


def _links(index: _Index, cancers: list, reading: _Reading) -> tuple[Links, Links]:
    """Resources about each Condition, and follow-up about each Patient."""
    related: Links = {}
    follow_up: Links = {}
    for _, observation in index.of("Observation"):
        kind = _observation_kind(observation)
        if kind in ("vital_status", "cause_of_death"):
            patient = index.resolve(observation.get("subject"), "Patient")
            if patient is not None:
                follow_up.setdefault(id(patient), []).append((kind, observation))
        elif kind is not None:
            members = (index.resolve(m, "Observation") for m in _list(observation.get("hasMember")))
            about = [(kind, observation), *((_observation_kind(m), m) for m in members if m)]
            for condition in _about(observation, index):
                for item_kind, item in about:
                    _add(related, condition, item_kind, item)
    _treatment_links(index, cancers, related, reading)
    return related, follow_up


def _treatment_links(index: _Index, cancers: list, related: Links, reading: _Reading) -> None:
    """Treatments go to the Conditions of their ``reasonReference``; one without it, to
    its patient's only cancer Condition in the bundle."""
    only: dict[int, Json | None] = {}
    for _, condition in cancers:
        patient = index.resolve(condition.get("subject"), "Patient")
        if patient is not None:
            only[id(patient)] = None if id(patient) in only else condition
    for kind in ("Procedure", "MedicationAdministration"):
        for _, resource in index.of(kind):
            column = _treatment_column(resource, reading)
            reasons = _list(resource.get("reasonReference")) if column else []
            targets = [index.resolve(reason, "Condition") for reason in reasons]
            if column and not reasons:
                patient = index.resolve(resource.get("subject"), "Patient")
                targets = [only.get(id(patient))] if patient else []
            for condition in targets:
                if condition is not None:
                    _add(related, condition, column, resource)


def _add(related: Links, condition: Json, kind: str | None, resource: Json) -> None:
    items = related.setdefault(id(condition), [])
    if kind and not any(item is resource for _, item in items):
        items.append((kind, resource))


def _about(observation: Json, index: _Index) -> list[Json]:
    references = _list(observation.get("focus"))
    for extension in _dicts(observation.get("extension")):
        if extension.get("url") == export.MCODE + "mcode-related-condition":
            references.append(extension.get("valueReference"))
    found = (index.resolve(reference, "Condition") for reference in references)
    return [condition for condition in found if condition is not None]


def _observation_kind(observation: Json) -> str | None:
    for profile in _list(_dict(observation.get("meta")).get("profile")):
        if profile in OBSERVATION_PROFILES:
            return OBSERVATION_PROFILES[profile]
    codings = _dicts(_dict(observation.get("code")).get("coding"))
    kinds = (OBSERVATION_CODES.get((c.get("system"), c.get("code"))) for c in codings)
    return next((kind for kind in kinds if kind), None)


def _treatment_column(resource: Json, reading: _Reading) -> str | None:
    if resource["resourceType"] == "Procedure":
        for profile in _list(_dict(resource.get("meta")).get("profile")):
            if profile in PROCEDURE_PROFILES:
                return PROCEDURE_PROFILES[profile]
        return PROCEDURE_CODES.get(_system_code(_dict(resource.get("code")), (export.SNOMED,)))
    text = _dict(resource.get("medicationCodeableConcept")).get("text")
    column = MEDICATION_TEXTS.get(text) if isinstance(text, str) else None
    if column is None:
        reading.count("medication")
    return column


# --- One row ----------------------------------------------------------------------------


def _row(condition: Json, index, related, follow_up, reading: _Reading) -> dict[str, object]:
    row: dict[str, object] = dict.fromkeys(NAMES)
    foreign: set[str] = set()
    patient = index.resolve(condition.get("subject"), "Patient")
    if patient is None:
        reading.count("unresolved")
    patient_facility = _patient(patient, row) if patient else None
    report_facility = _condition(condition, row, foreign)
    about = related.get(id(condition), [])
    _observations(about, row, foreign)
    _stages(condition, row, foreign)
    _treatments(about, row)
    followed = follow_up.get(id(patient), []) if patient else []
    _follow_up(followed, patient, row, foreign)
    row["facility_code"] = report_facility or patient_facility or reading.facility
    for name in foreign:
        if row[name] is None:
            reading.count("foreign", name)
    raw = {"Patient": patient, "Condition": condition, "related": [r for _, r in about + followed]}
    row["_raw"] = readers.to_json(raw)
    return row


def _patient(patient: Json, row: dict[str, object]) -> str | None:
    facility = None
    for identifier in _dicts(patient.get("identifier")):
        name, found = _identifier_field(identifier)
        if name and row[name] is None:
            row[name] = identifier.get("value")
        facility = facility or found
    row.update(_name(_dicts(patient.get("name"))))
    gender = patient.get("gender")
    row["sex"] = GENDER.get(gender, gender) if isinstance(gender, str) else None
    row["birth_date"] = _date(patient.get("birthDate"))
    phones = (t.get("value") for t in _dicts(patient.get("telecom")) if t.get("system") == "phone")
    row["phone"] = next(phones, None)
    row.update(_address(_dicts(patient.get("address"))))
    row["death_date"] = _date(patient.get("deceasedDateTime"))
    return facility


def _identifier_field(identifier: Json) -> tuple[str | None, str | None]:
    """The canonical field an identifier fills, and the facility its system names."""
    system = identifier.get("system")
    if system in SYSTEM_FIELDS:
        return SYSTEM_FIELDS[system], None
    match = _FACILITY_SYSTEM.fullmatch(system) if isinstance(system, str) else None
    if match and match[2] == "patient":
        return "patient_no", unquote(match[1])
    kind = _dict(identifier.get("type"))
    code = _system_code(kind, (export.V2_0203,))
    text = fold_vietnamese(kind["text"]) if isinstance(kind.get("text"), str) else ""
    for type_code, words, name in IDENTIFIER_TYPES:
        if code == type_code or any(word in text for word in words):
            return name, None
    return None, None


def _name(names: list[Json]) -> dict[str, object]:
    if not names:
        return {}
    name = next((n for n in names if n.get("use") == "official"), names[0])
    family = name.get("family")
    given = [part for part in _list(name.get("given")) if isinstance(part, str)]
    joined = " ".join(part for part in (family, *given) if isinstance(part, str) and part)
    text = name.get("text")
    full = text if isinstance(text, str) and " ".join(text.split()) != joined else None
    middle, last = " ".join(given[:-1]) or None, given[-1] if given else None
    return {"full_name": full, "family_name": family, "middle_name": middle, "given_name": last}


def _address(addresses: list[Json]) -> dict[str, object]:
    address = addresses[0] if addresses else {}
    parts = [*_list(address.get("line")), address.get("district"), address.get("city")]
    text = address.get("text") or ", ".join(p for p in parts if isinstance(p, str) and p)
    return {"address": text or None, "province_code": address.get("state")}


def _condition(condition: Json, row: dict[str, object], foreign: set[str]) -> str | None:
    facility, row["report_id"] = _report_identifier(condition)
    extensions: dict[object, Json] = {}
    for extension in _dicts(condition.get("extension")):
        extensions.setdefault(extension.get("url"), extension)
    histology = _dict(extensions.get(export.HISTOLOGY_EXTENSION)).get("valueCodeableConcept")
    code = _coded(histology, (export.ICDO3,), "morphology", foreign)
    if code:
        morphology, _, behaviour = code.partition("/")
        row["morphology"], row["behaviour"] = morphology or None, behaviour or None
    row["basis"] = _dict(extensions.get(export.BASIS_EXTENSION)).get("valueCode")
    row["age_at_diagnosis"] = _age(_dict(extensions.get(export.AGE_EXTENSION)).get("valueAge"))
    laterality = _dict(extensions.get(export.LATERALITY_EXTENSION)).get("valueCode")
    row["laterality"] = laterality or _laterality(condition)
    row["topography"] = _topography(condition, foreign)
    onset = condition.get("onsetDateTime") or _dict(condition.get("onsetPeriod")).get("start")
    row["diagnosis_date"] = _date(onset or condition.get("recordedDate"))
    return facility


def _report_identifier(condition: Json) -> tuple[str | None, str | None]:
    identifiers = _dicts(condition.get("identifier"))
    for identifier in identifiers:
        system = identifier.get("system")
        match = _FACILITY_SYSTEM.fullmatch(system) if isinstance(system, str) else None
        if match and match[2] == "report":
            return unquote(match[1]), identifier.get("value")
    values = (i.get("value") for i in identifiers if isinstance(i.get("value"), str))
    return None, next(values, None) or condition.get("id")


def _age(age: object) -> str | None:
    value = _dict(age).get("value")
    whole = isinstance(value, float) and value.is_integer()
    return str(int(value)) if whole or type(value) is int else None


def _topography(condition: Json, foreign: set[str]) -> str | None:
    concepts = [*_dicts(condition.get("bodySite")), _dict(condition.get("code"))]
    code = next(filter(None, (_system_code(c, (export.ICDO3,)) for c in concepts)), None)
    if code or not any(concept.get("coding") for concept in concepts):
        return code or next((c["text"] for c in concepts if isinstance(c.get("text"), str)), None)
    foreign.add("topography")
    return None


def _laterality(condition: Json) -> str | None:
    url = export.MCODE + "mcode-laterality-qualifier"
    sites = _dicts(condition.get("bodySite"))
    found = (e for s in sites for e in _dicts(s.get("extension")) if e.get("url") == url)
    codes = (_system_code(_dict(e.get("valueCodeableConcept")), (export.SNOMED,)) for e in found)
    return next((LATERALITY_CODES[c] for c in codes if c in LATERALITY_CODES), None)


def _observations(about: list[tuple[str, Json]], row: dict, foreign: set[str]) -> None:
    for kind, resource in about:
        if kind in VALUE_SYSTEMS and row[kind] is None:
            concept = resource.get("valueCodeableConcept")
            row[kind] = _coded(concept, VALUE_SYSTEMS[kind], kind, foreign)


def _stages(condition: Json, row: dict, foreign: set[str]) -> None:
    """The stage group and summary stage of ``Condition.stage`` (when not read already);
    a stage written as text only (not a valid code) is told apart by its ``type``."""
    for stage in _dicts(condition.get("stage")):
        summary = _dict(stage.get("summary"))
        extent = _dict(stage.get("type")).get("text") == "summary stage"
        group = _coded(summary, (export.STAGE_GROUP_SYSTEM,), "stage_group", set())
        if not extent and group is None and summary.get("coding"):
            foreign.add("stage_group")
        if extent or _system_code(summary, (export.SUMMARY_STAGE_SYSTEM,)):
            row["summary_stage"] = row["summary_stage"] or _coded(
                summary, (export.SUMMARY_STAGE_SYSTEM,), "summary_stage", foreign
            )
        else:
            row["stage_group"] = row["stage_group"] or group


def _treatments(about: list[tuple[str, Json]], row: dict) -> None:
    dates = []
    for kind, resource in about:
        status = resource.get("status")
        if kind not in TREATMENT_COLUMNS or status == "entered-in-error":
            continue
        row[kind] = (row[kind] or "0") if status == "not-done" else "1"
        when = _date(_when(resource, "performed") or _when(resource, "effective"))
        if when and status != "not-done":
            dates.append(when)
    row["first_treatment_date"] = min(dates) if dates else None


def _when(resource: Json, prefix: str) -> object:
    return resource.get(prefix + "DateTime") or _dict(resource.get(prefix + "Period")).get("start")


def _follow_up(followed: list, patient: Json | None, row: dict, foreign: set[str]) -> None:
    vitals = [obs for kind, obs in followed if kind == "vital_status"]
    if vitals:
        latest = max(vitals, key=lambda obs: str(_when(obs, "effective") or ""))
        concept = _dict(latest.get("valueCodeableConcept"))
        status = VITAL_CODES.get(_system_code(concept, (export.SNOMED,)) or "")
        row["vital_status"] = status or _coded(concept, (), "vital_status", foreign)
        row["last_contact_date"] = _date(_when(latest, "effective"))
    causes = (obs.get("valueCodeableConcept") for kind, obs in followed if kind == "cause_of_death")
    for concept in causes:
        name = "cause_of_death"
        row[name] = row[name] or _coded(concept, VALUE_SYSTEMS[name], name, foreign)
    dead = patient and (patient.get("deceasedBoolean") is True or patient.get("deceasedDateTime"))
    if row["vital_status"] is None and dead:
        row["vital_status"] = "2"


def _coded(concept: object, systems: tuple[str, ...], name: str, foreign: set[str]) -> str | None:
    """The code of a CodeableConcept in one of the systems; its text if it has no coding
    (as the export writes a value that is not a valid code); else None, noted as foreign."""
    concept = _dict(concept)
    code = _system_code(concept, systems)
    if code is None and concept.get("coding"):
        foreign.add(name)
    text = concept.get("text") if not concept.get("coding") else None
    return code or (text if isinstance(text, str) else None)


def _system_code(concept: Json, systems: tuple[str, ...]) -> str | None:
    codings = _dicts(concept.get("coding"))
    codes = (c.get("code") for c in codings if c.get("system") in systems)
    return next((code for code in codes if isinstance(code, str)), None)


def _date(value: object) -> str | None:
    """A FHIR date or dateTime as a canonical date, keeping its precision."""
    return value[:10] if isinstance(value, str) and value else None


def _dict(value: object) -> Json:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list:
    return list(value) if isinstance(value, list) else []


def _dicts(value: object) -> list[Json]:
    return [item for item in _list(value) if isinstance(item, dict)]
