"""Running the Splink model: train, score all pairs, or score new reports against the
existing ones with a saved model (incremental linkage).

DuckDB (in memory) is the default backend; Spark (``backend="spark"``, with the
``oncoreg[spark]`` extra and a Java runtime) is for data past one machine. Both run the same
settings, so a model trained on one scores on the other.
"""

from __future__ import annotations

import copy
import logging
import math
import tempfile
from typing import Any

import polars as pl
from splink import Linker, block_on

from oncoreg.errors import InputError
from oncoreg.link import persons

BACKENDS = ("duckdb", "spark")
U_SAMPLE_PAIRS = 5_000_000
SEED = 20_250_701
logger = logging.getLogger(__name__)
PAIR_COLUMNS = ["unique_id_l", "unique_id_r", "match_probability", "match_weight"]
TF_COLUMNS = ("name_marked", "name", "family_given", "name_sorted")


def _db_api(backend: str):
    if backend == "duckdb":
        import duckdb
        from splink import DuckDBAPI

        connection = duckdb.connect()
        connection.execute("SET enable_progress_bar = false")  # progress is oncoreg's to show
        return DuckDBAPI(connection)
    if backend == "spark":
        try:
            from pyspark.sql import SparkSession
            from splink.backends.spark import SparkAPI, similarity_jar_location
        except ImportError as error:
            raise InputError(
                "the Spark backend needs pyspark",
                hint="pip install 'oncoreg[spark]' (and a Java runtime), or use --backend duckdb",
            ) from error
        # Splink's string similarity functions (Jaro-Winkler) are Scala UDFs in its jar
        spark = (
            SparkSession.builder.appName("oncoreg-link")
            .config("spark.jars", similarity_jar_location())
            .getOrCreate()
        )
        spark.sparkContext.setCheckpointDir(tempfile.mkdtemp(prefix="oncoreg-spark-"))
        return SparkAPI(spark_session=spark)
    raise InputError(
        f"unknown linkage backend {backend!r}", hint=f"use one of {', '.join(BACKENDS)}"
    )


def _register(api, frame: pl.DataFrame, name: str):
    if type(api).__name__ == "SparkAPI":
        # through Arrow, so that column types survive (booleans, nullable numbers)
        api.spark.conf.set("spark.sql.execution.arrow.pyspark.enabled", "true")
        return api.register(api.spark.createDataFrame(frame.to_pandas()), table_name=name)
    return api.register(frame.to_arrow(), table_name=name)


def _quiet() -> None:
    logging.getLogger("splink").setLevel(logging.ERROR)


def train_and_predict(
    frame: pl.DataFrame, backend: str, review_threshold: float
) -> tuple[pl.DataFrame, dict[str, Any]]:
    """Train the model on ``frame`` (EM for m, random sampling for u, the prior from the
    national-ID rule) and score every blocked pair at or above ``review_threshold``.

    Returns:
        The pairs (:data:`PAIR_COLUMNS` plus each comparison's match weight ``mw_*``)
        and the trained model as a JSON-able dict.
    """
    _quiet()
    api = _db_api(backend)
    linker = Linker(_register(api, frame, "reports"), persons.settings(), log_level=None)
    for column in TF_COLUMNS:  # frequency tables up front: the Spark backend needs them
        linker.table_management.compute_tf_table(column)
    training = linker.training
    training.estimate_probability_two_random_records_match(
        [block_on("nid")], recall=id_rule_recall(frame)
    )
    training.estimate_u_using_random_sampling(max_pairs=U_SAMPLE_PAIRS, seed=SEED)
    for rule in persons.training_rules():
        linker = _em_session(linker, rule)
    pairs = linker.inference.predict(
        threshold_match_probability=review_threshold, warning_mode="never"
    )
    return _to_polars(pairs), linker.misc.save_model_to_json()


def _em_session(linker: Linker, rule) -> Linker:
    """One EM session, on a copy of the model that is kept only if the session succeeds.

    A small registry may give a session too few pairs to estimate from (an m probability
    of zero, which Splink refuses midway, leaving the model it was changing without the
    comparisons the session had set aside); the other sessions and the starting values
    then stand in for it.
    """
    trial = copy.deepcopy(linker)
    try:
        trial.training.estimate_parameters_using_expectation_maximisation(rule)
    except ValueError as error:
        logger.warning("linkage training session skipped: %s", str(error).splitlines()[0])
        return linker
    return trial


def id_rule_recall(frame: pl.DataFrame) -> float:
    """The share of true pairs that agree on the national ID hash, estimated from the data:
    both reports must carry one (coverage squared, reports taken as independent), and then
    agree (measured on pairs with the same name and full birth date, nearly all one
    person). Splink derives the prior match probability from it."""
    coverage = frame["nid"].is_not_null().mean() or 0.0
    known = frame.filter(
        pl.col("nid").is_not_null() & pl.col("name").is_not_null() & pl.col("dob").is_not_null()
    ).select("unique_id", "name", "dob", "nid")
    pairs = known.join(known, on=["name", "dob"], suffix="_r").filter(
        pl.col("unique_id") < pl.col("unique_id_r")
    )
    agreement = (pairs["nid"] == pairs["nid_r"]).mean() if pairs.height >= 20 else 0.98
    return min(max(coverage**2 * agreement, 0.01), 1.0)


def predict_new(
    existing: pl.DataFrame,
    new: pl.DataFrame,
    model: dict[str, Any],
    backend: str,
    review_threshold: float,
) -> pl.DataFrame:
    """Score new reports against each other and against the existing ones with a saved
    model; term frequencies come from all reports together."""
    api = _db_api(backend)
    everything = pl.concat([existing, new], how="vertical_relaxed")
    _quiet()
    linker = Linker(_register(api, everything, "all_reports"), model, log_level=None)
    for column in TF_COLUMNS:
        linker.table_management.compute_tf_table(column)
    left = _register(api, new, "new_reports")
    within = linker.inference.predict_within(
        left, threshold_match_probability=review_threshold, warning_mode="never"
    )
    parts = [_to_polars(within)]
    if existing.height:
        right = _register(api, existing, "existing_reports")
        between = linker.inference.predict_between(
            left, right, threshold_match_probability=review_threshold, warning_mode="never"
        )
        parts.append(_to_polars(between))
    return pl.concat(parts, how="diagonal_relaxed")


def _to_polars(pairs) -> pl.DataFrame:
    frame = pl.from_arrow(pairs.as_pyarrow_table())
    keep = [c for c in frame.columns if c in PAIR_COLUMNS or c.startswith("mw_")]
    return frame.select(keep).with_columns(pl.col("unique_id_l", "unique_id_r").cast(pl.Int64))


def level_weights(model: dict[str, Any]) -> dict[str, list[tuple[float, str]]]:
    """Comparison -> (match weight, label) of each trained level, read from a saved model."""
    out: dict[str, list[tuple[float, str]]] = {}
    for comparison in model.get("comparisons", []):
        levels = []
        for level in comparison["comparison_levels"]:
            m, u = level.get("m_probability"), level.get("u_probability")
            if level.get("is_null_level"):
                levels.append((0.0, "missing on one side"))
            elif m and u:
                levels.append((math.log2(m / u), level.get("label_for_charts", "")))
        out[comparison["output_column_name"]] = levels
    return out


def level_of(levels: list[tuple[float, str]], weight: float) -> str:
    """The label of the level whose weight a pair got (levels differ in weight)."""
    return min(levels, key=lambda level: abs(level[0] - weight))[1] if levels else ""
