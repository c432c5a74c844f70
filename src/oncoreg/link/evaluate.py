"""Linkage quality against a ground truth: pairwise precision, recall and F1, and the
share of true persons whose cluster is exactly right."""

from __future__ import annotations

import polars as pl


def pair_count(sizes: pl.Expr) -> pl.Expr:
    return (sizes * (sizes - 1) / 2).sum()


def evaluate(found: pl.DataFrame, truth: pl.DataFrame) -> dict[str, float]:
    """Compare a clustering with the truth.

    Args:
        found: ``record`` -> ``cluster`` as linked (records left unlinked may be absent or
            have a null cluster: each then counts as a cluster of its own).
        truth: ``record`` -> ``entity`` for every record.

    Returns:
        ``true_pairs``, ``found_pairs``, ``correct_pairs``, ``precision``, ``recall``,
        ``f1``, ``entities``, ``exact_entities`` (true persons whose cluster holds exactly
        their records) and ``exact_share``.
    """
    both = truth.join(found, on="record", how="left").with_columns(
        pl.coalesce(
            pl.col("cluster").cast(pl.String),
            pl.lit("unlinked:") + pl.col("record").cast(pl.String),
        ).alias("cluster")
    )
    true_pairs = both.group_by("entity").len().select(pair_count(pl.col("len"))).item()
    found_pairs = both.group_by("cluster").len().select(pair_count(pl.col("len"))).item()
    correct = both.group_by("entity", "cluster").len().select(pair_count(pl.col("len"))).item()
    precision = correct / found_pairs if found_pairs else 1.0
    recall = correct / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    exact = (
        both.group_by("entity")
        .agg(pl.col("cluster").n_unique().alias("clusters"), pl.col("cluster").first(), pl.len())
        .filter(pl.col("clusters") == 1)
        .join(both.group_by("cluster").len().rename({"len": "cluster_size"}), on="cluster")
        .filter(pl.col("len") == pl.col("cluster_size"))
        .height
    )
    entities = both["entity"].n_unique()
    return {
        "true_pairs": int(true_pairs),
        "found_pairs": int(found_pairs),
        "correct_pairs": int(correct),
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "entities": entities,
        "exact_entities": exact,
        "exact_share": exact / entities if entities else 1.0,
    }
