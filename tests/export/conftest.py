"""A small hand-made report frame shared by the exporter tests (all names and IDs made up).

Three facilities, five reports: at ``BVK`` two patients, one of them with two tumours
(and a death), the other with a split name and a diagnosis date of year precision; at
``79-BVUB`` a death-certificate-only report without patient number, birth date or IDs;
at ``36-BVT`` a report whose id and patient number are not FHIR-id or file-name safe.
"""

from __future__ import annotations

import polars as pl
import pytest

from oncoreg.ingest.canonical import NAMES

SAMPLE_ROWS: list[dict[str, str]] = [
    {
        "report_id": "R-001",
        "facility_code": "BVK",
        "patient_no": "0012345",
        "full_name": "Nguyễn Thị Lan",
        "sex": "2",
        "birth_date": "1965-03",
        "age_at_diagnosis": "55",
        "national_id": "001165001234",
        "insurance_no": "DN4010012345678",
        "phone": "0912345678",
        "province_code": "01",
        "address": "Số 5 phố Huế, Hai Bà Trưng & <Hà Nội>",
        "diagnosis_date": "2020-06-15",
        "topography": "C50.9",
        "morphology": "8500",
        "behaviour": "3",
        "grade": "2",
        "basis": "7",
        "laterality": "2",
        "tnm_t": "T2",
        "tnm_n": "N1",
        "tnm_m": "M0",
        "stage_group": "IIB",
        "summary_stage": "2",
        "first_treatment_date": "2020-07-01",
        "surgery": "1",
        "radiotherapy": "1",
        "chemotherapy": "1",
        "systemic_other": "1",
        "vital_status": "2",
        "last_contact_date": "2023-02-10",
        "death_date": "2023-02-10",
        "cause_of_death": "C50.9",
    },
    {
        "report_id": "R-002",
        "facility_code": "BVK",
        "patient_no": "0012345",
        "full_name": "Nguyễn Thị Lan",
        "sex": "2",
        "birth_date": "1965-03",
        "age_at_diagnosis": "57",
        "national_id": "001165001234",
        "province_code": "01",
        "diagnosis_date": "2022-11",
        "topography": "C18.7",
        "morphology": "8140",
        "behaviour": "3",
        "grade": "3",
        "basis": "6",
        "laterality": "0",
        "stage_group": "III",
        "summary_stage": "7",
        "surgery": "1",
        "radiotherapy": "0",
        "chemotherapy": "0",
        "systemic_other": "0",
        "vital_status": "2",
        "last_contact_date": "2023-01-05",
    },
    {
        "report_id": "R-003",
        "facility_code": "BVK",
        "patient_no": "0099881",
        "family_name": "Trần",
        "middle_name": "Văn",
        "given_name": "Hùng",
        "sex": "1",
        "birth_date": "1950",
        "age_at_diagnosis": "71",
        "insurance_no": "HT2790099881234",
        "province_code": "79",
        "address": '=HYPERLINK("x")',
        "diagnosis_date": "2021",
        "topography": "C22.0",
        "morphology": "8170",
        "behaviour": "3",
        "grade": "9",
        "basis": "4",
        "laterality": "0",
        "summary_stage": "9",
        "vital_status": "1",
        "last_contact_date": "2024-01-15",
    },
    {
        "report_id": "9",
        "facility_code": "79-BVUB",
        "full_name": "Lê Thị Mai",
        "sex": "2",
        "province_code": "79",
        "diagnosis_date": "2019-01-20",
        "topography": "C53.9",
        "morphology": "8070",
        "behaviour": "3",
        "basis": "0",
        "vital_status": "2",
        "last_contact_date": "2019-02",
        "death_date": "2019-02",
        "cause_of_death": "C53.9",
    },
    {
        "report_id": "BC/2021/000123",
        "facility_code": "36-BVT",
        "patient_no": "BN 4455",
        "full_name": "Phạm Văn Đức",
        "sex": "1",
        "birth_date": "1972-08-09",
        "age_at_diagnosis": "49",
        "national_id": "036072004455",
        "phone": "+84 912 000 111",
        "province_code": "36",
        "diagnosis_date": "2021-09",
        "topography": "C34.1",
        "morphology": "8140",
        "behaviour": "3",
        "basis": "2",
        "laterality": "1",
        "tnm_t": "T4",
        "tnm_n": "N2",
        "tnm_m": "M1",
        "stage_group": "IV",
        "radiotherapy": "1",
        "surgery": "0",
        "vital_status": "1",
        "last_contact_date": "2022-05",
    },
]


def frame_of(rows: list[dict[str, str | None]]) -> pl.DataFrame:
    """A canonical report frame (every column, all text) of partial row dicts."""
    return pl.DataFrame(
        [{name: row.get(name) for name in NAMES} for row in rows],
        schema={name: pl.String for name in NAMES},
    )


@pytest.fixture
def reports() -> pl.DataFrame:
    """The sample frame of the module docstring."""
    return frame_of(SAMPLE_ROWS)
