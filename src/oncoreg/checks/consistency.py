"""Consistency checks between items: IARC's sex, behaviour, grade and basis checks.

The rules of the IARC/IACR CHECK program (Ferlay et al., *Check and conversion programs
for cancer registries*, IARC Technical Report 42, 2005; the same checks as IARCcrgTools
and CanReg5, whose sources cite them as "DEPedits #N"):

=========================== ======= ===================================================
rule                        IARC    what
=========================== ======= ===================================================
CONS-SEX-SITE               #20     female sites C51-C58 in a male, male sites C60-C63
                                    in a female (invalid)
CONS-SEX-HISTOLOGY          #21     histologies of IARC's morphological families of the
                                    female genital organs (22-26) in a male, of penis
                                    and testis (27-28) in a female (rare)
CONS-BEHAVIOUR-SITE         #25     in situ at bone, marrow/blood, nerves, soft tissue,
                                    meninges, brain, CNS: C40-C42, C47, C49, C70-C72
CONS-BEHAVIOUR-HISTOLOGY    conv.   behaviour impossible for the histology: in situ
                                    sarcoma, bone, CNS... tumours; benign, uncertain,
                                    in situ or metastatic lymphoma or leukaemia
CONS-GRADE-BEHAVIOUR        #9      a grade (1-8) given for a non-malignant tumour
CONS-GRADE-HISTOLOGY        #9      grade incompatible with the histology
CONS-BASIS-HISTOLOGY        #10     a histology only a microscope can tell with a
                                    non-microscopic basis (0, 1, 2, 4)
CONS-DCO                            a death certificate only case with no date of death
CONS-DCO-NOT-DEAD                   a death certificate only case recorded as alive
=========================== ======= ===================================================

CONS-BEHAVIOUR-HISTOLOGY takes the combinations for which IARC's ICD-O-3 -> ICD-10
conversion program (same report) has no code: the in situ histologies of
:data:`IN_SITU_IMPOSSIBLE`, and behaviours 0, 1, 2 and 6 with the haematopoietic and
lymphoid histologies 9590-9992; a pair that ICD-O-3.2 lists (9673/1 in situ mantle cell
neoplasia, 9765/1 MGUS, ...) is always accepted.

Choices where IARC's program and its later versions disagree are written at each rule;
``tests/checks/test_consistency.py`` compares every table-driven rule with the IACR checks
as expanded by the DHIS2 Rwanda cancer registry and lists each difference with its reason.
Every rule is null-safe: an unknown item never breaks a rule.
"""

from __future__ import annotations

from functools import cache

import polars as pl

from oncoreg.checks.engine import Severity, rule
from oncoreg.codes._tables import register_cache
from oncoreg.codes.morphology import morphology_table

FAMILY = "consistency"
MALE, FEMALE = "1", "2"
MALIGNANT = ("3", "6", "9")
NOT_MALIGNANT = ("0", "1", "2")
NON_MICROSCOPIC = ("0", "1", "2", "4")
DEATH_CERTIFICATE_ONLY = "0"

# Sex/site (#20): categories of one sex only.
FEMALE_SITES = tuple(f"C{n}" for n in range(51, 59))
MALE_SITES = tuple(f"C{n}" for n in range(60, 64))

# Sex/histology (#21): IARC morphological families 22-26 (genital rhabdomyoma, endometrial
# stromal sarcoma, ovarian, placental, other female genital tumours), rare in a male, and
# 27-28 (Queyrat erythroplasia, testicular germ cell tumours), rare in a female.
FEMALE_HISTOLOGIES = (
    "8313,8380-8384,8441-8444,8451,8460,8462,8463,8470-8473,8482,8593,8600-8602,8610,"
    "8620-8623,8632,8641,8660,8670,8905,8930,8931,8934,8950,8951,9000,9013-9015,9090,9091,"
    "9103,9104"
)
MALE_HISTOLOGIES = "8080,9061-9063,9102"
# Malignant only in the ovary: teratoma with malignant transformation, 9084/3.
FEMALE_MALIGNANT_HISTOLOGY = 9084

