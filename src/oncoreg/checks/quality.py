"""Data-quality indicators as CI5 editors read them.

For each stratum (site group, sex, year, facility ...): number of cases, MV% (basis 5-7),
DCO% (basis 0), clinical only% (basis 1), unknown basis% (9 or missing), unknown age%,
unknown primary site% (C80.9), and the mortality:incidence ratio where deaths are known
(deaths with the site as underlying cause / incident cases). Works on any frame with the
columns ``basis``, ``age``, ``topography``, ``site`` (a site group id), ``sex``,
``diagnosis_year`` and, for M:I, ``death_year`` and ``cause_site`` (the site group of the
cause of death).
"""

from __future__ import annotations

import polars as pl

INDICATORS = (
    "cases",
    "mv_pct",
    "dco_pct",
    "clinical_only_pct",
    "unknown_basis_pct",
    "unknown_age_pct",
    "unknown_site_pct",
    "deaths",
    "m_i_ratio",
)
# short headers for narrow tables, in the vocabulary of CI5's editorial tables
HEADERS = {
    "cases": "N",
    "mv_pct": "MV%",
    "dco_pct": "DCO%",
    "clinical_only_pct": "clin%",
    "unknown_basis_pct": "unk basis%",
    "unknown_age_pct": "unk age%",
    "unknown_site_pct": "C80.9%",
    "deaths": "deaths",
    "m_i_ratio": "M:I",
}


def _pct(condition: pl.Expr) -> pl.Expr:
    return (condition.fill_null(False).mean() * 100).round(1)


def indicators(frame: pl.DataFrame, by: list[str]) -> pl.DataFrame:
    """One row per stratum of ``by`` (empty list: one row for all), with :data:`INDICATORS`."""
    basis = pl.col("basis")
    cases = frame.group_by(by or pl.lit("all").alias("_all"), maintain_order=True).agg(
        pl.len().alias("cases"),
        _pct(basis.is_in(["5", "6", "7"])).alias("mv_pct"),
        _pct(basis == "0").alias("dco_pct"),
        _pct(basis == "1").alias("clinical_only_pct"),
        _pct(basis.is_null() | (basis == "9")).alias("unknown_basis_pct"),
        _pct(pl.col("age").is_null()).alias("unknown_age_pct"),
        _pct(pl.col("topography") == "C80.9").alias("unknown_site_pct"),
    )
    deaths = _deaths(frame, by)
    keys = by or ["_all"]
    out = cases.join(deaths, on=keys, how="left").with_columns(pl.col("deaths").fill_null(0))
    out = out.with_columns(
        m_i_ratio=pl.when(pl.col("deaths") > 0).then((pl.col("deaths") / pl.col("cases")).round(2))
    )
    return out.drop("_all", strict=False).select(*by, *INDICATORS).sort(by or "cases")


def _deaths(frame: pl.DataFrame, by: list[str]) -> pl.DataFrame:
    """Deaths by stratum: the site taken from the cause of death, the year from the death."""
    dead = frame.filter(pl.col("cause_site").is_not_null() & pl.col("death_year").is_not_null())
    renamed = dead.with_columns(
        site=pl.col("cause_site") if "site" in by else pl.col("site"),
        diagnosis_year=pl.col("death_year") if "diagnosis_year" in by else pl.col("diagnosis_year"),
    )
    return renamed.group_by(by or pl.lit("all").alias("_all"), maintain_order=True).agg(
        pl.len().alias("deaths")
    )
