"""Importing report files: counts add up, nothing lost, batches atomic, re-import idempotent."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time

import polars as pl
import pytest
from sqlalchemy import func, select

from oncoreg.ingest.readers import named_cells
from oncoreg.services import imports
from oncoreg.services.checking import check_registry, confirm
from oncoreg.services.imports import import_file
from oncoreg.store import AuditEvent, CheckFinding, ImportBatch, Source


def _count(store, table) -> int:
    with store.session() as s:
        return s.scalar(select(func.count()).select_from(table))


def test_import_counts_add_up_and_rejects_are_listed(store, one_csv, synth_dir):
    summary = import_file(store, one_csv)
    truth = pl.read_csv(synth_dir / "truth" / "reports.csv", infer_schema=False)
    csv_rows = pl.read_csv(one_csv, infer_schema=False).height
    assert summary.rows_read == csv_rows
    assert summary.adds_up()
    assert summary.imported == _count(store, Source) > 0.9 * csv_rows
    injected = truth.filter(pl.col("injected_error").is_not_null())
    rejected_ids = set()
    with summary.rejects_path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            assert row["reasons"]
            rejected_ids.add((row["facility_code"], row["report_id"]))
    assert len(rejected_ids) == summary.rejected
    in_csv = injected.join(
        pl.read_csv(one_csv, infer_schema=False), on=["facility_code", "report_id"]
    )
    missed = [
        (r, k)
        for f, r, k in in_csv.select("facility_code", "report_id", "injected_error").iter_rows()
        if (f, r) not in rejected_ids
    ]
    assert in_csv.height >= 5 and missed == []


def test_raw_rows_are_kept_as_cells_with_the_header_once_on_the_batch(store, one_csv):
    """A stored report's raw record is its row's cells; with the batch's header it is the
    row as read, cell for cell; the rejects file shows it as an object."""
    summary = import_file(store, one_csv)
    header = pl.read_csv(one_csv, infer_schema=False, n_rows=0).columns
    with store.session() as s:
        keys = s.scalar(select(ImportBatch.raw_columns))
        source = s.scalars(select(Source).order_by(Source.id)).first()
        raw, report_id, row = source.raw, source.report_id, source.row_number
    assert keys == header
    cells = named_cells(raw, keys)
    as_read = pl.read_csv(one_csv, infer_schema=False).row(row - 2, named=True)
    assert cells["report_id"] == report_id
    assert cells == {k: v or "" for k, v in as_read.items()}
    with summary.rejects_path.open(encoding="utf-8") as handle:
        rejected = next(csv.DictReader(handle))
    assert json.loads(rejected["raw"])["report_id"] == rejected["report_id"]


def test_reimport_is_a_no_op_and_a_correction_is_an_audited_update(store, one_csv, tmp_path):
    first = import_file(store, one_csv)
    again = import_file(store, one_csv)
    assert (again.imported, again.updated, again.unchanged) == (0, 0, first.imported)
    frame = pl.read_csv(one_csv, infer_schema=False)
    stored = set(pl.read_csv(first.rejects_path, infer_schema=False)["report_id"])
    target = frame.filter(~pl.col("report_id").is_in(list(stored))).row(0, named=True)
    fixed = frame.with_columns(
        phone=pl.when(pl.col("report_id") == target["report_id"])
        .then(pl.lit("0999999999"))
        .otherwise("phone")
    )
    corrected = tmp_path / "corrected.csv"
    fixed.write_csv(corrected)
    events_before = _count(store, AuditEvent)
    result = import_file(store, corrected, actor="registrar:lan")
    assert (result.imported, result.updated) == (0, 1)
    with store.session() as s:
        event = s.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert _count(store, AuditEvent) == events_before + 1
    assert event.actor == "registrar:lan" and event.entity == "sources"
    assert event.identifier_changes["phone"]["new"] == "0999999999"


def test_dry_run_writes_nothing(store, one_csv):
    summary = import_file(store, one_csv, dry_run=True)
    assert summary.adds_up() and summary.rejects_path is None
    assert _count(store, Source) == 0 and _count(store, ImportBatch) == 0


def test_unknown_facility_rows_are_rejected(store, one_csv, tmp_path):
    frame = pl.read_csv(one_csv, infer_schema=False).head(20)
    path = tmp_path / "other.csv"
    frame.with_columns(facility_code=pl.lit("NOWHERE")).write_csv(path)
    summary = import_file(store, path)
    assert summary.rejected == 20 and summary.findings["IMP-FACILITY-UNKNOWN"] == 20


def test_a_failure_mid_batch_leaves_nothing(store, one_csv, monkeypatch):
    def crash(*_args, **_kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(imports, "_store_findings", crash)
    with pytest.raises(RuntimeError):
        import_file(store, one_csv)
    assert _count(store, Source) == 0 and _count(store, ImportBatch) == 0
    assert _count(store, AuditEvent) == 0 or _only_facility_events(store)


def _only_facility_events(store) -> bool:
    with store.session() as s:
        entities = set(s.scalars(select(AuditEvent.entity)))
    return entities == {"facilities"}


def test_warnings_are_stored_and_can_be_confirmed(store, one_csv):
    import_file(store, one_csv)
    findings = check_registry(store)
    warnings = findings.filter(pl.col("severity") == "warning")
    if warnings.is_empty():
        pytest.skip("no warning rule fired on this synthetic sample")
    facility, report, rule = warnings.select("facility_code", "report_id", "rule_id").row(0)
    confirm(store, facility, report, rule, actor="registrar:lan")
    with store.session() as s:
        finding = s.scalars(
            select(CheckFinding).where(CheckFinding.confirmed_by.is_not(None))
        ).one()
    assert finding.confirmed_at is not None
    after = check_registry(store)
    assert after.filter((pl.col("report_id") == report) & (pl.col("rule_id") == rule)).is_empty()


def test_killing_the_process_mid_import_leaves_the_batch_out(tmp_path, store, synth_dir):
    """SIGKILL while the batch is being written: the database has none of it afterwards.

    The child process imports a large file and, once its reports and their audit events
    are written inside the batch's transaction, says so in a marker file and waits: the
    kill lands in the middle of the batch every time, on either backend."""
    files = sorted((synth_dir / "reports" / "csv").glob("*.csv"))
    frame = pl.concat([pl.read_csv(f, infer_schema=False) for f in files])
    big = pl.concat(
        [frame.with_columns(report_id=pl.col("report_id") + f"-{i}") for i in range(40)]
    )
    path = tmp_path / "big.csv"
    big.write_csv(path)
    marker = tmp_path / "written"
    script = (
        "import time\nfrom pathlib import Path\nfrom oncoreg.store import Store\n"
        "from oncoreg.services import imports\n"
        "audit = imports._audit_inserts\n"
        "def paused(*args, **kwargs):\n"
        "    audit(*args, **kwargs)\n"
        f"    Path({str(marker)!r}).write_text('written')\n"
        "    time.sleep(120)\n"
        "imports._audit_inserts = paused\n"
        f"s = Store({store.url!r}, {store._hash_key!r})\n"
        f"imports.import_file(s, Path({str(path)!r}))\n"
    )
    env = os.environ | {"TMPDIR": str(tmp_path)}  # staging files of the killed run stay here
    proc = subprocess.Popen([sys.executable, "-c", script], env=env)
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None and not marker.exists():
        time.sleep(0.05)
    assert marker.exists() and proc.poll() is None, "the import never reached its writes"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert _count(store, Source) == 0 and _count(store, ImportBatch) == 0