# Behaviour/site (#25): in situ is rare (IARC: "not applicable") at these categories.
NO_IN_SITU_SITES = ("C40", "C41", "C42", "C47", "C49", "C70", "C71", "C72")

# Behaviour/histology: histologies with no in situ code in IARC's conversion program
# (sarcomas, paragangliomas, bone, odontogenic, CNS and peripheral nerve tumours).
IN_SITU_IMPOSSIBLE = (
    "8690-8692,8728,8800-8806,8810-8815,8820-8827,8830-8836,8840-8842,8850-8858,8860-8862,"
    "8870,8880,8881,8890-8898,8900-8905,8910,8912,8920,8921,8963,8990,8991,9040-9044,"
    "9180-9187,9191-9195,9200,9210,9220,9221,9230,9231,9241-9243,9250,9260-9262,9270-9275,"
    "9280-9282,9290,9300-9302,9310-9312,9320-9322,9330,9340-9342,9380-9384,9390-9395,9400,"
    "9401,9410-9412,9420,9421,9423-9425,9430-9432,9440-9442,9444,9450,9451,9460,9470-9474,"
    "9480,9508,9530-9535,9537-9539,9550,9560-9562,9570,9571,9580-9582"
)
HAEMATOPOIETIC = (9590, 9992)
HAEMATOPOIETIC_IMPOSSIBLE_BEHAVIOURS = ("0", "1", "2", "6")

# Grade/histology (#9): the grades each histology allows when malignant. Histologies that
# imply a differentiation grade; T-, B- and NK-cell lymphomas and leukaemias; 9700-9719
# T/NK-cell lymphomas otherwise T or NK; below 9590 no cell lineage (5-8).
IMPLIED_GRADES = {
    "1": "8331,9187,9511",
    "2": "8249,8332,9083,9243,9372",
    "3": "8631,8634",
    "4": "8020,8021,8805,9062,9082,9392,9401,9451,9505,9512",
    "5": "9702,9705,9708,9709,9716-9719,9724,9726,9729,9827,9834,9837",
    "6": "9670-9699,9712,9728,9737,9738,9811-9818,9823,9833,9836",
    "8": "9948",
    "457": "9714",
}
T_NK_RANGE, T_NK_GRADES = (9700, 9719), "58"
SOLID_GRADES, LYMPHOID_GRADES = "1234", "12345678"
LINEAGE_FROM = 9590

# Basis/histology (#10): histologies IARC accepts without microscopic verification
# (tumour markers, imaging, clinical picture); 8720 melanoma only of skin and eye.
ACCEPTED_WITHOUT_MICROSCOPY = (
    "8000,8150-8154,8170,8270-8281,8800,8960,9050,9100,9140,9350,9380,9384,9500,9510,"
    "9530-9539,9590,9732,9761,9800"
)
MELANOMA, MELANOMA_CLINICAL_SITES = 8720, ("C44", "C69")


def expand_codes(spec: str) -> list[int]:
    """The histology codes of a list of codes and ranges.

    Args:
        spec: comma-separated codes and inclusive ranges, e.g. ``"8000,8150-8154"``.

    Returns:
        The codes as integers, in the order given.
    """
    out: list[int] = []
    for part in spec.split(","):
        low, _, high = part.partition("-")
        out.extend(range(int(low), int(high or low) + 1))
    return out


@cache
def _grade_table() -> dict[int, str]:
    """Histology -> the grades (as a string of digits) it allows, where restricted."""
    table = {h: T_NK_GRADES for h in range(T_NK_RANGE[0], T_NK_RANGE[1] + 1)}
    for grades, spec in IMPLIED_GRADES.items():
        table.update(dict.fromkeys(expand_codes(spec), grades))
    return table


@register_cache
def _listed_codes() -> list[str]:
    return sorted(morphology_table())


