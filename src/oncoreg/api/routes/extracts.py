"""Research extracts: data-sharing agreements, requests, approval and release."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from oncoreg.api.deps import RecordId, SettingsDep, StoreDep, allowed
from oncoreg.network import extracts
from oncoreg.network.deidentify import SELECTABLE
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


class AgreementPublic(BaseModel):
    id: int
    code: str
    organisation: str
    title: str
    purpose: str | None
    signed_on: date
    expires_on: date | None
    variables: list[str]
    members: list[str]
    recorded_by: str
    valid: bool


class AgreementsPublic(BaseModel):
    data: list[AgreementPublic]
    count: int


class ExtractCreate(BaseModel):
    agreement: str = Field(min_length=1, max_length=32, description="the agreement's code")
    variables: Names = Field(max_length=len(SELECTABLE) + 10)
    years: str = Field(max_length=16, description="years of diagnosis, e.g. 2018-2022")
    sites: Names | None = Field(None, max_length=50, description="e.g. C50, C18-C20")
    purpose: str = Field(min_length=1, max_length=2000)
    k: int = Field(5, ge=2, le=1000)
    max_suppressed: float = Field(0.05, ge=0, lt=0.5)


class ExtractPublic(BaseModel):
    id: int
    requested_by: str
    requested_at: str
    agreement: str
    organisation: str
    purpose: str
    variables: list[str]
    years: str
    sites: list[str] | None
    k: int
    max_suppressed: float
    state: str
    decided_by: str | None
    decided_at: str | None
    decision_note: str | None
    released_at: str | None
    release: dict | None


class ExtractsPublic(BaseModel):
    data: list[ExtractPublic]
    count: int


class ExtractApproval(BaseModel):
    note: str | None = Field(None, max_length=2000)


class ExtractRefusal(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


class VariablePublic(BaseModel):
    name: str
    description: str
    type: str
    quasi_identifier: bool
    derivation: str
    values: str


class VariablesPublic(BaseModel):
    data: list[VariablePublic]
    count: int


@router.get("/agreements", response_model=AgreementsPublic, operation_id="list_agreements")
def list_agreements(store: StoreDep, principal: Principal = Requester) -> AgreementsPublic:
    """Data-sharing agreements: all for administrators, those naming a partner for them."""
    rows = extracts.list_agreements(store, principal)
    return AgreementsPublic(data=[vars(a) for a in rows], count=len(rows))


@router.post(
    "/agreements",
    response_model=AgreementPublic,
    status_code=201,
    operation_id="record_agreement",
)
def record_agreement(
    body: AgreementCreate, store: StoreDep, principal: Principal = Approver
) -> AgreementPublic:
    """Record a signed data-sharing agreement (administrators)."""
    agreement = extracts.record_agreement(store, principal, **body.model_dump())
    return AgreementPublic(**vars(agreement))


@router.get("/variables", response_model=VariablesPublic, operation_id="list_extract_variables")
def list_variables(principal: Principal = Requester) -> VariablesPublic:
    """The variables an extract may hold, with how each is derived."""
    data = extracts.variable_catalogue()
    return VariablesPublic(data=data, count=len(data))


@router.get("", response_model=ExtractsPublic, operation_id="list_extracts")
def list_extracts(store: StoreDep, principal: Principal = Reader) -> ExtractsPublic:
    """Extract requests, newest first: a partner's own; every one for administrators."""
    rows = extracts.list_extracts(store, principal)
    return ExtractsPublic(data=[vars(r) for r in rows], count=len(rows))


@router.post("", response_model=ExtractPublic, status_code=201, operation_id="request_extract")
def request_extract(
    body: ExtractCreate, store: StoreDep, principal: Principal = Requester
) -> ExtractPublic:
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
    return ExtractPublic(**vars(view))


@router.get("/{extract_id}", response_model=ExtractPublic, operation_id="get_extract")
def get_extract(
    extract_id: RecordId, store: StoreDep, principal: Principal = Reader
) -> ExtractPublic:
    """One request: its decision, and the release's figures, dictionary and files."""
    return ExtractPublic(**vars(extracts.extract_view(store, principal, extract_id)))


@router.post("/{extract_id}/approve", response_model=ExtractPublic, operation_id="approve_extract")
def approve_extract(
    extract_id: RecordId,
    body: ExtractApproval,
    store: StoreDep,
    settings: SettingsDep,
    principal: Principal = Approver,
) -> ExtractPublic:
    """Approve and release an extract; it is refused instead (state ``refused``, reason in
    ``decision_note``) when k-anonymity cannot be reached within its suppression share."""
    folder = extracts.extract_folder(settings)
    view = extracts.approve(store, principal, extract_id, body.note, folder=folder)
    return ExtractPublic(**vars(view))


@router.post("/{extract_id}/refuse", response_model=ExtractPublic, operation_id="refuse_extract")
def refuse_extract(
    extract_id: RecordId, body: ExtractRefusal, store: StoreDep, principal: Principal = Approver
) -> ExtractPublic:
    """Refuse a request, with the reason."""
    return ExtractPublic(**vars(extracts.refuse(store, principal, extract_id, body.reason)))


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
