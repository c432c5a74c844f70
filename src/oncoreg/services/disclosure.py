"""Statistical disclosure control of published tables: small-cell suppression.

A table shown to a role below registrar must not let a reader single out a patient: every
cell (row) counting fewer than ``threshold`` cases has its count and every value derived
from it (rates, limits, percentages, survival) replaced by null, and is flagged in a
boolean ``suppressed`` column. The rule is a pure function of the frame, applied by the
service layer (``services/published.py``) before any interface sees the numbers.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

SUPPRESSED = "suppressed"
DEFAULT_THRESHOLD = 5


def suppress(
    frame: pl.DataFrame,
    count_column: str = "cases",
    value_columns: Sequence[str] | None = None,
    threshold: int = DEFAULT_THRESHOLD,
) -> pl.DataFrame:
    """The frame with every row of fewer than ``threshold`` cases blanked out.

    Args:
        frame: one row per cell, with the count column.
        count_column: the column of cases (or patients) the rule reads.
        value_columns: the columns derived from the count, nulled with it; None means
            every floating-point column (rates, limits, percentages).
        threshold: cells with ``count < threshold`` are suppressed (zero included); 0 or
            less suppresses nothing.

    Returns:
        The same rows and columns plus ``suppressed`` (an existing ``suppressed`` column is
        kept true where it was: the rule can be applied twice, e.g. to two counts).
    """
    if value_columns is None:
        value_columns = [
            name
            for name, dtype in frame.schema.items()
            if dtype.is_float() and name != count_column
        ]
    if threshold > 0:
        small = (pl.col(count_column) < threshold).fill_null(False)
    else:
        small = pl.lit(False)
    if SUPPRESSED in frame.columns:
        small = small | pl.col(SUPPRESSED).fill_null(False)
    flagged = frame.with_columns(small.alias("_small")).drop(SUPPRESSED, strict=False)
    blanked = [
        pl.when(pl.col("_small")).then(None).otherwise(pl.col(c)).alias(c)
        for c in dict.fromkeys([count_column, *value_columns])
        if c in frame.columns
    ]
    return flagged.with_columns(*blanked).rename({"_small": SUPPRESSED})


def threshold_for(full_statistics: bool, small_cells: int) -> int | None:
    """The suppression threshold of a reader: None (nothing suppressed) for roles allowed
    unsuppressed statistics or when the setting is 0, else the setting."""
    if full_statistics or small_cells <= 0:
        return None
    return small_cells
