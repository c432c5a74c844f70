"""Hospital reports as a NAACCR XML document (NAACCR XML 1.7, base dictionary v25).

One ``Patient`` per facility patient (the reports of one ``facility_code`` sharing a
``patient_no``; a report without one is a patient of its own), with one ``Tumor`` per
report, in facility, patient and report order. Only items of the v25 base dictionary are
used, each at its own level, and only those the record type allows: the default ``I``
(incidence) leaves out names, phone, medical record number and street address, which
the dictionary admits in ``A`` (abstract), ``M`` (modified) and ``C`` (confidential)
files only. The document is streamed (``lxml.etree.xmlfile``), one patient at a time.

Conversions from the canonical report:

* ``patientIdNumber`` is a sequence number (00000001, ...) in file order; the facility's
  patient number goes to ``medicalRecordNumber`` (A/M/C) and its code to
  ``reportingFacility``. The report_id has no NAACCR item; ``tumorRecordNumber`` numbers
  a patient's tumours in report_id order.
* Dates ``YYYY-MM-DD``, ``YYYY-MM``, ``YYYY`` become ``YYYYMMDD``, ``YYYYMM``, ``YYYY``.
* ``vitalStatus``: NAACCR 1 alive, 0 dead (canonical 1 alive, 2 dead);
  ``dateOfLastContact`` is the date of death for the dead, else the latest last contact;
  ``causeOfDeath`` is ICD-10 without the dot (``0000`` for a patient alive), with
  ``icdRevisionNumber`` 1 (ICD-10) or 0 (alive). There is no date-of-death item.
* ``primarySite`` is the topography without the dot (``C509``); ``grade`` (item 440) is
  the ICD-O-3 grade digit (the v18+ ``gradeClinical``/``gradePathological`` items use
  site-specific AJCC schemes that an ICD-O-3 grade does not determine).
* ``diagnosticConfirmation`` from the IARC basis: 7 and 6 (histology) -> 1, 5 (cytology)
  -> 2, 4 (tumour marker) -> 5, 2 (clinical investigation) -> 7 (imaging; IARC 2 also
  covers endoscopy and surgery without histology, which NAACCR codes 6), 1 (clinical) ->
  8, 9 -> 9, and 0 (death certificate only) -> 9 with ``typeOfReportingSource`` 7;
  every other report has ``typeOfReportingSource`` 1 (hospital).
* TNM goes to the AJCC clinical items (``ajccTnmClinT`` = ``cT2``; stage group ``IIB``
  -> ``2B``); ``summaryStage2018`` takes the summary stage (regional 2 -> 5, regional
  NOS); treatments go to ``rxSummSurgPrimSite`` (1 -> 90 surgery NOS, 0 -> 00),
  ``rxSummRadiation`` (1 -> 5 radiation NOS), ``rxSummChemo`` (1 -> 01) and
  ``rxSummOther`` (other systemic therapy, 1 -> 1), the first treatment date to
  ``dateInitialRxSeer``.
* Address: ``addrAtDxCountry`` = ``VNM`` for a patient with a province or an address, the
  address text in ``addrAtDxNoStreet`` (A/M/C). The province code is left out: the
  dictionary's state and county items hold US codes only (a registry user dictionary
  could carry it).
* Left out, for want of a NAACCR item: national ID (CCCD; ``socialSecurityNumber`` is a
  US number), health-insurance number, province code, report_id. A phone number goes to
  ``telephone`` only if it has 10 digits (``+84`` read as ``0``).

A value that does not fit its item (too long, or not of the item's data type) is left
out, and the count per item is logged (never the values).
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import polars as pl
from lxml import etree

from oncoreg.errors import InputError
from oncoreg.export._common import (
    PatientGroup,
    Row,
    first_value,
    is_partial_date,
    latest_contact,
    name_parts,
    patient_groups,
    prepare,
)

logger = logging.getLogger(__name__)

NAMESPACE = "http://naaccr.org/naaccrxml"
BASE_DICTIONARY = "http://naaccr.org/naaccrxml/naaccr-dictionary-250.xml"
SPECIFICATION_VERSION = "1.7"
RECORD_TYPES = ("A", "M", "C", "I")


class ItemDef(NamedTuple):
    """An item of the NAACCR v25 base dictionary, as the writer needs it."""

    parent: str
    length: int
    data_type: str  # digits, alpha, mixed, date, or "" for free text
    left_zero: bool
    record_types: str


_ALL, _CONFIDENTIAL = "A,M,C,I", "A,M,C"
ITEMS: dict[str, ItemDef] = {
    "naaccrRecordVersion": ItemDef("NaaccrData", 3, "digits", False, _ALL),
    "patientIdNumber": ItemDef("Patient", 8, "digits", True, _ALL),
    "nameLast": ItemDef("Patient", 40, "", False, _CONFIDENTIAL),
    "nameFirst": ItemDef("Patient", 40, "", False, _CONFIDENTIAL),
    "nameMiddle": ItemDef("Patient", 40, "", False, _CONFIDENTIAL),
    "sex": ItemDef("Patient", 1, "digits", False, _ALL),
    "dateOfBirth": ItemDef("Patient", 8, "date", False, _ALL),
    "telephone": ItemDef("Patient", 10, "digits", False, _CONFIDENTIAL),
    "vitalStatus": ItemDef("Patient", 1, "digits", False, _ALL),
    "dateOfLastContact": ItemDef("Patient", 8, "date", False, _ALL),
    "causeOfDeath": ItemDef("Patient", 4, "", False, _ALL),
    "icdRevisionNumber": ItemDef("Patient", 1, "digits", False, _ALL),
    "tumorRecordNumber": ItemDef("Tumor", 2, "digits", True, _ALL),
    "reportingFacility": ItemDef("Tumor", 10, "", False, _ALL),
    "medicalRecordNumber": ItemDef("Tumor", 15, "", False, _CONFIDENTIAL),
    "addrAtDxNoStreet": ItemDef("Tumor", 60, "", False, _CONFIDENTIAL),
    "addrAtDxCountry": ItemDef("Tumor", 3, "alpha", False, _ALL),
    "dateOfDiagnosis": ItemDef("Tumor", 8, "date", False, _ALL),
    "ageAtDiagnosis": ItemDef("Tumor", 3, "digits", True, _ALL),
    "primarySite": ItemDef("Tumor", 4, "", False, _ALL),
    "histologicTypeIcdO3": ItemDef("Tumor", 4, "digits", False, _ALL),
    "behaviorCodeIcdO3": ItemDef("Tumor", 1, "digits", False, _ALL),
    "grade": ItemDef("Tumor", 1, "digits", False, _ALL),
    "laterality": ItemDef("Tumor", 1, "digits", False, _ALL),
    "diagnosticConfirmation": ItemDef("Tumor", 1, "digits", False, _ALL),
    "typeOfReportingSource": ItemDef("Tumor", 1, "digits", False, _ALL),
    "ajccTnmClinT": ItemDef("Tumor", 15, "", False, _ALL),
    "ajccTnmClinN": ItemDef("Tumor", 15, "", False, _ALL),
    "ajccTnmClinM": ItemDef("Tumor", 15, "", False, _ALL),
    "ajccTnmClinStageGroup": ItemDef("Tumor", 15, "", False, _ALL),
    "summaryStage2018": ItemDef("Tumor", 1, "digits", False, _ALL),
    "dateInitialRxSeer": ItemDef("Tumor", 8, "date", False, _ALL),
    "rxSummSurgPrimSite": ItemDef("Tumor", 2, "digits", True, _ALL),
    "rxSummRadiation": ItemDef("Tumor", 1, "digits", False, _ALL),
    "rxSummChemo": ItemDef("Tumor", 2, "digits", True, _ALL),
    "rxSummOther": ItemDef("Tumor", 1, "digits", False, _ALL),
}

VITAL_STATUS = {"1": "1", "2": "0"}
DIAGNOSTIC_CONFIRMATION = {
    "7": "1",
    "6": "1",
    "5": "2",
    "4": "5",
    "2": "7",
    "1": "8",
    "9": "9",
    "0": "9",
}
DEATH_CERTIFICATE_ONLY, HOSPITAL = "7", "1"
SUMMARY_STAGE = {"0": "0", "1": "1", "2": "5", "7": "7", "9": "9"}
TREATMENT_ITEMS = {  # canonical column -> (item, code for 1, code for 0)
    "surgery": ("rxSummSurgPrimSite", "90", "00"),
    "radiotherapy": ("rxSummRadiation", "5", "0"),
    "chemotherapy": ("rxSummChemo", "01", "00"),
    "systemic_other": ("rxSummOther", "1", "0"),
}
_INDENT = "    "
_PATIENT_FIELDS = (  # the columns a Patient takes from the first report that has them
    *("full_name", "family_name", "middle_name", "given_name"),
    *("sex", "birth_date", "phone", "death_date", "cause_of_death"),
)
_ROMAN = {"0": "0", "I": "1", "II": "2", "III": "3", "IV": "4"}
_STAGE_GROUP = re.compile(r"(IV|I{1,3}|0)([A-D]?\d?|IS)")
_TNM = re.compile(r"[TNM][A-Za-z0-9()+-]*")
_TOPOGRAPHY = re.compile(r"C\d{2}\.?\d")
_ICD10 = re.compile(r"[A-Z]\d{2}(\.?\d)?")
_TYPES: dict[str, Callable[[str], bool]] = {
    "digits": lambda v: v.isascii() and v.isdigit(),
    "alpha": lambda v: v.isascii() and v.isalpha() and v.isupper(),
    "mixed": lambda v: v.isascii() and v.isalnum() and v == v.upper(),
    # dates come from naaccr_date, which has checked them: the shape is enough here
    "date": lambda v: v.isascii() and v.isdigit() and len(v) in (4, 6, 8),
    "": lambda v: True,
}


def write_naaccr(reports: pl.DataFrame, path: Path, record_type: str = "I") -> int:
    """Write the reports as one NAACCR XML document.

    Args:
        reports: canonical report frame (the columns of ``oncoreg.ingest.canonical.NAMES``).
        path: the ``.xml`` file to write (overwritten).
        record_type: ``I`` incidence (no names or contact details), ``A`` abstract, ``M``
            modified or ``C`` confidential.

    Returns:
        The number of ``Patient`` elements written.

    Raises:
        InputError: an unknown record type, a missing canonical column, a row without
            ``report_id`` or ``facility_code``, or a ``report_id`` repeated in a facility.
    """
    if record_type not in RECORD_TYPES:
        raise InputError("unknown NAACCR record type", hint="use one of A, M, C, I")
    frame = prepare(reports)
    fitter = _Fitter(record_type)
    patients = 0
    root = f"{{{NAMESPACE}}}NaaccrData"
    with etree.xmlfile(str(path), encoding="utf-8") as xml:
        xml.write_declaration()
        with xml.element(root, _root_attributes(record_type), nsmap={None: NAMESPACE}):
            version = etree.Element("Item", naaccrId="naaccrRecordVersion")
            version.text = "250"
            _write(xml, version)
            for patients, group in enumerate(patient_groups(frame), start=1):
                _write(xml, _patient_element(group, patients, fitter))
            xml.write("\n")
    fitter.log()
    return patients


def _root_attributes(record_type: str) -> dict[str, str]:
    return {
        "baseDictionaryUri": BASE_DICTIONARY,
        "recordType": record_type,
        "specificationVersion": SPECIFICATION_VERSION,
    }


def _write(xml: etree.xmlfile, element: etree._Element) -> None:
    # Elements are built without a namespace and written inside the root element, whose
    # default namespace they take on in the text: one xmlns declaration for the document.
    etree.indent(element, space=_INDENT, level=1)
    xml.write("\n" + _INDENT)
    xml.write(element)


class _Fitter:
    """Fits values to their items: record type, length, data type; counts what is left out."""

    def __init__(self, record_type: str) -> None:
        self.rules = {
            name: (item.length, _TYPES[item.data_type], item.left_zero)
            for name, item in ITEMS.items()
            if record_type in item.record_types.split(",")
        }
        self.skipped: Counter[str] = Counter()

    def add_items(self, parent: etree._Element, values: dict[str, str | None]) -> None:
        """Append an ``Item`` to ``parent`` for each value that fits its item."""
        for name, value in values.items():
            fitted = self.fit(name, value)
            if fitted is not None:
                etree.SubElement(parent, "Item", naaccrId=name).text = fitted

    def fit(self, name: str, value: str | None) -> str | None:
        """The value as item ``name`` takes it, or None to leave it out.

        None means no value; ``""`` a value that could not be converted (counted).
        """
        if value is None or name not in self.rules:
            return None
        length, check, left_zero = self.rules[name]
        if left_zero and value.isascii() and value.isdigit():
            value = value.zfill(length)
        if not value or len(value) > length or not check(value):
            self.skipped[name] += 1
            return None
        return value

    def log(self) -> None:
        """Log how many values of each item were left out (counts only, no values)."""
        for name, count in sorted(self.skipped.items()):
            logger.warning("NAACCR: %d values of %s left out (too long or wrong type)", count, name)


def _patient_element(group: PatientGroup, number: int, fitter: _Fitter) -> etree._Element:
    patient = etree.Element("Patient")
    fitter.add_items(patient, patient_items(group, number))
    for position, row in enumerate(group.rows, start=1):
        fitter.add_items(etree.SubElement(patient, "Tumor"), tumor_items(row, position))
    return patient


def patient_items(group: PatientGroup, number: int) -> dict[str, str | None]:
    """The patient-level items of one patient (before fitting to the dictionary).

    Args:
        group: the patient's reports.
        number: the patient's sequence number in the file (``patientIdNumber``).
    """
    value = {name: first_value(group.rows, name) for name in _PATIENT_FIELDS}
    family, middle, given = name_parts(value)
    latest = latest_contact(group.rows)
    vital = _mapped(VITAL_STATUS, latest["vital_status"])
    death = value["death_date"]
    contact = death if vital == "0" and is_partial_date(death) else latest["last_contact_date"]
    cause = _cause_of_death(value["cause_of_death"], vital)
    return {
        "patientIdNumber": str(number),
        "nameLast": family,
        "nameFirst": given,
        "nameMiddle": middle,
        "sex": value["sex"],
        "dateOfBirth": naaccr_date(value["birth_date"]),
        "telephone": _telephone(value["phone"]),
        "vitalStatus": vital,
        "dateOfLastContact": naaccr_date(contact),
        "causeOfDeath": cause,
        "icdRevisionNumber": ("0" if cause == "0000" else "1") if cause else None,
    }


def tumor_items(row: Row, position: int) -> dict[str, str | None]:
    """The tumour-level items of one report (before fitting to the dictionary).

    Args:
        row: the canonical report.
        position: the tumour's number within its patient (``tumorRecordNumber``).
    """
    basis = row["basis"]
    items = {
        "tumorRecordNumber": str(position),
        "reportingFacility": row["facility_code"],
        "medicalRecordNumber": row["patient_no"],
        "addrAtDxNoStreet": row["address"],
        "addrAtDxCountry": "VNM" if row["province_code"] or row["address"] else None,
        "dateOfDiagnosis": naaccr_date(row["diagnosis_date"]),
        "ageAtDiagnosis": row["age_at_diagnosis"],
        "primarySite": _pattern(_TOPOGRAPHY, row["topography"]),
        "histologicTypeIcdO3": row["morphology"],
        "behaviorCodeIcdO3": row["behaviour"],
        "grade": row["grade"],
        "laterality": row["laterality"],
        "diagnosticConfirmation": _mapped(DIAGNOSTIC_CONFIRMATION, basis),
        "typeOfReportingSource": DEATH_CERTIFICATE_ONLY if basis == "0" else HOSPITAL,
        "ajccTnmClinT": _tnm(row["tnm_t"]),
        "ajccTnmClinN": _tnm(row["tnm_n"]),
        "ajccTnmClinM": _tnm(row["tnm_m"]),
        "ajccTnmClinStageGroup": _stage_group(row["stage_group"]),
        "summaryStage2018": _mapped(SUMMARY_STAGE, row["summary_stage"]),
        "dateInitialRxSeer": naaccr_date(row["first_treatment_date"]),
    }
    for column, (name, yes, no) in TREATMENT_ITEMS.items():
        items[name] = _mapped({"1": yes, "0": no}, row[column])
    return items


def naaccr_date(value: str | None) -> str | None:
    """``YYYY-MM-DD``/``YYYY-MM``/``YYYY`` as NAACCR writes it (``YYYYMMDD``/``YYYYMM``/
    ``YYYY``); ``""`` for a value that is not such a date, None for None."""
    if value is None:
        return None
    return value.replace("-", "") if is_partial_date(value) else ""


def naaccr_to_iso(value: str) -> str:
    """A NAACCR date (``YYYYMMDD``, ``YYYYMM`` or ``YYYY``) written the canonical way."""
    return "-".join(part for part in (value[:4], value[4:6], value[6:8]) if part)


def _mapped(table: dict[str, str], value: str | None) -> str | None:
    return None if value is None else table.get(value, "")


def _pattern(pattern: re.Pattern, value: str | None) -> str | None:
    if value is None:
        return None
    return value.replace(".", "") if pattern.fullmatch(value) else ""


def _cause_of_death(cause: str | None, vital: str | None) -> str | None:
    if cause is None:
        return "0000" if vital == "1" else None
    return _pattern(_ICD10, cause.upper())


def _telephone(phone: str | None) -> str | None:
    if phone is None:
        return None
    digits = re.sub(r"[\s.()-]", "", phone)
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    return digits if len(digits) == 10 and digits.isascii() and digits.isdigit() else ""


def _tnm(value: str | None) -> str | None:
    if value is None:
        return None
    return "c" + value if _TNM.fullmatch(value) else ""


def _stage_group(value: str | None) -> str | None:
    if value is None:
        return None
    match = _STAGE_GROUP.fullmatch(value.upper())
    return _ROMAN[match[1]] + match[2] if match else ""
