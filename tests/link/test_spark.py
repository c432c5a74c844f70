"""The Spark backend scores like DuckDB (where pyspark and a Java runtime are installed:
``pip install 'oncoreg[spark]'``; skipped with that reason elsewhere)."""

from __future__ import annotations

import shutil

import polars as pl
import pytest

from oncoreg.link import engine
from oncoreg.link.features import linkage_frame
from oncoreg.services.linkage import _read_sources

pytest.importorskip("pyspark", reason="the Spark backend needs the oncoreg[spark] extra")
if shutil.which("java") is None:
    pytest.skip("the Spark backend needs a Java runtime", allow_module_level=True)


def test_spark_and_duckdb_find_the_same_pairs(store):
    if not store.url.startswith("sqlite"):
        pytest.skip("compares the two Splink backends; the registry database does not matter")
    with store.session() as s:
        frame = linkage_frame(_read_sources(s).head(1500)).filter(pl.col("identified"))
    found = {}
    for backend in ("duckdb", "spark"):
        pairs, model = engine.train_and_predict(frame, backend, 0.5)
        assert model["comparisons"]
        found[backend] = set(
            pairs.filter(pl.col("match_probability") >= 0.95)
            .select("unique_id_l", "unique_id_r")
            .iter_rows()
        )
    assert len(found["duckdb"]) > 50
    shared = found["duckdb"] & found["spark"]
    assert len(shared) >= 0.98 * max(len(found["duckdb"]), len(found["spark"]))