@rule(
    "CONS-SEX-SITE",
    Severity.ERROR,
    ("sex", "topography"),
    en="Site is not compatible with sex",
    vi="Vị trí không phù hợp với giới tính",
    family=FAMILY,
)
def sex_site() -> pl.Expr:
    """Female genital site (C51-C58) in a male or male genital site (C60-C63) in a female."""
    sex, site = pl.col("sex"), pl.col("site3")
    return ((sex == MALE) & site.is_in(FEMALE_SITES)) | ((sex == FEMALE) & site.is_in(MALE_SITES))


@rule(
    "CONS-SEX-HISTOLOGY",
    Severity.WARNING,
    ("sex", "morphology", "behaviour"),
    en="Histology is rare for this sex",
    vi="Loại mô bệnh học hiếm gặp ở giới tính này",
    family=FAMILY,
)
def sex_histology() -> pl.Expr:
    """A histology of the female genital organs in a male, or of penis/testis in a female.

    IARC's program also flags 9084/3 (malignant only in the ovary) in a male; CanReg5
    carries the rule but never reads the behaviour, so it never fires there.
    """
    sex, histology = pl.col("sex"), pl.col("histology")
    female_only = histology.is_in(expand_codes(FEMALE_HISTOLOGIES)) | (
        (histology == FEMALE_MALIGNANT_HISTOLOGY) & (pl.col("behaviour") == "3")
    )
    return ((sex == MALE) & female_only) | (
        (sex == FEMALE) & histology.is_in(expand_codes(MALE_HISTOLOGIES))
    )


@rule(
    "CONS-BEHAVIOUR-SITE",
    Severity.WARNING,
    ("behaviour", "topography"),
    en="In situ behaviour is rare or not applicable at this site",
    vi="U tại chỗ hiếm gặp hoặc không áp dụng ở vị trí này",
    family=FAMILY,
)
def behaviour_site() -> pl.Expr:
    """In situ (/2) at bone, haematopoietic system, nerves, soft tissue, meninges or CNS."""
    return (pl.col("behaviour") == "2") & pl.col("site3").is_in(NO_IN_SITU_SITES)


@rule(
    "CONS-BEHAVIOUR-HISTOLOGY",
    Severity.ERROR,
    ("morphology", "behaviour"),
    en="Behaviour is not possible for this histology",
    vi="Tính chất u không phù hợp với loại mô bệnh học",
    family=FAMILY,
)
def behaviour_histology() -> pl.Expr:
    """A behaviour the histology cannot have, unless ICD-O-3.2 lists the pair.

    In situ (/2) of the histologies of :data:`IN_SITU_IMPOSSIBLE`, or behaviour 0, 1, 2
    or 6 of a haematopoietic or lymphoid histology (9590-9992).
    """
    histology, behaviour = pl.col("histology"), pl.col("behaviour")
    in_situ = (behaviour == "2") & histology.is_in(expand_codes(IN_SITU_IMPOSSIBLE))
    haematopoietic = histology.is_between(*HAEMATOPOIETIC) & behaviour.is_in(
        HAEMATOPOIETIC_IMPOSSIBLE_BEHAVIOURS
    )
    return (in_situ | haematopoietic) & ~pl.col("morph_code").is_in(_listed_codes())


def _grade_number() -> pl.Expr:
    """Grade 1-8 as given (9, unknown, and invalid values give null)."""
    grade = pl.col("grade")
    return pl.when(grade.is_in([str(g) for g in range(1, 9)])).then(grade)


@rule(
    "CONS-GRADE-BEHAVIOUR",
    Severity.ERROR,
    ("grade", "behaviour"),
    en="A grade is given for a tumour that is not malignant",
    vi="Khối u không ác tính nhưng có ghi độ mô học",
    family=FAMILY,
)
def grade_behaviour() -> pl.Expr:
    """Grade 1-8 with behaviour 0, 1 or 2: IARC grades only malignant tumours.

    IARC's program also rejects a grade with /6 and /9, which are malignant here.
    """
    return _grade_number().is_not_null() & pl.col("behaviour").is_in(NOT_MALIGNANT)


