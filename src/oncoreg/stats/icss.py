"""ICSS weights: the International Cancer Survival Standards for age-standardising survival.

Corazziari I, Quinn M, Capocaccia R. Standard cancer patient population for age
standardising survival ratios. Eur J Cancer 2004;40(15):2307-16. Three standards over five
age groups at diagnosis (15-44, 45-54, 55-64, 65-74, 75+): ICSS 1 for cancers whose incidence
rises with age, ICSS 2 for those with roughly constant incidence, ICSS 3 for those most common
in the young. The weights equal popEpi's ``ICSS`` dataset (ICSS1-3 per 5-year age group,
summing to 100,000) summed over each group and divided by 100,000.

The standardised estimate is the weighted sum of the age-group estimates, its SE the root
of the weighted sum of squared SEs (weights squared), as popEpi's survtab computes them.
Patients under 15 are outside the standard. When a stratum has no patient in some age group
the weights of the groups it has are rescaled to sum to 1, and a warning is logged.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import polars as pl

from oncoreg.errors import InputError

log = logging.getLogger("oncoreg.stats")

ICSS_GROUP_COLUMN = "icss_age_group"
ICSS_AGE_LOWER = (15, 45, 55, 65, 75)
ICSS_LABELS = ("15-44", "45-54", "55-64", "65-74", "75+")
ICSS_WEIGHTS = {
    "icss-1": (0.07, 0.12, 0.23, 0.29, 0.29),
    "icss-2": (0.28, 0.17, 0.21, 0.20, 0.14),
    "icss-3": (0.60, 0.10, 0.10, 0.10, 0.10),
}


def icss_weights(standard: str) -> np.ndarray:
    """The five age-group weights of ``icss-1``, ``icss-2`` or ``icss-3``."""
    if standard not in ICSS_WEIGHTS:
        raise InputError(f"unknown standard {standard!r}", hint="use icss-1, icss-2 or icss-3")
    return np.array(ICSS_WEIGHTS[standard])


def icss_group(age: np.ndarray) -> np.ndarray:
    """Each age's ICSS group (0 for 15-44 ... 4 for 75+), -1 under 15."""
    return np.searchsorted(np.array(ICSS_AGE_LOWER), np.asarray(age), side="right") - 1


def add_icss_groups(prepared: pl.DataFrame) -> pl.DataFrame:
    """The cohort with its ICSS age group column, patients under 15 left out (logged)."""
    group = icss_group(prepared["age"].to_numpy())
    young = int((group < 0).sum())
    if young:
        log.warning("age-standardisation: %d patients under 15 are outside ICSS, left out", young)
    return prepared.with_columns(pl.Series(ICSS_GROUP_COLUMN, group, dtype=pl.Int8)).filter(
        pl.col(ICSS_GROUP_COLUMN) >= 0
    )


def standardise(
    keys: pl.DataFrame,
    by: Sequence[str],
    columns: dict[str, np.ndarray],
    standard: str,
    pairs: Sequence[tuple[str, str]],
) -> tuple[pl.DataFrame | None, dict[str, np.ndarray]]:
    """Combine age-group rows into one row per ``by`` stratum.

    Args:
        keys: the strata, ``by`` columns then :data:`ICSS_GROUP_COLUMN`, one row each.
        by: the grouping columns (without the age group).
        columns: arrays [stratum, time]; each ``(estimate, se)`` of ``pairs`` is
            standardised, ``n_at_risk`` summed.
        standard: ``icss-1``, ``icss-2`` or ``icss-3``.
        pairs: the (estimate, SE) column names to standardise.

    Returns:
        The ``by`` strata (``None`` without ``by``) and the combined arrays.
    """
    weights = icss_weights(standard)
    outer = keys.select(by).unique(maintain_order=True) if by else None
    members = _members(keys, by, outer)
    combined: dict[str, list[np.ndarray]] = {name: [] for name in columns}
    for rows in members:
        ages = keys[ICSS_GROUP_COLUMN].to_numpy()[rows]
        w = _rescaled(weights, ages)
        combined["n_at_risk"].append(columns["n_at_risk"][rows].sum(axis=0))
        for est, se in pairs:
            combined[est].append((w[:, None] * columns[est][rows]).sum(axis=0))
            combined[se].append(np.sqrt((w[:, None] ** 2 * columns[se][rows] ** 2).sum(axis=0)))
    return outer, {name: np.stack(values) for name, values in combined.items() if values}


def _members(keys: pl.DataFrame, by: Sequence[str], outer: pl.DataFrame | None) -> list:
    if outer is None:
        return [np.arange(keys.height)]
    index = keys.select(by).with_row_index("_row")
    out = []
    for key in outer.iter_rows():
        match = pl.all_horizontal(
            [
                pl.col(c).is_null() if v is None else pl.col(c) == v
                for c, v in zip(by, key, strict=True)
            ]
        )
        out.append(index.filter(match)["_row"].to_numpy())
    return out


def _rescaled(weights: np.ndarray, ages: np.ndarray) -> np.ndarray:
    if len(ages) < len(weights):
        missing = [ICSS_LABELS[g] for g in range(len(weights)) if g not in set(ages)]
        log.warning(
            "age-standardisation: no patients aged %s in a stratum; the other groups' "
            "weights are rescaled",
            ", ".join(missing),
        )
    w = weights[ages]
    return w / w.sum()
