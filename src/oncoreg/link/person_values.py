"""A person's values chosen from the reports linked to them.

- name: the parts (family, middle, given) of one report, so that they stay coherent: the
  folded full name most reports give, written with marks where a report has them, then the
  longest (a middle name kept), then the newest report;
- birth date: the most precise date most reports agree on (day over month over year);
- sex, identifiers, phone, address, province: the value most reports give, the newest
  report breaking ties; an identifier is kept with its hash from the same report.
"""

from __future__ import annotations

import polars as pl

NAME = ["family_name", "middle_name", "given_name"]
BIRTH = ["birth_date", "birth_date_precision"]
SIMPLE = {
    "sex": ["sex"],
    "national_id": ["national_id", "national_id_hash"],
    "insurance_number": ["insurance_number", "insurance_hash"],
    "phone": ["phone"],
    "address": ["address"],
    "province_code": ["province_code", "province_code_2004"],
}
PERSON_COLUMNS = [*NAME, *BIRTH, *(c for cols in SIMPLE.values() for c in cols)]
PRECISION_RANK = {"day": 0, "month": 1, "year": 2, "unknown": 3}


def person_values(reports: pl.DataFrame) -> pl.DataFrame:
    """One row per ``person_key`` with the columns in :data:`PERSON_COLUMNS`.

    Args:
        reports: Linked reports: ``id``, ``person_key``, the name (``name`` folded and
            ``has_marks`` from :func:`oncoreg.link.features.linkage_frame`) and the
            stored columns in :data:`PERSON_COLUMNS`.
    """
    persons = reports.select("person_key").unique().sort("person_key")
    persons = persons.join(_name(reports), on="person_key", how="left")
    persons = persons.join(_birth(reports), on="person_key", how="left")
    for lead, columns in SIMPLE.items():
        persons = persons.join(_most_common(reports, lead, columns), on="person_key", how="left")
    return persons.select("person_key", *PERSON_COLUMNS)


def _most_common(reports: pl.DataFrame, lead: str, columns: list[str]) -> pl.DataFrame:
    known = reports.filter(pl.col(lead).is_not_null())
    if lead == "sex":
        known = known.filter(pl.col("sex") != "9")
    ranked = known.with_columns(pl.len().over("person_key", lead).alias("_n")).sort(
        ["person_key", "_n", "id"], descending=[False, True, True]
    )
    return ranked.group_by("person_key", maintain_order=True).first().select("person_key", *columns)


def _name(reports: pl.DataFrame) -> pl.DataFrame:
    named = reports.filter(pl.col("given_name").is_not_null())
    ranked = named.with_columns(
        pl.len().over("person_key", "name").alias("_n"),
        pl.col("has_marks").fill_null(0).alias("_marks"),
        pl.col("name").str.len_chars().alias("_length"),
    ).sort(
        ["person_key", "_n", "_marks", "_length", "id"],
        descending=[False, True, True, True, True],
    )
    return ranked.group_by("person_key", maintain_order=True).first().select("person_key", *NAME)


def _birth(reports: pl.DataFrame) -> pl.DataFrame:
    known = reports.filter(pl.col("birth_date").is_not_null())
    ranked = known.with_columns(
        pl.col("birth_date_precision")
        .cast(pl.String)
        .replace_strict(PRECISION_RANK, default=3, return_dtype=pl.Int8)
        .alias("_rank"),
        pl.len().over("person_key", "birth_date", "birth_date_precision").alias("_n"),
    ).sort(["person_key", "_rank", "_n", "id"], descending=[False, False, True, True])
    return ranked.group_by("person_key", maintain_order=True).first().select("person_key", *BIRTH)
