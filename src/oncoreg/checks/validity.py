"""Validity checks of single fields: the codes and required items of IARC's CHECK program.

IARC/IACR CHECK program (Ferlay et al., *Check and conversion programs for cancer
registries*, IARC Technical Report 42, 2005), first part: every item must be present where
it is required and be a valid code. A missing sex, site, histology, behaviour or date of
diagnosis, or a code outside its list, is an error; a missing basis of diagnosis is a
warning (the case can be registered, but it lowers the MV% and DCO% indicators).

Two rules go beyond the 2005 program and follow ICD-O-3.2 (2019): a morphology code marked
obsolete (``[obs]``, or listed only by ICD-O-3 / ICD-O-3.1) is a warning, and a
histology/behaviour pair that ICD-O-3.2 does not list is an information finding: it is a
valid code by the matrix principle (ICD-O rule F) but unusual enough to confirm.
"""

from __future__ import annotations

import polars as pl

from oncoreg.checks.engine import Severity, rule
from oncoreg.codes._tables import register_cache
from oncoreg.codes.morphology import BEHAVIOURS, morphology_table

FAMILY = "validity"
SEXES = ("1", "2", "9")
MIN_AGE, MAX_AGE = 0, 120


@register_cache
def _obsolete_codes() -> list[str]:
    """Listed ``NNNN/B`` codes marked obsolete or retired from ICD-O-3.2."""
    return sorted(code for code, m in morphology_table().items() if m.obsolete or m.retired)


@register_cache
def _obsolete_histologies() -> list[str]:
    """Histologies all of whose listed codes are obsolete or retired."""
    current = {code[:4] for code, m in morphology_table().items() if not (m.obsolete or m.retired)}
    return sorted({code[:4] for code in morphology_table()} - current)


@register_cache
def _listed_codes() -> list[str]:
    """Every ``NNNN/B`` code the morphology table lists (any edition)."""
    return sorted(morphology_table())


def _missing_or_not(column: str, valid: pl.Expr) -> pl.Expr:
    """True where ``column`` is missing or ``valid`` is false."""
    return pl.col(column).is_null() | ~valid


@rule(
    "VAL-SEX",
    Severity.ERROR,
    ("sex",),
    en="Sex is missing or not a valid code (1, 2 or 9)",
    vi="Giới tính bị thiếu hoặc không phải mã hợp lệ (1, 2 hoặc 9)",
    family=FAMILY,
)
def sex_invalid() -> pl.Expr:
    """Sex missing or not 1 (male), 2 (female), 9 (unknown)."""
    return _missing_or_not("sex", pl.col("sex").is_in(SEXES))


@rule(
    "VAL-TOPOGRAPHY",
    Severity.ERROR,
    ("topography",),
    en="Topography is missing or not an ICD-O-3 subsite",
    vi="Vị trí khối u bị thiếu hoặc không phải mã vị trí ICD-O-3 hợp lệ",
    family=FAMILY,
)
def topography_invalid() -> pl.Expr:
    """Topography missing or not a four-character ICD-O-3 subsite (``C50`` alone is not)."""
    return _missing_or_not("topography", pl.col("topography_valid"))


@rule(
    "VAL-MORPHOLOGY",
    Severity.ERROR,
    ("morphology",),
    en="Morphology is missing or not an ICD-O-3 histology code",
    vi="Mã hình thái học bị thiếu hoặc không phải mã mô bệnh học ICD-O-3 hợp lệ",
    family=FAMILY,
)
def morphology_invalid() -> pl.Expr:
    """Histology missing or not a four-digit ICD-O-3 histology (any edition)."""
    return _missing_or_not("morphology", pl.col("morphology_valid"))


@rule(
    "VAL-BEHAVIOUR",
    Severity.ERROR,
    ("behaviour",),
    en="Behaviour is missing or not a valid code (0, 1, 2, 3, 6 or 9)",
    vi="Tính chất u bị thiếu hoặc không phải mã hợp lệ (0, 1, 2, 3, 6 hoặc 9)",
    family=FAMILY,
)
def behaviour_invalid() -> pl.Expr:
    """Behaviour (fifth digit of the morphology code) missing or not an ICD-O-3 code."""
    return _missing_or_not("behaviour", pl.col("behaviour").is_in(BEHAVIOURS))


