"""Import of hospital report files: read, normalise, check, store — one batch per file.

A file is one batch, written in one transaction: a crash or an interrupt leaves the whole
file imported or none of it (the database rolls the transaction back). Every row read ends
in exactly one count — imported, updated, unchanged or rejected — and every rejected row is
listed with its reasons in ``<file>.rejects.csv`` beside the input. Rows with warnings are
stored with their findings, which a registrar can confirm.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
from sqlalchemy import delete, insert, literal, select

from oncoreg.checks.engine import run as run_checks
from oncoreg.errors import Problem
from oncoreg.ingest.normalise import for_checks, normalise
from oncoreg.ingest.readers import ReadResult, named_cells, read_reports, to_json
from oncoreg.model import AuditAction, RecordStatus
from oncoreg.services import source_rows
from oncoreg.services.csvfiles import write_csv
from oncoreg.services.stages import StageClock
from oncoreg.store import AuditEvent, CheckFinding, Facility, ImportBatch, Source, Store
from oncoreg.store.bulk import bulk_insert, insert_returning_ids, read_frame
from oncoreg.store.tables import utcnow

KEYS = ["facility_code", "report_id"]


@dataclass
class ImportSummary:
    """What one import did; imported + updated + unchanged + rejected == rows_read."""

    path: Path
    format: str = ""
    rows_read: int = 0
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    findings: Counter = field(default_factory=Counter)
    warnings: list[Problem] = field(default_factory=list)
    rejects_path: Path | None = None
    batch_id: int | None = None
    dry_run: bool = False
    seconds: dict[str, float] = field(default_factory=dict)

    def adds_up(self) -> bool:
        return self.imported + self.updated + self.unchanged + self.rejected == self.rows_read


def import_file(
    store: Store,
    path: Path,
    *,
    format: str = "auto",
    profile=None,
    facility: str | None = None,
    dry_run: bool = False,
    actor: str = "cli",
    on_stage: Callable[[str, int], None] | None = None,
) -> ImportSummary:
    """Import one file (or FHIR folder) of hospital reports; see the module docstring.

    ``on_stage(stage, rows)`` is called as each stage ends (read, normalise, check, store,
    commit, rejects) with the rows read, for progress displays.
    """
    clock = StageClock(on_stage)
    profile = profile or shipped_profile_for(path, format)
    read = read_reports(path, format=format, profile=profile, facility=facility)
    clock.rows = read.records
    clock.lap("read")
    summary = ImportSummary(
        path=path,
        format=read.format,
        rows_read=read.records,
        warnings=list(read.warnings),
        dry_run=dry_run,
    )
    frame = normalise(read.frame)
    read.frame = read.frame.clear()  # the raw columns are in ``frame`` now: free them
    clock.lap("normalise")
    with store.session(actor=actor) as session:
        facilities = dict(session.execute(select(Facility.code, Facility.id)).all())
        findings = _findings(frame, facilities)
        clock.lap("check")
        rejected, accepted = _split(frame, findings)
        summary.rejected = rejected.height + len(read.problems)
        summary.findings = Counter(findings["rule_id"].to_list())
        del frame  # a million reports weigh a few hundred MiB per copy: keep one
        existing = source_rows.existing(session, accepted, facilities)
        new, changed, same = source_rows.classify(accepted, existing)
        del accepted
        summary.imported, summary.updated, summary.unchanged = (
            new.height,
            changed.height,
            same.height,
        )
        if not dry_run:
            parts = (new, changed, existing)
            _store(session, summary, parts, findings, facilities, path, read, profile)
        clock.lap("store")
    clock.lap("commit")
    if summary.rejected and not dry_run:
        summary.rejects_path = _write_rejects(path, rejected, findings, read)
    clock.lap("rejects")
    summary.seconds = clock.laps
    return summary


def shipped_profile_for(path: Path, format: str = "auto"):
    """The shipped mapping profile whose headers are exactly the file's, for CSV and Excel
    files written a hospital's way (None for canonical files and other formats)."""
    from oncoreg.ingest.canonical import NAMES
    from oncoreg.ingest.profiles import load_profile, shipped_profiles
    from oncoreg.ingest.readers import detect_format

    fmt = detect_format(path) if format == "auto" else format
    if fmt not in ("csv", "xlsx"):
        return None
    if fmt == "csv":
        with path.open(encoding="utf-8-sig", errors="replace") as handle:
            headers = [h.strip() for h in handle.readline().rstrip("\r\n").split(",")]
    else:
        headers = pl.read_excel(path, engine="calamine", infer_schema_length=0).columns
    if {h.lower() for h in headers} <= set(NAMES):
        return None
    for name in sorted(shipped_profiles()):
        profile = load_profile(name)
        if {header for header, _ in profile.columns} == set(headers):
            return profile
    return None


