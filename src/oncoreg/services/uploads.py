"""Imports started from the web: the uploaded file is kept, imported in a worker thread
with progress by stage, and its summary (and rejects file) kept for the user who started
it. The import itself is :func:`oncoreg.services.imports.import_file`: one transaction,
so a failed upload leaves nothing half-written.

Each job's state is kept in ``job.json`` beside its file, so that every worker process
of the server answers for every job (the progress page may be served by another worker
than the one importing). A hospital user may import only their own facility's reports:
a file that holds another facility's reports is refused as a whole, before anything is
written.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

from oncoreg.errors import InputError, NotFound, OncoregError
from oncoreg.ingest.readers import read_reports
from oncoreg.services.access import Permission, Principal, own_facility_code, require
from oncoreg.services.imports import import_file, shipped_profile_for
from oncoreg.store import Store

log = logging.getLogger("oncoreg.uploads")
SUFFIXES = {".csv", ".txt", ".xlsx", ".xml", ".json"}
STAGES = ("read", "normalise", "check", "store", "commit", "rejects")
MAX_BYTES = 512 * 1024**2
JOB_FILE = Path("job.json")
JOB_ID = re.compile(r"[0-9a-f]{32}")


@dataclass
class Job:
    id: str
    owner: str
    facility_id: int | None
    file_name: str
    state: str = "queued"  # queued, running, done, failed
    stage: str | None = None
    rows: int = 0
    summary: dict | None = None
    error: dict | None = None
    rejects: Path | None = field(default=None, repr=False)
    folder: Path | None = field(default=None, repr=False)

    def save(self) -> None:
        """Write the job's state beside its file, so that every worker process (and a
        restarted server) can answer for it; replaced at once, never half-written."""
        if self.folder is None:
            return
        state = {k: v for k, v in asdict(self).items() if k not in ("rejects", "folder")}
        state["rejects"] = str(self.rejects) if self.rejects else None
        partial = self.folder / JOB_FILE.with_suffix(".tmp")
        partial.write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")
        partial.replace(self.folder / JOB_FILE)

    @classmethod
    def load(cls, folder: Path) -> Job | None:
        try:
            state = json.loads((folder / JOB_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        rejects = state.pop("rejects", None)
        return cls(**state, rejects=Path(rejects) if rejects else None, folder=folder)

    def public(self) -> dict:
        return {
            "id": self.id,
            "file_name": self.file_name,
            "state": self.state,
            "stage": self.stage,
            "stages_done": STAGES.index(self.stage) + 1 if self.stage in STAGES else 0,
            "stages": len(STAGES),
            "rows": self.rows,
            "summary": self.summary,
            "error": self.error,
            "has_rejects": self.rejects is not None,
        }


class Uploads:
    """The import jobs of the web application (state shared through the upload folder)."""

    def __init__(self, store: Store, folder: Path) -> None:
        self.store = store
        self.folder = folder
        self.jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def start(
        self, principal: Principal, file_name: str, content: bytes, dry_run: bool = False
    ) -> Job:
        require(principal, Permission.IMPORT)
        path = self._save(file_name, content)
        facility = own_facility_code(self.store, principal)
        if facility is not None:
            _only_own_facility(path, facility)
        folder = path.parent
        job = Job(folder.name, principal.username, principal.facility_id, path.name)
        job.folder = folder
        job.save()
        with self._lock:
            self.jobs[job.id] = job
        worker = threading.Thread(
            target=self._run, args=(job, path, principal, facility, dry_run), daemon=True
        )
        worker.start()
        return job

    def get(self, principal: Principal, job_id: str) -> Job:
        require(principal, Permission.IMPORT)
        job = self.jobs.get(job_id)
        if job is None and JOB_ID.fullmatch(job_id):  # started by another worker process
            job = Job.load(self.folder / job_id)
        if job is None or not _may_see(principal, job):
            raise NotFound(f"no import {job_id} that you may see")
        return job

    def listing(self, principal: Principal, newest: int = 100) -> list[Job]:
        """The imports started from the web (by any worker), oldest first."""
        require(principal, Permission.IMPORT)
        files = sorted(self.folder.glob(f"*/{JOB_FILE}"), key=lambda f: f.stat().st_mtime)
        jobs = [self.jobs.get(f.parent.name) or Job.load(f.parent) for f in files[-newest:]]
        return [j for j in jobs if j is not None and _may_see(principal, j)]

    def wait(self, principal: Principal, job_id: str, timeout: float = 60) -> Job:
        """Wait for a job to end (for tests and scripts)."""
        import time

        job = self.get(principal, job_id)
        deadline = time.monotonic() + timeout
        while job.state in {"queued", "running"} and time.monotonic() < deadline:
            time.sleep(0.05)
        return job

    def _save(self, file_name: str, content: bytes) -> Path:
        name = Path(file_name or "upload").name
        suffix = Path(name).suffix.lower()
        if suffix not in SUFFIXES:
            raise InputError(
                f"{name}: files ending {suffix or '(nothing)'} cannot be imported",
                hint="upload CSV, XLSX, FHIR JSON or NAACCR XML",
            )
        if not content:
            raise InputError(f"{name}: the file is empty")
        if len(content) > MAX_BYTES:
            raise InputError(f"{name}: larger than {MAX_BYTES // 1024**2} MiB; use the CLI")
        folder = self.folder / uuid.uuid4().hex
        folder.mkdir(parents=True)
        safe = re.sub(r"[^\w.\-]+", "_", name)
        path = folder / safe
        path.write_bytes(content)
        return path

    def _run(self, job: Job, path: Path, principal, facility, dry_run) -> None:
        job.state = "running"
        job.save()

        def progress(stage: str, rows: int) -> None:
            job.stage, job.rows = stage, rows
            job.save()

        try:
            summary = import_file(
                self.store,
                path,
                facility=facility,
                dry_run=dry_run,
                actor=principal.username,
                on_stage=progress,
            )
        except OncoregError as err:
            job.state, job.error = "failed", err.as_dict()
            job.save()
            return
        except Exception as err:  # noqa: BLE001 - a worker must record, not vanish
            log.error("import %s failed: %s", job.id, type(err).__name__)
            job.state = "failed"
            job.error = {"error": "internal", "message": "the import failed; it has been logged"}
            job.save()
            return
        job.summary = {
            "format": summary.format,
            "rows_read": summary.rows_read,
            "imported": summary.imported,
            "updated": summary.updated,
            "unchanged": summary.unchanged,
            "rejected": summary.rejected,
            "findings": dict(summary.findings.most_common()),
            "warnings": [str(w) for w in summary.warnings[:50]],
            "batch_id": summary.batch_id,
            "dry_run": summary.dry_run,
            "adds_up": summary.adds_up(),
        }
        job.rejects = summary.rejects_path
        job.state = "done"
        job.save()


def _may_see(principal: Principal, job: Job) -> bool:
    if principal.facility_bound:
        return job.facility_id == principal.facility_id
    return True


def _only_own_facility(path: Path, facility: str) -> None:
    read = read_reports(path, profile=shipped_profile_for(path), facility=facility)
    codes = read.frame.get_column("facility_code").drop_nulls().unique() if read.records else None
    others = [] if codes is None else sorted(c for c in codes.to_list() if c != facility)
    if others:
        raise InputError(
            f"{path.name} holds reports of other facilities ({', '.join(others[:5])})",
            hint=f"a hospital user imports only {facility}'s reports",
        )
