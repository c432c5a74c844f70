"""Derived columns shared by the rules: validity flags, site and histology keys, age.

Every derived column is an expression over the input columns, added once per run:

=================== ====================================================================
column              meaning
=================== ====================================================================
sex_valid           sex is 1, 2 or 9
topography_valid    topography is an ICD-O-3 subsite (``C50.9``)
site3               topography category (``C50``) when valid, else null
site4               ``C509`` (no dot) when valid, else null
morphology_valid    morphology is 4 digits and an ICD-O-3 histology (any edition)
histology           the histology as an integer when valid, else null
behaviour_valid     behaviour is 0, 1, 2, 3, 6 or 9
morph_code          ``NNNN/B`` when histology and behaviour are valid, else null
grade_valid         grade is 1-9 (null = not given, valid)
basis_valid         basis is an IARC code (0, 1, 2, 4, 5, 6, 7, 9)
age_from_dates      completed years from birth to diagnosis (null unless both dates known
                    to the day or month)
age                 age_at_diagnosis if given, else age_from_dates
=================== ====================================================================
"""

from __future__ import annotations

from functools import cache

import polars as pl

from oncoreg.codes.basis import basis_table
from oncoreg.codes.morphology import grade_table, morphology_table
from oncoreg.codes.topography import topography_table


@cache
def _subsites() -> list[str]:
    return [code for code in topography_table() if len(code) == 5]


@cache
def _histologies() -> list[str]:
    return sorted({code[:4] for code in morphology_table()})


def age_from_dates(
    birth: str, birth_precision: str, diagnosis: str, diagnosis_precision: str
) -> pl.Expr:
    """Completed years from birth to diagnosis; null unless both dates are known to the
    day or month (a year-only date cannot give an exact age)."""
    b, dx = pl.col(birth), pl.col(diagnosis)
    precise = pl.col(birth_precision).is_in(["day", "month"]) & pl.col(diagnosis_precision).is_in(
        ["day", "month"]
    )
    before_birthday = (dx.dt.month() < b.dt.month()) | (
        (dx.dt.month() == b.dt.month()) & (dx.dt.day() < b.dt.day())
    )
    years = dx.dt.year() - b.dt.year() - before_birthday.cast(pl.Int32)
    return pl.when(precise).then(years).cast(pl.Int64)


def derived_columns(frame: pl.LazyFrame) -> pl.LazyFrame:
    """Add the derived columns of the module docstring to ``frame``."""
    topo = pl.col("topography")
    morph = pl.col("morphology")
    topo_ok = topo.is_in(_subsites())
    morph_ok = morph.is_in(_histologies())
    beh_ok = pl.col("behaviour").is_in(["0", "1", "2", "3", "6", "9"])
    return frame.with_columns(
        sex_valid=pl.col("sex").is_in(["1", "2", "9"]),
        topography_valid=topo_ok,
        site3=pl.when(topo_ok).then(topo.str.slice(0, 3)),
        site4=pl.when(topo_ok).then(topo.str.replace(".", "", literal=True)),
        morphology_valid=morph_ok,
        histology=pl.when(morph_ok).then(morph.cast(pl.Int32, strict=False)),
        behaviour_valid=beh_ok,
        morph_code=pl.when(morph_ok & beh_ok).then(
            pl.concat_str([morph, pl.lit("/"), pl.col("behaviour")])
        ),
        grade_valid=pl.col("grade").is_null() | pl.col("grade").is_in(list(grade_table())),
        basis_valid=pl.col("basis").is_in(list(basis_table())),
        age_from_dates=age_from_dates(
            "birth_date", "birth_date_precision", "diagnosis_date", "diagnosis_date_precision"
        ),
    ).with_columns(age=pl.coalesce("age_at_diagnosis", "age_from_dates"))