@rule(
    "VAL-GRADE",
    Severity.ERROR,
    ("grade",),
    en="Grade is not a valid code (1 to 9)",
    vi="Độ mô học không phải mã hợp lệ (1 đến 9)",
    family=FAMILY,
)
def grade_invalid() -> pl.Expr:
    """Grade given but not 1-9 (a missing grade is allowed)."""
    return pl.col("grade").is_not_null() & ~pl.col("grade_valid")


@rule(
    "VAL-BASIS",
    Severity.ERROR,
    ("basis",),
    en="Basis of diagnosis is not an IARC code (0, 1, 2, 4, 5, 6, 7 or 9)",
    vi="Cơ sở chẩn đoán không phải mã IARC hợp lệ (0, 1, 2, 4, 5, 6, 7 hoặc 9)",
    family=FAMILY,
)
def basis_invalid() -> pl.Expr:
    """Basis given but not an IARC code (3 and 8 of older schemes are not)."""
    return pl.col("basis").is_not_null() & ~pl.col("basis_valid")


@rule(
    "VAL-BASIS-MISSING",
    Severity.WARNING,
    ("basis",),
    en="Basis of diagnosis is missing",
    vi="Thiếu cơ sở chẩn đoán",
    family=FAMILY,
)
def basis_missing() -> pl.Expr:
    """Basis of diagnosis not given."""
    return pl.col("basis").is_null()


@rule(
    "VAL-DIAGNOSIS-DATE",
    Severity.ERROR,
    ("diagnosis_date",),
    en="Date of diagnosis (incidence date) is missing",
    vi="Thiếu ngày chẩn đoán (ngày mắc)",
    family=FAMILY,
)
def diagnosis_date_missing() -> pl.Expr:
    """Date of diagnosis not given (or not readable, so null).

    A death certificate only report (basis 0) with a date of death is exempt: by the IARC
    rule its incidence date is the date of death.
    """
    dco_with_death = (pl.col("basis") == "0") & pl.col("death_date").is_not_null()
    return pl.col("diagnosis_date").is_null() & ~dco_with_death


@rule(
    "VAL-AGE",
    Severity.ERROR,
    ("age_at_diagnosis",),
    en="Age at diagnosis is outside 0 to 120 years",
    vi="Tuổi lúc chẩn đoán nằm ngoài khoảng 0 đến 120",
    family=FAMILY,
)
def age_out_of_range() -> pl.Expr:
    """Age at diagnosis given and below 0 or above 120."""
    age = pl.col("age_at_diagnosis")
    return age.is_not_null() & ~age.is_between(MIN_AGE, MAX_AGE)


@rule(
    "VAL-MORPHOLOGY-OBSOLETE",
    Severity.WARNING,
    ("morphology", "behaviour"),
    en="Morphology code is obsolete in ICD-O-3.2: use the current code",
    vi="Mã hình thái học đã lỗi thời trong ICD-O-3.2: dùng mã hiện hành",
    family=FAMILY,
)
def morphology_obsolete() -> pl.Expr:
    """The code is listed as obsolete, or it is unlisted and its histology is obsolete.

    A listed code marked ``[obs]`` in ICD-O-3.2, or listed only by ICD-O-3 or ICD-O-3.1,
    is obsolete (8120/1, but not 8120/3). An unlisted pair (or a missing behaviour) is
    obsolete when every listed code of its histology is.
    """
    code = pl.col("morph_code")
    listed_obsolete = code.is_in(_obsolete_codes()).fill_null(False)
    unlisted = ~code.is_in(_listed_codes()).fill_null(False)
    histology_obsolete = pl.col("morphology_valid") & pl.col("morphology").is_in(
        _obsolete_histologies()
    )
    return listed_obsolete | (unlisted & histology_obsolete)


@rule(
    "VAL-MORPHOLOGY-UNLISTED",
    Severity.INFO,
    ("morphology", "behaviour"),
    en="Histology and behaviour pair not listed in ICD-O-3.2 (matrix principle): confirm it",
    vi="Cặp mô bệnh học và tính chất u không có trong ICD-O-3.2 (nguyên tắc ma trận): cần xác nhận",
    family=FAMILY,
)
def morphology_unlisted() -> pl.Expr:
    """Valid histology and behaviour whose pair is not listed in the morphology table."""
    code = pl.col("morph_code")
    return code.is_not_null() & ~code.is_in(_listed_codes())