STAGES = ("read", "normalise", "check", "store", "commit", "rejects")


def _findings(frame: pl.DataFrame, facilities: dict[str, int]) -> pl.DataFrame:
    """Check findings plus the importer's own: unknown facility, repeated report id."""
    found = run_checks(for_checks(frame))
    extra = frame.select(
        *KEYS,
        unknown=~pl.col("facility_code").is_in(list(facilities)),
        repeated=pl.struct(KEYS).is_duplicated() & ~pl.struct(KEYS).is_first_distinct(),
        long_text=source_rows.too_long(),
    )
    own = [
        (
            "IMP-FACILITY-UNKNOWN",
            "unknown",
            "facility_code",
            "No facility of the registry has this code (see `oncoreg facilities import`)",
            "Không có cơ sở nào trong hệ thống ghi nhận có mã này",
        ),
        (
            "IMP-REPORT-REPEATED",
            "repeated",
            "report_id",
            "The same report id appears earlier in the file for this facility",
            "Mã báo cáo này đã xuất hiện ở dòng trước của cùng cơ sở",
        ),
        (
            "IMP-TEXT-TOO-LONG",
            "long_text",
            "(text)",
            "A text value is longer than the registry can store",
            "Một giá trị văn bản dài hơn mức hệ thống lưu được",
        ),
    ]
    parts = [found]
    for rule_id, flag, column, en, vi in own:
        hits = extra.filter(flag).select(KEYS)
        parts.append(
            hits.with_columns(
                rule_id=pl.lit(rule_id),
                severity=pl.lit("error"),
                field=pl.lit(column),
                message_en=pl.lit(en),
                message_vi=pl.lit(vi),
            )
        )
    return pl.concat(parts).unique(keep="first", maintain_order=True)


def _split(frame: pl.DataFrame, findings: pl.DataFrame):
    errors = findings.filter(pl.col("severity") == "error").select(KEYS).unique()
    marked = frame.with_columns(_index=pl.int_range(pl.len()))
    bad_rows = marked.join(errors, on=KEYS, how="semi")
    repeated = marked.filter(pl.struct(KEYS).is_duplicated() & ~pl.struct(KEYS).is_first_distinct())
    rejected = pl.concat([bad_rows, repeated]).unique("_index").sort("_index")
    accepted = marked.join(rejected.select("_index"), on="_index", how="anti")
    return rejected.drop("_index"), accepted.drop("_index")


def _store(session, summary, parts, findings, facilities, path, read, profile) -> None:
    new, changed, existing = parts
    batch = ImportBatch(
        actor=str(session.info.get("actor")),
        file_name=path.name,
        file_hash=source_rows.file_hash(path),
        format=read.format,
        profile=getattr(profile, "name", None),
        raw_columns=read.raw_columns,
        rows_read=summary.rows_read,
    )
    session.add(batch)
    session.flush()
    ids = pl.concat(
        [
            _insert(session, new, facilities, batch.id, path),
            _update(session, changed, existing, facilities, batch.id, path),
        ]
    )
    _store_findings(session, findings, ids)
    summary.batch_id = batch.id
    batch.imported, batch.updated = summary.imported, summary.updated
    batch.unchanged = summary.unchanged
    batch.rejected, batch.findings = summary.rejected, dict(summary.findings)
    batch.finished_at = utcnow()


def _insert(session, new: pl.DataFrame, facilities, batch_id: int, path: Path) -> pl.DataFrame:
    """New reports in bulk, then one audit event each (written by the database itself
    from the batch's new rows), all in the batch's transaction. Returns the new rows' ids
    (``facility_code``, ``report_id``, ``source_id``)."""
    if new.is_empty():
        return _no_ids()
    hash_key = session.info.get("hash_key")
    rows = source_rows.to_frame(new, facilities, batch_id, path.name, hash_key)
    ids = insert_returning_ids(session.connection(), Source.__table__, rows)
    _audit_inserts(session, batch_id)
    if ids is not None:
        inserted = rows.select("facility_id", "report_id", source_id=ids)
    else:
        query = select(Source.id.label("source_id"), Source.facility_id, Source.report_id).where(
            Source.batch_id == batch_id
        )
        inserted = read_frame(session.connection(), query)
    codes = pl.DataFrame(
        {"facility_id": list(facilities.values()), "facility_code": list(facilities)},
        schema={"facility_id": pl.Int64, "facility_code": pl.String},
    )
    return inserted.join(codes, on="facility_id").select(*KEYS, "source_id")


