"""How many true pairs the blocking keys let through (recall of blocking), from a ground
truth: the check behind the blocking rules, run by tests and bench/linkage.py."""

from __future__ import annotations

import polars as pl

from oncoreg.link.persons import BLOCKING_KEYS


def blocked_true_pairs(frame: pl.DataFrame, entity: str = "entity") -> pl.DataFrame:
    """True pairs (same ``entity``) of a linkage frame, each with ``blocked``: whether any
    blocking key puts it among the compared pairs (a null never agrees)."""
    keyed = frame.select("unique_id", entity, *{c for key in BLOCKING_KEYS for c in key})
    pairs = keyed.join(keyed, on=entity, suffix="_r").filter(
        pl.col("unique_id") < pl.col("unique_id_r")
    )
    agree = [
        pl.all_horizontal([(pl.col(c) == pl.col(f"{c}_r")).fill_null(False) for c in key])
        for key in BLOCKING_KEYS
    ]
    return pairs.select(
        pl.col("unique_id").alias("unique_id_l"),
        "unique_id_r",
        pl.any_horizontal(agree).alias("blocked"),
    )


def blocking_recall(frame: pl.DataFrame, entity: str = "entity") -> float:
    """Share of true pairs the blocking keys compare (1.0 when there are none)."""
    pairs = blocked_true_pairs(frame, entity)
    return float(pairs["blocked"].mean()) if pairs.height else 1.0
