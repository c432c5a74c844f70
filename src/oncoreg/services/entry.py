"""Reports entered on the web (or sent as JSON), and reports retired.

A report entered by hand goes through exactly what a file goes through: it is written as
a one-row canonical CSV (``docs/report-csv.md``) and imported with
:func:`oncoreg.services.imports.import_file` (normalisation, every check, identifier
hashes, the audit trail), so that a hand-entered report and a hospital file can never be
treated differently. A rejected report is refused with the reasons of each check.
"""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path

from sqlalchemy import select

from oncoreg.errors import Forbidden, InputError, NotFound, Problem
from oncoreg.ingest.canonical import NAMES
from oncoreg.model import AuditAction, RecordStatus
from oncoreg.services.access import (
    Permission,
    Principal,
    own_facility_code,
    require,
    visible_sources,
)
from oncoreg.services.imports import import_file
from oncoreg.store import AuditEvent, Source, Store


def enter_report(store: Store, principal: Principal, fields: dict[str, str | None]) -> dict:
    """Import one report given as canonical fields; returns what the import did."""
    require(principal, Permission.WRITE_RECORDS)
    unknown = sorted(set(fields) - set(NAMES))
    if unknown:
        raise InputError(
            f"unknown report fields: {', '.join(unknown)}", hint="see docs/report-csv.md"
        )
    values = {k: ("" if v is None else str(v)) for k, v in fields.items()}
    _check_facility(store, principal, values)
    with tempfile.TemporaryDirectory(prefix="oncoreg-entry-") as folder:
        path = Path(folder) / "web-entry.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(NAMES))
            writer.writeheader()
            writer.writerow(values)
        summary = import_file(store, path, actor=principal.username)
        if summary.rejected:
            raise InputError("the report was not accepted", problems=_reasons(summary))
    return {
        "imported": summary.imported,
        "updated": summary.updated,
        "unchanged": summary.unchanged,
        "warnings": sorted(summary.findings),
    }


def _check_facility(store: Store, principal: Principal, values: dict[str, str]) -> None:
    own = own_facility_code(store, principal)
    if own is None:
        return
    given = values.get("facility_code") or own
    if given != own:
        raise Forbidden(f"a hospital user enters only {own}'s reports")
    values["facility_code"] = own


def _reasons(summary) -> list[Problem]:
    """The reasons of the rejects file: one per failed check (rule, field; no patient data)."""
    path = summary.rejects_path
    if path is None or not Path(path).exists():
        return list(summary.warnings) or [Problem("rejected by the checks")]
    with Path(path).open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return [Problem(reason.strip()) for row in rows for reason in row["reasons"].split(";")]


def retire_report(
    store: Store, principal: Principal, source_id: int, reason: str, restore: bool = False
) -> dict:
    """Mark a report obsolete (or restore it): never deleted, audited with the reason."""
    require(principal, Permission.WRITE_RECORDS)
    if not reason or not reason.strip():
        raise InputError("retiring or restoring a report needs a reason")
    with store.session(actor=principal.username) as session:
        source = session.scalar(
            select(Source).where(Source.id == source_id, visible_sources(principal))
        )
        if source is None:
            raise NotFound(f"no report {source_id} that you may see")
        source.status = RecordStatus.PENDING if restore else RecordStatus.OBSOLETE
        session.add(  # the status change is audited by the store; this keeps the why
            AuditEvent(
                actor=principal.username,
                action=AuditAction.UPDATE,
                entity="sources",
                entity_id=source.id,
                facility_id=source.facility_id,
                changes={"reason": {"old": None, "new": reason.strip()}},
            )
        )
        return {"id": source.id, "status": source.status.value}
