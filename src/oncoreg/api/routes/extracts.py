"""Research extracts: data-sharing agreements, requests, approval and release."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from oncoreg.api.deps import RecordId, SettingsDep, StoreDep, allowed
from oncoreg.network import extracts
from oncoreg.network.deidentify import SELECTABLE, Variable
from oncoreg.network.extracts import AgreementView, ExtractView
from oncoreg.services.access import Permission, Principal

router = APIRouter(prefix="/api/v1/extracts", tags=["extracts"])
Requester = allowed(Permission.REQUEST_EXTRACTS)
Reader = allowed(Permission.EXTRACTS)
Approver = allowed(Permission.APPROVE_EXTRACTS)
FileName = Annotated[
    str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$", description="file")
]
Names = list[Annotated[str, Field(min_length=1, max_length=64)]]


class AgreementCreate(BaseModel):
    code: str = Field(min_length=1, max_length=32)
    organisation: str = Field(min_length=1, max_length=200)
    title: str = Field(min_length=1, max_length=300)
    signed_on: date
    expires_on: date | None = None
    purpose: str | None = Field(None, max_length=2000)
    variables: Names = Field(max_length=len(SELECTABLE) + 10)
    members: Names = Field(default_factory=list, max_length=100)


class AgreementsPublic(BaseModel):
    data: list[AgreementView]
    count: int


class ExtractCreate(BaseModel):
    agreement: str = Field(min_length=1, max_length=32, description="the agreement's code")
    variables: Names = Field(max_length=len(SELECTABLE) + 10)
    years: str = Field(max_length=16, description="years of diagnosis, e.g. 2018-2022")
    sites: Names | None = Field(None, max_length=50, description="e.g. C50, C18-C20")
    purpose: str = Field(min_length=1, max_length=2000)
    k: int = Field(5, ge=2, le=1000)
    max_suppressed: float = Field(0.05, ge=0, lt=0.5)


class ExtractsPublic(BaseModel):
    data: list[ExtractView]
    count: int


class ExtractApproval(BaseModel):
    note: str | None = Field(None, max_length=2000)


class ExtractRefusal(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


class VariablesPublic(BaseModel):
    data: list[Variable]
    count: int


@router.get("/agreements", response_model=AgreementsPublic, operation_id="list_agreements")
def list_agreements(store: StoreDep, principal: Principal = Requester) -> AgreementsPublic:
    """Data-sharing agreements: all for administrators, those naming a partner for them."""
    rows = extracts.list_agreements(store, principal)
    return AgreementsPublic(data=rows, count=len(rows))


@router.post(
    "/agreements",
    response_model=AgreementView,
    status_code=201,
    operation_id="record_agreement",
)
def record_agreement(
    body: AgreementCreate, store: StoreDep, principal: Principal = Approver
) -> AgreementView:
    """Record a signed data-sharing agreement (administrators)."""
    agreement = extracts.record_agreement(store, principal, **body.model_dump())
    return agreement


@router.get("/variables", response_model=VariablesPublic, operation_id="list_extract_variables")
def list_variables(principal: Principal = Requester) -> VariablesPublic:
    """The variables an extract may hold, with how each is derived."""
    data = extracts.variable_catalogue()
    return VariablesPublic(data=data, count=len(data))


@router.get("", response_model=ExtractsPublic, operation_id="list_extracts")
def list_extracts(store: StoreDep, principal: Principal = Reader) -> ExtractsPublic:
    """Extract requests, newest first: a partner's own; every one for administrators."""
    rows = extracts.list_extracts(store, principal)
    return ExtractsPublic(data=rows, count=len(rows))


@router.post("", response_model=ExtractView, status_code=201, operation_id="request_extract")
def request_extract(
    body: ExtractCreate, store: StoreDep, principal: Principal = Requester
) -> ExtractView:
    """Request an extract under an agreement that names you."""
    view = extracts.request_extract(
        store,
        principal,
        body.agreement,
        body.variables,
        body.years,
        purpose=body.purpose,
        sites=body.sites,
        k=body.k,
        max_suppressed=body.max_suppressed,
    )
    return view


@router.get("/{extract_id}", response_model=ExtractView, operation_id="get_extract")
def get_extract(
    extract_id: RecordId, store: StoreDep, principal: Principal = Reader
) -> ExtractView:
    """One request: its decision, and the release's figures, dictionary and files."""
    return extracts.extract_view(store, principal, extract_id)


@router.post("/{extract_id}/approve", response_model=ExtractView, operation_id="approve_extract")
def approve_extract(
    extract_id: RecordId,
    body: ExtractApproval,
    store: StoreDep,
    settings: SettingsDep,
    principal: Principal = Approver,
) -> ExtractView:
    """Approve and release an extract; it is refused instead (state ``refused``, reason in
    ``decision_note``) when k-anonymity cannot be reached within its suppression share."""
    folder = extracts.extract_folder(settings)
    view = extracts.approve(store, principal, extract_id, body.note, folder=folder)
    return view


@router.post("/{extract_id}/refuse", response_model=ExtractView, operation_id="refuse_extract")
def refuse_extract(
    extract_id: RecordId, body: ExtractRefusal, store: StoreDep, principal: Principal = Approver
) -> ExtractView:
    """Refuse a request, with the reason."""
    return extracts.refuse(store, principal, extract_id, body.reason)


@router.get(
    "/{extract_id}/files/{name}",
    response_class=FileResponse,
    operation_id="get_extract_file",
)
def get_extract_file(
    extract_id: RecordId,
    name: FileName,
    store: StoreDep,
    settings: SettingsDep,
    principal: Principal = Reader,
):
    """A file of a released extract: the CSV, the Parquet, the data dictionary or README."""
    folder = extracts.extract_folder(settings)
    path = extracts.extract_file(store, principal, extract_id, name, folder=folder)
    return FileResponse(path, filename=path.name)
