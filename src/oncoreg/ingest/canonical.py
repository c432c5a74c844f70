"""The canonical oncoreg report CSV: the documented contract of one hospital report.

UTF-8, header row, one row per report (one hospital's report of one tumour). An empty
cell means unknown. The column list, types and codes are documented for people in
``docs/report-csv.md``; this module is the one place the code reads them from.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    """One column of the canonical report CSV."""

    name: str
    kind: str  # text, code, date, partial-date, integer
    description: str
    required: bool = False


COLUMNS: tuple[Column, ...] = (
    Column(
        "report_id",
        "text",
        "The facility's own identifier of this report; unique per facility.",
        required=True,
    ),
    Column(
        "facility_code",
        "code",
        "Code of the reporting facility (see `oncoreg facilities`).",
        required=True,
    ),
    Column("patient_no", "text", "The facility's own patient number (medical record number)."),
    Column(
        "full_name", "text", "Full name, family name first, when the parts are not given apart."
    ),
    Column("family_name", "text", "Family name (họ), e.g. Nguyễn."),
    Column("middle_name", "text", "Middle name(s) (tên đệm), e.g. Thị, Văn Hữu."),
    Column("given_name", "text", "Given name (tên), e.g. Lan."),
    Column("sex", "code", "1 male, 2 female, 9 unknown."),
    Column("birth_date", "partial-date", "YYYY-MM-DD, YYYY-MM or YYYY."),
    Column("age_at_diagnosis", "integer", "Age in completed years at diagnosis."),
    Column("national_id", "text", "National ID (CCCD, 12 digits)."),
    Column("insurance_no", "text", "Health-insurance card number."),
    Column("phone", "text", "Phone number."),
    Column(
        "province_code", "code", "Province of residence: 2-digit code before or after 1 July 2025."
    ),
    Column("address", "text", "Address of residence."),
    Column("diagnosis_date", "partial-date", "Date of incidence: YYYY-MM-DD, YYYY-MM or YYYY."),
    Column("topography", "code", "ICD-O-3 topography, e.g. C50.9."),
    Column("morphology", "code", "ICD-O-3 histology, 4 digits, e.g. 8500."),
    Column("behaviour", "code", "ICD-O-3 behaviour: 0, 1, 2, 3, 6, 9."),
    Column("grade", "code", "ICD-O-3 grade: 1-9."),
    Column("basis", "code", "IARC basis of diagnosis: 0, 1, 2, 4, 5, 6, 7, 9."),
    Column(
        "laterality",
        "code",
        "0 not paired, 1 right, 2 left, 3 one side unspecified, 4 bilateral, 9 unknown.",
    ),
    Column("tnm_t", "code", "TNM T category, e.g. T2, T4b, Tis, TX."),
    Column("tnm_n", "code", "TNM N category, e.g. N0, N1, NX."),
    Column("tnm_m", "code", "TNM M category: M0, M1, MX."),
    Column("stage_group", "code", "TNM stage group: 0, I, IA, ..., IV, IVB."),
    Column("summary_stage", "code", "0 in situ, 1 localised, 2 regional, 7 distant, 9 unknown."),
    Column("first_treatment_date", "partial-date", "Date of the first cancer-directed treatment."),
    Column("surgery", "code", "Cancer-directed surgery: 1 yes, 0 no."),
    Column("radiotherapy", "code", "Radiotherapy: 1 yes, 0 no."),
    Column("chemotherapy", "code", "Chemotherapy: 1 yes, 0 no."),
    Column("systemic_other", "code", "Hormone, targeted or immunotherapy: 1 yes, 0 no."),
    Column("vital_status", "code", "1 alive, 2 dead (at the last contact)."),
    Column("last_contact_date", "partial-date", "Date of the last contact or of death."),
    Column("death_date", "partial-date", "Date of death."),
    Column("cause_of_death", "code", "Underlying cause of death, ICD-10 (e.g. C22.0, I21)."),
)

NAMES: tuple[str, ...] = tuple(c.name for c in COLUMNS)
REQUIRED: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.required)
