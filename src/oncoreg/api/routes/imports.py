"""Imports: upload a file, watch its progress, get the summary and the rejects."""

from __future__ import annotations

from fastapi import APIRouter, Request, UploadFile
from fastapi.responses import FileResponse

from oncoreg.api.deps import PrincipalDep
from oncoreg.api.models import ImportJobPublic, ImportJobsPublic
from oncoreg.errors import NotFound
from oncoreg.services.uploads import Uploads

router = APIRouter(prefix="/api/v1/imports", tags=["imports"])


def uploads(request: Request) -> Uploads:
    return request.app.state.uploads


@router.post("", response_model=ImportJobPublic, status_code=202, operation_id="start_import")
def start_import(
    request: Request, file: UploadFile, principal: PrincipalDep, dry_run: bool = False
) -> ImportJobPublic:
    """Upload a CSV, XLSX, FHIR JSON or NAACCR XML file; it is imported in the background."""
    content = file.file.read()
    job = uploads(request).start(principal, file.filename or "upload", content, dry_run)
    return ImportJobPublic(**job.public())


@router.get("", response_model=ImportJobsPublic, operation_id="list_imports")
def list_imports(request: Request, principal: PrincipalDep) -> ImportJobsPublic:
    return ImportJobsPublic(data=[j.public() for j in uploads(request).listing(principal)])


@router.get("/{job_id}", response_model=ImportJobPublic, operation_id="get_import")
def get_import(job_id: str, request: Request, principal: PrincipalDep) -> ImportJobPublic:
    return ImportJobPublic(**uploads(request).get(principal, job_id).public())


@router.get("/{job_id}/rejects", response_class=FileResponse, operation_id="get_import_rejects")
def get_import_rejects(job_id: str, request: Request, principal: PrincipalDep):
    """The rejected rows with their reasons (CSV)."""
    job = uploads(request).get(principal, job_id)
    if job.rejects is None or not job.rejects.exists():
        raise NotFound(f"import {job_id} has no rejects")
    return FileResponse(job.rejects, media_type="text/csv", filename=job.rejects.name)