def _no_ids() -> pl.DataFrame:
    return pl.DataFrame(
        schema={"facility_code": pl.String, "report_id": pl.String, "source_id": pl.Int64}
    )


def _audit_inserts(session, batch_id: int) -> None:
    """One AuditEvent per report the batch inserted, by INSERT ... SELECT."""
    changes = {
        "batch_id": {"old": None, "new": batch_id},
        "status": {"old": None, "new": RecordStatus.PENDING.value},
    }
    table = AuditEvent.__table__
    rows = select(
        literal(utcnow(), table.c.at.type),
        literal(str(session.info.get("actor") or "system"), table.c.actor.type),
        literal(AuditAction.INSERT, table.c.action.type),
        literal("sources", table.c.entity.type),
        Source.id,
        Source.facility_id,
        literal(changes, table.c.changes.type),
    ).where(Source.batch_id == batch_id)
    columns = ["at", "actor", "action", "entity", "entity_id", "facility_id", "changes"]
    session.execute(insert(table).from_select(columns, rows))


def _update(session, changed: pl.DataFrame, existing, facilities, batch_id: int, path: Path):
    """Corrected reports: the ORM writes each change to the audit trail."""
    if changed.is_empty():
        return _no_ids()
    ids = {}
    rows = source_rows.to_frame(changed, facilities, batch_id, path.name, None).to_dicts()
    for row, key in zip(rows, changed.select(KEYS).iter_rows(), strict=True):
        source = session.get(Source, existing[key][0])
        for name, value in row.items():
            if name not in source_rows.NEVER_UPDATED:
                setattr(source, name, value)
        ids[key] = source.id
    session.execute(delete(CheckFinding).where(CheckFinding.source_id.in_(list(ids.values()))))
    return pl.DataFrame(
        [(f, r, i) for (f, r), i in ids.items()],
        schema=_no_ids().schema,
        orient="row",
    )


def _store_findings(session, findings: pl.DataFrame, ids: pl.DataFrame) -> None:
    kept = findings.filter(pl.col("severity") != "error").join(ids, on=KEYS)
    rows = kept.select("source_id", "rule_id", "severity", "field")
    if not rows.is_empty():
        bulk_insert(session.connection(), CheckFinding.__table__, rows)


def _write_rejects(
    path: Path, rejected: pl.DataFrame, findings: pl.DataFrame, read: ReadResult
) -> Path:
    """``<file>.rejects.csv``: each rejected row as read (its raw record as a JSON object),
    with every reason."""
    from oncoreg.ingest.canonical import NAMES

    reasons = (
        findings.filter(pl.col("severity") == "error")
        .group_by(KEYS, maintain_order=True)
        .agg(
            pl.concat_str(["rule_id", pl.lit(" ("), "field", pl.lit("): "), "message_en"])
            .str.join("; ")
            .alias("reasons")
        )
    )
    rows = rejected.join(reasons, on=KEYS, how="left").with_columns(
        pl.col("reasons").fill_null("IMP-REPORT-REPEATED (report_id): repeated in the file")
    )
    header = ["row", *NAMES, "raw", "reasons"]
    out = [
        {
            "row": r["_row"],
            **{n: r[n] for n in NAMES},
            "raw": _raw_record(r.get("_raw"), read.raw_columns),
            "reasons": r["reasons"],
        }
        for r in rows.iter_rows(named=True)
    ]
    out += [{"row": p.row, "reasons": f"{p.field or ''}: {p.message}"} for p in read.problems]
    target = (
        (path.parent / f"{path.name}.rejects.csv")
        if path.is_dir()
        else path.with_name(f"{path.stem}.rejects.csv")
    )
    write_csv(target, header, out)
    return target


def summary_lines(summary: ImportSummary) -> list[str]:
    """The end-of-import summary as text lines (the CLI prints them)."""
    lines = [
        f"{summary.path.name}: {summary.rows_read} rows read, {summary.imported} imported, "
        f"{summary.updated} updated, {summary.unchanged} unchanged, {summary.rejected} rejected"
        + (" (dry run: nothing written)" if summary.dry_run else ""),
    ]
    if summary.findings:
        lines.append(
            "findings by rule: "
            + ", ".join(f"{rule} {n}" for rule, n in sorted(summary.findings.items()))
        )
    lines += [f"warning: {w}" for w in summary.warnings]
    if summary.rejects_path:
        lines.append(f"rejected rows and reasons: {summary.rejects_path}")
    return lines


def _raw_record(raw: str | None, keys: list[str] | None) -> str | None:
    """A raw record as a JSON object: a CSV or Excel row's cells named by the header."""
    if raw is None or keys is None:
        return raw
    return to_json(named_cells(raw, keys))
