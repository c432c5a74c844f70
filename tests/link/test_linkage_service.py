"""Linkage runs on an imported synthetic registry: quality against the ground truth,
stable ids, incremental runs, registrar decisions, atomic failure, export, audit."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from sqlalchemy import func, select

from oncoreg.link.evaluate import evaluate
from oncoreg.link.persons import comparisons
from oncoreg.services import linkage
from oncoreg.services.imports import import_file
from oncoreg.services.linkage import link_registry
from oncoreg.services.review import decide, export_links, review_count, review_list, review_pair
from oncoreg.store import AuditEvent, LinkRun, Person, ReviewItem, Source, Tumour


def _links(store, tmp_path) -> pl.DataFrame:
    out = tmp_path / "links.csv"
    export_links(store, out)
    return pl.read_csv(out, infer_schema=False)


def _score(links: pl.DataFrame, truth: pl.DataFrame, found: str, true: str) -> dict:
    both = links.join(truth, on=["facility_code", "report_id"], suffix="_true")
    record = pl.concat_str(["facility_code", pl.lit("/"), "report_id"]).alias("record")
    return evaluate(
        both.select(record, pl.col(found).alias("cluster")),
        both.select(record, pl.col(true).alias("entity")),
    )


def test_full_run_links_persons_and_tumours_like_the_truth(store, truth, tmp_path):
    summary = link_registry(store, actor="test")
    assert summary.mode == "full" and summary.unlinked == 0
    assert summary.linked == summary.reports > 2000
    links = _links(store, tmp_path)
    assert links.height == summary.reports and links["person_id"].null_count() == 0
    persons = _score(links, truth, "person_id", "person_id_true")
    tumours = _score(links, truth, "tumour_id", "tumour_id_true")
    assert persons["precision"] > 0.995 and persons["recall"] > 0.98, persons
    assert tumours["f1"] > 0.97, tumours
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(Person)) == summary.persons
        model = s.scalar(select(LinkRun.model))
        names = [c["output_column_name"] for c in model["comparisons"]]
        assert names == [c.create_output_column_name() for c in comparisons()]
        tumour = s.scalars(select(Tumour).where(Tumour.provenance.is_not(None))).first()
        assert set(tumour.provenance) >= {"topography", "morphology", "basis"}
        events = s.scalar(
            select(func.count()).where(
                AuditEvent.entity == "persons", AuditEvent.action == "insert"
            )
        )
        assert events == summary.persons  # every write audited


def test_rerun_keeps_registry_ids_and_new_reports_link_incrementally(
    store, yearly_files, truth, tmp_path
):
    link_registry(store, actor="test")
    before = _links(store, tmp_path)
    again = link_registry(store, actor="test")
    assert again.mode == "incremental"
    assert _links(store, tmp_path).equals(before)  # nothing new: nothing moves
    import_file(store, yearly_files[1])
    later = link_registry(store, actor="test")
    assert later.mode == "incremental" and later.linked == later.reports
    after = _links(store, tmp_path)
    kept = before.join(after, on=["facility_code", "report_id"], suffix="_now")
    assert (kept["person_id"] == kept["person_id_now"]).all()
    persons = _score(after, truth, "person_id", "person_id_true")
    assert persons["precision"] > 0.995 and persons["recall"] > 0.98, persons


def test_since_relinks_the_reports_received_since_a_date(store, tmp_path):
    link_registry(store, actor="test")
    before = _links(store, tmp_path)
    again = link_registry(store, actor="test", since=date(2000, 1, 1))  # every report
    assert again.mode == "incremental" and again.linked == again.reports
    assert _links(store, tmp_path).equals(before)  # same model, same reports: same ids


def test_registrar_decisions_win_over_the_model(store, tmp_path):
    link_registry(store, actor="test")
    links = _links(store, tmp_path)
    shared = links.filter(pl.len().over("person_id") >= 2).sort("person_id", "report_id")
    first, second = shared.row(0, named=True), shared.row(1, named=True)
    with store.session() as s:
        ids = [
            s.scalar(select(Source.id).where(Source.report_id == row["report_id"]))
            for row in (first, second)
        ]
        run = s.scalar(select(LinkRun.id))
        s.add(
            ReviewItem(
                run_id=run, kind="pair", source_id=min(ids), other_source_id=max(ids), reason="test"
            )
        )
        s.flush()
        item = s.scalar(select(ReviewItem.id).where(ReviewItem.reason == "test"))
    decide(store, item, "non_match", actor="lan", note="different mothers' names")
    link_registry(store, actor="test")
    after = _links(store, tmp_path).filter(
        pl.col("report_id").is_in([first["report_id"], second["report_id"]])
    )
    assert after["person_id"].n_unique() == 2
    with store.session() as s:
        decided = s.get(ReviewItem, item)
        assert (decided.decision, decided.decided_by) == ("non_match", "lan")
        assert s.scalar(select(func.count()).where(AuditEvent.entity == "review_items")) == 1


def test_review_queue_shows_pairs_side_by_side(store):
    summary = link_registry(store, actor="test", match_threshold=0.999, review_threshold=0.3)
    assert summary.review_open == review_count(store) > 0
    row = review_list(store, limit=1)[0]
    pair = review_pair(store, row.id)
    assert pair["kind"] == "pair" and pair["right"]
    assert {f["field"] for f in pair["fields"]} >= {"given_name", "birth_date", "topography"}
    assert pair["weights"]["name"]["level"]


def test_an_incremental_run_keeps_the_open_review_items_it_did_not_look_at(store):
    first = link_registry(store, actor="test", match_threshold=0.999, review_threshold=0.3)
    assert first.review_open == review_count(store) > 0
    again = link_registry(store, actor="test", match_threshold=0.999, review_threshold=0.3)
    assert again.mode == "incremental"
    with store.session() as s:  # nothing new: nothing scored again
        assert (
            s.scalar(select(LinkRun.figures).where(LinkRun.id == again.run_id))["pairs_scored"] == 0
        )
    assert again.review_open == review_count(store) == first.review_open


def test_reports_without_name_or_identifier_go_to_review(store):
    with store.session() as s:
        source = s.scalars(select(Source).order_by(Source.id)).first()
        for name in ("family_name", "middle_name", "given_name", "full_name", "national_id"):
            setattr(source, name, None)
        source.insurance_number = None
        lonely = source.id
    summary = link_registry(store, actor="test")
    assert summary.unlinked == 1
    with store.session() as s:
        assert s.get(Source, lonely).tumour_id is None
        item = s.scalar(select(ReviewItem).where(ReviewItem.source_id == lonely))
        assert item.kind == "report" and "no name" in item.reason
        other = s.scalar(select(Source).where(Source.id != lonely).order_by(Source.id))
        other_key = (other.facility.code, other.report_id)
        item_id = item.id
    again = link_registry(store, actor="test")  # the item stays open, not doubled
    assert again.unlinked == 1 and review_count(store) == again.review_open
    decide(store, item_id, "match", actor="lan", with_report=other_key)
    link_registry(store, actor="test")
    with store.session() as s:
        linked, other = s.get(Source, lonely), s.get(Source, other.id)
        assert linked.tumour_id is not None
        assert linked.tumour.person_id == other.tumour.person_id


def test_a_failed_run_leaves_the_previous_persons_untouched(store, tmp_path, monkeypatch):
    link_registry(store, actor="test")
    before = _links(store, tmp_path)

    def broken(*_args, **_kwargs):
        raise RuntimeError("disk full while writing review items")

    monkeypatch.setattr(linkage, "_write_review", broken)
    with pytest.raises(RuntimeError):
        link_registry(store, actor="test", full=True)
    assert _links(store, tmp_path).equals(before)
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(LinkRun)) == 1


def test_thresholds_out_of_order_are_refused(store):
    from oncoreg.errors import InputError

    with pytest.raises(InputError, match="thresholds"):
        link_registry(store, actor="test", match_threshold=0.4, review_threshold=0.6)
