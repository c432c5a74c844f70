"""Blocking keeps the true pairs: recall on the synthetic registry, worked by hand."""

from __future__ import annotations

import polars as pl

from oncoreg.link.blocking import blocked_true_pairs, blocking_recall
from oncoreg.link.features import linkage_frame
from oncoreg.services.facilities import import_facilities
from oncoreg.services.imports import import_file
from oncoreg.services.linkage import _read_sources
from oncoreg.services.registry import seed_provinces
from oncoreg.store import Facility, Source, Store, upgrade

from .conftest import SECRET, report_files


def test_blocking_keeps_over_99_5_percent_of_true_pairs(tmp_path, registry_dir, truth):
    store = Store(f"sqlite:///{tmp_path / 'r.db'}", SECRET)
    upgrade(store)
    seed_provinces(store)
    import_facilities(store, registry_dir / "facilities.csv")
    for path in report_files(registry_dir):
        import_file(store, path)
    with store.session() as s:
        sources = _read_sources(s)
        keys = pl.DataFrame(
            s.execute(
                Source.__table__.select()
                .with_only_columns(Source.id, Facility.code, Source.report_id)
                .join_from(Source, Facility, Source.facility_id == Facility.id)
            ).all(),
            schema=["unique_id", "facility_code", "report_id"],
            orient="row",
        )
    store.dispose()
    entity = keys.join(truth, on=["facility_code", "report_id"]).select(
        "unique_id", pl.col("person_id").alias("entity")
    )
    frame = linkage_frame(sources).join(entity, on="unique_id")
    assert blocked_true_pairs(frame).height > 1000
    assert blocking_recall(frame) > 0.995


def test_birth_years_a_year_apart_share_a_band():
    frame = pl.DataFrame(
        {
            "unique_id": [1, 2, 3, 4],
            "entity": ["a", "a", "b", "b"],
            "name": ["le van an", "le van an", "vo thi ba", "vo thi ba"],
            "birth_year": [1960, 1961, 1961, 1962],
        }
    ).with_columns(
        (pl.col("birth_year") // 2).alias("birth_band"),
        ((pl.col("birth_year") + 1) // 2).alias("birth_band_odd"),
    )
    from oncoreg.link.persons import BLOCKING_KEYS

    columns = {c for key in BLOCKING_KEYS for c in key}
    frame = frame.with_columns(pl.lit(None).alias(c) for c in columns if c not in frame.columns)
    assert blocked_true_pairs(frame)["blocked"].to_list() == [True, True]
