"""NAACCR XML reports: one row per ``Tumor``, as oncoreg's NAACCR export writes them and
as registries exchange them.

The document is streamed with ``lxml.etree.iterparse`` and each ``Patient`` is cleared
once its tumours are read, so memory stays flat for a file of any size. Entities are not
resolved and nothing is fetched from the network. A document that is not well-formed XML
raises :class:`~oncoreg.errors.InputError` with lxml's line and column.

Each Tumor's items are read together with its Patient's. The inverse of
``oncoreg.export.naaccr``:

* ``reportingFacility`` -> facility_code (else the ``facility`` argument);
  ``medicalRecordNumber`` -> patient_no; ``nameLast``/``nameMiddle``/``nameFirst`` ->
  family/middle/given name; ``telephone`` -> phone (``0000000000``/``9999999999`` none);
  ``addrAtDxNoStreet`` -> address; sex, laterality, grade and ``histologicTypeIcdO3``/
  ``behaviorCodeIcdO3`` as written.
* Dates ``YYYYMMDD``/``YYYYMM``/``YYYY`` -> ISO with the same precision (other text is
  kept as written, with a warning); ``ageAtDiagnosis`` ``071`` -> ``71`` (``999`` none);
  ``primarySite`` ``C509`` -> ``C50.9``; ``causeOfDeath`` ``C509`` -> ``C50.9`` (``0000``
  alive and ``7777``/``7797`` not coded: none).
* ``vitalStatus`` 1 alive -> 1, 0 dead -> 2; ``dateOfLastContact`` -> last_contact_date,
  and for the dead also death_date (the export writes the date of death there).
* Basis of diagnosis from ``diagnosticConfirmation``: 1 and 3 (histology) -> 7, 2
  (cytology) -> 5, 4 (microscopic, method unknown) -> 5, 5 (lab test or marker) -> 4,
  6 (direct visualisation) and 7 (imaging) -> 2, 8 (clinical) -> 1, 9 -> 9; and any
  ``typeOfReportingSource`` 7 (death certificate only) -> 0.
* ``ajccTnmClinT``/``N``/``M`` ``cT2`` -> ``T2``; ``ajccTnmClinStageGroup`` ``2B`` ->
  ``IIB`` (``88``/``99`` none); ``summaryStage2018`` 0, 1, 7, 9 as written, 2-5
  (regional) -> 2, 8 none; ``dateInitialRxSeer`` -> first_treatment_date.
* Treatments: ``rxSummSurgPrimSite`` 00/98 -> 0, 10-90 -> 1; ``rxSummRadiation`` 0/7 ->
  0, 1-5 -> 1; ``rxSummChemo`` 00/82-87 -> 0, 01-03 -> 1; other systemic therapy from
  ``rxSummOther`` (0/7 -> 0, 1-3/6 -> 1), ``rxSummHormone`` and ``rxSummBrm`` (any given
  -> 1); codes for "recommended, unknown if given" and "unknown" -> none.
* report_id: NAACCR has no item for it. A hospital's ``accessionNumberHosp`` with
  ``sequenceNumberHospital`` (or the tumour number) when given; else ``naaccr-`` + 16 hex
  digits of a SHA-1 over the facility, patient and tumour numbers, medical record number,
  birth and diagnosis dates, sex, site and histology: the same record read again gets
  the same id, and two different tumours (also in two files) different ones.

Lossy, by the export's design: report_id (see above); national ID, insurance number and
province (no NAACCR item); the full name (only parts) and phone numbers other than 10
digits; basis 6 (histology of a metastasis) reads back 7; a summary stage 2 is written
5 and reads back 2; an incidence (``I``) file carries no names, phone, record number or
address. Items not in this map are listed (ids only, never values) in one warning.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from oncoreg.errors import InputError, Problem
from oncoreg.export._common import is_partial_date
from oncoreg.export.naaccr import NAMESPACE, naaccr_to_iso
from oncoreg.ingest.canonical import NAMES
from oncoreg.ingest.profiles import Profile
from oncoreg.ingest.readers import ReadResult, RowBuffer, counted, make_result, to_json

BASIS = {"1": "7", "2": "5", "3": "7", "4": "5", "5": "4", "6": "2", "7": "2", "8": "1", "9": "9"}
DEATH_CERTIFICATE_ONLY = "7"
VITAL_STATUS = {"1": "1", "0": "2"}
SUMMARY_STAGE = {"0": "0", "1": "1", "2": "2", "3": "2", "4": "2", "5": "2", "7": "7", "9": "9"}
SURGERY = {"00": "0", "98": "0", **{f"{n}": "1" for n in range(10, 91)}}
RADIATION = {"0": "0", "7": "0", **dict.fromkeys("12345", "1")}
CHEMO = {"00": "0", "01": "1", "02": "1", "03": "1", **dict.fromkeys(("82", "85", "86", "87"), "0")}
OTHER = {"0": "0", "7": "0", **dict.fromkeys("1236", "1")}
SYSTEMIC = {"00": "0", "01": "1", **dict.fromkeys(("82", "85", "86", "87"), "0")}
DATE_ITEMS = {
    "dateOfBirth": "birth_date",
    "dateOfDiagnosis": "diagnosis_date",
    "dateInitialRxSeer": "first_treatment_date",
    "dateOfLastContact": "last_contact_date",
}
AS_WRITTEN = {
    "reportingFacility": "facility_code",
    "medicalRecordNumber": "patient_no",
    "nameLast": "family_name",
    "nameMiddle": "middle_name",
    "nameFirst": "given_name",
    "sex": "sex",
    "addrAtDxNoStreet": "address",
    "histologicTypeIcdO3": "morphology",
    "behaviorCodeIcdO3": "behaviour",
    "grade": "grade",
    "laterality": "laterality",
}
KNOWN_ITEMS = frozenset(
    (*DATE_ITEMS, *AS_WRITTEN, "naaccrRecordVersion", "patientIdNumber", "tumorRecordNumber")
) | {
    *("telephone", "vitalStatus", "causeOfDeath", "icdRevisionNumber", "addrAtDxCountry"),
    *("ageAtDiagnosis", "primarySite", "diagnosticConfirmation", "typeOfReportingSource"),
    *("ajccTnmClinT", "ajccTnmClinN", "ajccTnmClinM", "ajccTnmClinStageGroup"),
    *("summaryStage2018", "rxSummSurgPrimSite", "rxSummRadiation", "rxSummChemo"),
    *("rxSummOther", "rxSummHormone", "rxSummBrm", "accessionNumberHosp"),
    "sequenceNumberHospital",
}
KEY_ITEMS = (  # what tells one tumour from another, for a report_id
    *("reportingFacility", "patientIdNumber", "tumorRecordNumber", "medicalRecordNumber"),
    *("dateOfBirth", "sex", "dateOfDiagnosis", "primarySite", "histologicTypeIcdO3"),
)
_ROOT = f"{{{NAMESPACE}}}NaaccrData"
_ROMAN = {"0": "0", "1": "I", "2": "II", "3": "III", "4": "IV"}
_STAGE = re.compile(r"([0-4])([A-D]?\d?|IS)")
_SITE = re.compile(r"C\d{3}")
_CAUSE = re.compile(r"[A-Z]\d{3}")
_NO_VALUE = frozenset(("0000", "7777", "7797", "88", "99", "999", "0000000000", "9999999999"))


@dataclass
class _Reading:
    """What has been read so far in the document."""

    path: Path
    facility: str | None
    rows: RowBuffer = field(default_factory=RowBuffer)
    patient: dict[str, str] = field(default_factory=dict)
    tumors: list[dict[str, str]] = field(default_factory=list)
    unknown_items: Counter[str] = field(default_factory=Counter)
    unknown_elements: Counter[str] = field(default_factory=Counter)
    bad_dates: Counter[str] = field(default_factory=Counter)
    empty_patients: int = 0


def read_naaccr(
    path: Path, profile: Profile | None = None, facility: str | None = None
) -> ReadResult:
    """Read a NAACCR XML document of reports (see the module docstring).

    Args:
        path: the ``.xml`` file.
        profile: not used (mapping profiles are for CSV and Excel).
        facility: the facility code for Tumors without ``reportingFacility``.

    Raises:
        InputError: the file is not well-formed XML (with the line), or not NAACCR XML.
    """
    reading = _Reading(Path(path), facility)
    try:
        _parse(reading)
    except etree.XMLSyntaxError as error:
        raise _syntax_error(path, error) from None
    frame = reading.rows.frame()
    records = len(reading.rows)
    return make_result(Path(path), "naaccr", frame, [], _warnings(reading), records)


def _parse(reading: _Reading) -> None:
    options = {"resolve_entities": False, "no_network": True, "huge_tree": False}
    with reading.path.open("rb") as stream:
        events = etree.iterparse(stream, events=("start", "end"), **options)
        for event, element in events:
            if event == "start":
                _start(element, reading)
            else:
                _end(element, reading)


def _start(element: etree._Element, reading: _Reading) -> None:
    if element.getparent() is None and element.tag != _ROOT:
        raise InputError(
            f"{reading.path}: not a NAACCR XML document",
            hint=f"the root element must be NaaccrData in the namespace {NAMESPACE}",
        )


def _end(element: etree._Element, reading: _Reading) -> None:
    tag = element.tag if isinstance(element.tag, str) else ""
    name = tag.removeprefix(f"{{{NAMESPACE}}}")
    if name == "Item":
        _item(element, reading)
    elif name == "Tumor":
        _tumor_done(element, reading)
    elif name == "Patient":
        _patient_done(element, reading)
    elif name != "NaaccrData" and tag:
        reading.unknown_elements[name if name != tag else "(other namespace)"] += 1


def _item(element: etree._Element, reading: _Reading) -> None:
    item = element.get("naaccrId") or "(no naaccrId)"
    if item not in KNOWN_ITEMS:
        reading.unknown_items[item] += 1


def _items_of(element: etree._Element) -> dict[str, str]:
    items = {}
    for child in element:
        if child.tag == f"{{{NAMESPACE}}}Item" and child.get("naaccrId"):
            text = (child.text or "").strip()
            if text:
                items.setdefault(child.get("naaccrId"), text)
    return items


def _tumor_done(element: etree._Element, reading: _Reading) -> None:
    parent = element.getparent()
    if parent is not None and parent.tag == f"{{{NAMESPACE}}}Patient":
        reading.tumors.append(_items_of(element))
    else:  # a Tumor outside a Patient: still a report, without patient items
        reading.rows.append(_row({}, _items_of(element), len(reading.rows) + 1, reading))
    element.clear(keep_tail=True)


def _patient_done(element: etree._Element, reading: _Reading) -> None:
    patient = _items_of(element)
    if not reading.tumors:
        reading.empty_patients += 1
    for tumor in reading.tumors:
        reading.rows.append(_row(patient, tumor, len(reading.rows) + 1, reading))
    reading.tumors = []
    element.clear(keep_tail=True)
    parent = element.getparent()
    while parent is not None and element.getprevious() is not None:
        del parent[0]  # the Patients already read: keep memory flat


def _syntax_error(path: Path, error: etree.XMLSyntaxError) -> InputError:
    line, column = error.position if error.position else (error.lineno, 0)
    reason = (error.msg or "").split(", line ")[0].split("Bytes:")[0].strip().rstrip(",")
    return InputError(
        f"{path}: not well-formed XML at line {line}, column {column}: {reason}",
        hint="the file may be cut short or edited by hand; export it again",
    )


def _warnings(reading: _Reading) -> list[Problem]:
    file = str(reading.path)
    warnings = []
    if reading.unknown_items:
        message = "NAACCR items oncoreg does not read, ignored (item id: count)"
        warnings.append(counted(message, reading.unknown_items, file))
    if reading.unknown_elements:
        warnings.append(counted("unknown elements ignored", reading.unknown_elements, file))
    if reading.bad_dates:
        message = "dates not written YYYYMMDD, YYYYMM or YYYY, kept as written (by item)"
        warnings.append(counted(message, reading.bad_dates, file))
    if reading.empty_patients:
        message = f"{reading.empty_patients} Patients without a Tumor (no report to read)"
        warnings.append(Problem(message, file=file))
    return warnings


# --- One Tumor --------------------------------------------------------------------------


def _row(patient: dict, tumor: dict, number: int, reading: _Reading) -> dict[str, object]:
    items = {**patient, **tumor}
    row: dict[str, object] = dict.fromkeys(NAMES)
    for item, name in AS_WRITTEN.items():
        row[name] = items.get(item)
    for item, name in DATE_ITEMS.items():
        row[name] = _date(item, items.get(item), reading)
    get = items.get
    row["facility_code"] = row["facility_code"] or reading.facility
    row["report_id"] = _report_id(items, row["facility_code"])
    row["phone"] = _value(get("telephone"))
    row["age_at_diagnosis"] = _age(get("ageAtDiagnosis"))
    row["topography"] = _dotted(get("primarySite"), _SITE)
    row["cause_of_death"] = _dotted(_value(get("causeOfDeath")), _CAUSE)
    row["basis"] = _basis(get("diagnosticConfirmation"), get("typeOfReportingSource"))
    row["vital_status"] = _mapped(VITAL_STATUS, get("vitalStatus"))
    if row["vital_status"] == "2":
        row["death_date"] = row["last_contact_date"]
    for axis in "TNM":
        row[f"tnm_{axis.lower()}"] = _tnm(get(f"ajccTnmClin{axis}"))
    row["stage_group"] = _stage_group(get("ajccTnmClinStageGroup"))
    row["summary_stage"] = _mapped(SUMMARY_STAGE, get("summaryStage2018"), keep=False)
    row.update(_treatments(get))
    row["_file"], row["_row"] = str(reading.path), number
    row["_raw"] = to_json({"Patient": patient, "Tumor": tumor})
    return row


def _date(item: str, value: str | None, reading: _Reading) -> str | None:
    if value is None:
        return None
    iso = naaccr_to_iso(value) if value.isascii() and value.isdigit() else value
    if is_partial_date(iso):
        return iso
    reading.bad_dates[item] += 1
    return value


def _report_id(items: dict[str, str], facility: object) -> str:
    accession = items.get("accessionNumberHosp")
    if accession:
        sequence = items.get("sequenceNumberHospital") or items.get("tumorRecordNumber")
        return f"{accession}-{sequence}" if sequence else accession
    key = [str(facility or ""), *(items.get(item, "") for item in KEY_ITEMS)]
    return "naaccr-" + hashlib.sha1("\x1f".join(key).encode("utf-8")).hexdigest()[:16]


def _value(value: str | None) -> str | None:
    return None if value is None or value in _NO_VALUE else value


def _age(value: str | None) -> str | None:
    if value is None or value == "999":
        return None
    return str(int(value)) if value.isascii() and value.isdigit() else value


def _dotted(value: str | None, pattern: re.Pattern) -> str | None:
    """``C509`` -> ``C50.9`` for a code of the pattern; other text as written."""
    if value is None or not pattern.fullmatch(value):
        return value
    return f"{value[:3]}.{value[3:]}"


def _basis(confirmation: str | None, source: str | None) -> str | None:
    if source == DEATH_CERTIFICATE_ONLY:
        return "0"
    return _mapped(BASIS, confirmation)


def _mapped(table: dict[str, str], value: str | None, keep: bool = True) -> str | None:
    """The table's code for a value; a value the table lacks as written (or none)."""
    if value is None:
        return None
    return table.get(value, value if keep else None)


def _tnm(value: str | None) -> str | None:
    value = _value(value)
    if value and value[0] == "c" and value[1:2] in ("T", "N", "M"):
        return value[1:]
    return value


def _stage_group(value: str | None) -> str | None:
    value = _value(value)
    match = _STAGE.fullmatch(value.upper()) if value else None
    return _ROMAN[match[1]] + match[2] if match else value


def _treatments(get) -> dict[str, str | None]:
    systemic = [_mapped(table, get(item), keep=False) for item, table in _SYSTEMIC_ITEMS]
    given = [value for value in systemic if value is not None]
    return {
        "surgery": _mapped(SURGERY, get("rxSummSurgPrimSite"), keep=False),
        "radiotherapy": _mapped(RADIATION, get("rxSummRadiation"), keep=False),
        "chemotherapy": _mapped(CHEMO, get("rxSummChemo"), keep=False),
        "systemic_other": max(given) if given else None,
    }


_SYSTEMIC_ITEMS = (("rxSummOther", OTHER), ("rxSummHormone", SYSTEMIC), ("rxSummBrm", SYSTEMIC))
