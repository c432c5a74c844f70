"""Site groups (GLOBOCAN) of reports: from ICD-O-3 via IARC's ICD-10 conversion, or from an
ICD-10 cause of death."""

from __future__ import annotations

import polars as pl

from oncoreg.codes.icd10 import to_icd10
from oncoreg.codes.sitegroups import groups_for_icd10

ALL_SITES = {"all-sites", "all-excl-nmsc"}


def group_of_icd10(code: str | None) -> str | None:
    """The one GLOBOCAN group of an ICD-10 code (not the all-sites aggregates)."""
    if not code:
        return None
    groups = [g for g in groups_for_icd10(code, scheme="globocan") if g not in ALL_SITES]
    return groups[0] if groups else "other"


def _convert(pair: str) -> str | None:
    topography, morphology, sex = pair.split("|")
    try:
        result = to_icd10(topography, morphology, int(sex) if sex in ("1", "2") else None)
    except Exception:  # noqa: BLE001 - invalid codes have no site group
        return None
    return group_of_icd10(result.code)


def site_of(frame: pl.DataFrame, cause: bool = False) -> pl.Series:
    """The site group of each report (or of its cause of death), computed per distinct code."""
    if cause:
        keys = frame["cause_of_death"]
        mapping = {k: group_of_icd10(k) for k in keys.drop_nulls().unique().to_list()}
    else:
        keys = frame.select(
            pl.concat_str(
                [
                    "topography",
                    pl.lit("|"),
                    pl.col("morphology"),
                    pl.lit("/"),
                    "behaviour",
                    pl.lit("|"),
                    pl.col("sex").fill_null("9"),
                ]
            )
        )[:, 0]
        mapping = {k: _convert(k) for k in keys.drop_nulls().unique().to_list()}
    return keys.replace_strict(mapping, default=None, return_dtype=pl.String).alias(
        "cause_site" if cause else "site"
    )