@rule(
    "CONS-GRADE-HISTOLOGY",
    Severity.ERROR,
    ("grade", "morphology", "behaviour"),
    en="Grade is not compatible with the histology",
    vi="Độ mô học không phù hợp với loại mô bệnh học",
    family=FAMILY,
)
def grade_histology() -> pl.Expr:
    """A malignant tumour's grade 1-8 outside the grades its histology allows.

    IARC's grade/histology check (CanReg5 ``CheckGrade``, DEPedits #9) with the ICD-O-3.1
    updates of the IACR check lists in use (the DHIS2 ones): 8249 (neuroendocrine tumour,
    grade 2) implies grade 2; 9390 (now choroid plexus carcinoma) no longer implies 4;
    9716, 9724, 9726 are T-cell and 9737, 9738, 9811-9818 B-cell. Where two of IARC's
    rules contradict each other the specific one wins: 9714 (anaplastic large cell
    lymphoma, T-cell and null-cell type) allows 4, 5 or 7, not only 5, and 9712
    (intravascular large B-cell lymphoma) allows 6 rather than nothing. Grades 1-4 stay
    allowed for the other lymphomas and leukaemias, as in IARC's program. Behaviours 6
    and 9 are malignant (IARC's program checks /3 only).
    """
    histology, grade = pl.col("histology"), _grade_number()
    restricted = histology.replace_strict(_grade_table(), default=None, return_dtype=pl.String)
    allowed = pl.coalesce(
        restricted,
        pl.when(histology < LINEAGE_FROM)
        .then(pl.lit(SOLID_GRADES))
        .otherwise(pl.lit(LYMPHOID_GRADES)),
    )
    malignant = pl.col("behaviour").is_in(MALIGNANT)
    return malignant & histology.is_not_null() & ~allowed.str.contains(grade, literal=True)


@rule(
    "CONS-BASIS-HISTOLOGY",
    Severity.WARNING,
    ("basis", "morphology", "topography"),
    en="Specific histology with a basis of diagnosis that is not microscopic",
    vi="Loại mô bệnh học cụ thể nhưng cơ sở chẩn đoán không có xác nhận vi thể",
    family=FAMILY,
)
def basis_histology() -> pl.Expr:
    """Basis 0, 1, 2 or 4 with a histology that needs a microscope to be known.

    Accepted without microscopy (IARC): 8000 and the histologies of
    :data:`ACCEPTED_WITHOUT_MICROSCOPY`, and melanoma 8720 of skin (C44) or eye (C69).
    8001-8005 (tumour cells, small/giant/spindle/clear cell type) name a cell type, so
    IARC queries them too. An unknown basis (9) is not queried here.
    """
    histology = pl.col("histology")
    clinical_melanoma = (histology == MELANOMA) & pl.col("site3").is_in(MELANOMA_CLINICAL_SITES)
    accepted = histology.is_in(expand_codes(ACCEPTED_WITHOUT_MICROSCOPY)) | clinical_melanoma
    return pl.col("basis").is_in(NON_MICROSCOPIC) & histology.is_not_null() & ~accepted


@rule(
    "CONS-DCO",
    Severity.ERROR,
    ("basis", "death_date"),
    en="Death certificate only case without a date of death",
    vi="Ca chỉ dựa vào giấy chứng tử nhưng không có ngày tử vong",
    family=FAMILY,
)
def dco_without_death() -> pl.Expr:
    """Basis 0 (death certificate only) and no date of death."""
    return (pl.col("basis") == DEATH_CERTIFICATE_ONLY) & pl.col("death_date").is_null()


@rule(
    "CONS-DCO-NOT-DEAD",
    Severity.WARNING,
    ("basis", "vital_status"),
    en="Death certificate only case but the patient is recorded as alive",
    vi="Ca chỉ dựa vào giấy chứng tử nhưng bệnh nhân được ghi là còn sống",
    family=FAMILY,
)
def dco_alive() -> pl.Expr:
    """Basis 0 (death certificate only) with vital status 1 (alive)."""
    return (pl.col("basis") == DEATH_CERTIFICATE_ONLY) & (pl.col("vital_status") == "1")
