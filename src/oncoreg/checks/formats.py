"""Values the importer could not parse: a date or an age in a form the contract does not know.

The value is kept as given in the report's raw record; the report is refused until it is
corrected (severity error), with the field named.
"""

from __future__ import annotations

import polars as pl

from oncoreg.checks.engine import Severity, rule

_DATES = {
    "birth_date": ("ngày sinh", "birth date"),
    "diagnosis_date": ("ngày chẩn đoán", "diagnosis date"),
    "last_contact_date": ("ngày liên lạc cuối", "date of last contact"),
    "death_date": ("ngày tử vong", "date of death"),
    "first_treatment_date": ("ngày điều trị đầu tiên", "date of first treatment"),
}


def _date_rule(field: str, vi: str, en: str) -> None:
    rule(
        f"FMT-{field.upper().replace('_', '-')}",
        Severity.ERROR,
        (field,),
        en=f"The {en} is not a date: write YYYY-MM-DD, YYYY-MM or YYYY",
        vi=f"Giá trị {vi} không phải là ngày: ghi YYYY-MM-DD, YYYY-MM hoặc YYYY",
        family="formats",
    )(lambda: pl.col(f"{field}_invalid"))


for _field, (_vi, _en) in _DATES.items():
    _date_rule(_field, _vi, _en)


@rule(
    "FMT-AGE",
    Severity.ERROR,
    ("age_at_diagnosis",),
    en="The age at diagnosis is not a whole number of years",
    vi="Tuổi lúc chẩn đoán không phải là số năm nguyên",
    family="formats",
)
def age_not_a_number() -> pl.Expr:
    return pl.col("age_at_diagnosis_invalid")
