"""Clinical trials: the registry, structured eligibility, matching and accrual."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query, UploadFile
from pydantic import BaseModel, Field

from oncoreg.api.deps import MAX_ID, RecordId, StoreDep, allowed
from oncoreg.errors import InputError
from oncoreg.network import trials
from oncoreg.network.eligibility import CriterionResult
from oncoreg.network.trial_import import TrialImport
from oncoreg.network.trials import SiteAccrual, TrialListing, TrialView
from oncoreg.services.access import Permission, Principal

router = APIRouter(prefix="/api/v1/trials", tags=["trials"])
Reader = allowed(Permission.TRIALS)
Manager = allowed(Permission.MANAGE_NETWORK)
Network = allowed(Permission.NETWORK)
TrialCode = Annotated[str, Path(min_length=1, max_length=32, description="a trial code")]
MAX_UPLOAD = 1_000_000  # bytes: a trials file is a few kilobytes


class TrialsPublic(BaseModel):
    data: list[TrialListing]
    count: int


class TrialStateChange(BaseModel):
    state: str = Field(min_length=1, max_length=16, description="planned, open, suspended ...")


class CasePublic(BaseModel):
    person_id: int
    tumour_id: int | None
    sex: str | None
    age: int | None
    topography: str | None
    morphology: str | None
    stage: str | None
    verdict: str
    failed: list[str]
    unknown: list[str]
    results: list[CriterionResult]
    enrolled: bool


class EligiblePersonsPublic(BaseModel):
    trial: str
    today: date
    criteria: list[str]
    count: int
    eligible: int
    limit: int
    offset: int
    data: list[CasePublic]


class TrialMatchPublic(CasePublic):
    code: str
    title_vi: str
    title_en: str | None
    phase: str | None
    sponsor: str | None


class PersonMatchPublic(BaseModel):
    person_id: int
    today: date
    trials: list[TrialMatchPublic]


class AccrualPublic(BaseModel):
    trial: str
    target_accrual: int | None
    enrolled: int
    sites: list[SiteAccrual]


class EnrolmentCreate(BaseModel):
    person_id: int = Field(ge=1, le=MAX_ID)
    facility: str = Field(min_length=1, max_length=32, description="an open site's code")
    enrolled_on: date | None = None


class EnrolmentPublic(BaseModel):
    trial: str
    person_id: int
    facility: str
    enrolled_on: date
    enrolled_by: str


@router.get("", response_model=TrialsPublic, operation_id="list_trials")
def list_trials(
    store: StoreDep,
    principal: Principal = Reader,
    state: str | None = Query(None, max_length=16),
    site: str | None = Query(None, max_length=32, description="a facility code"),
) -> TrialsPublic:
    """Trials, open ones first, with their sites and accrual."""
    rows = trials.list_trials(store, principal, state=state or None, site=site or None)
    return TrialsPublic(data=rows, count=len(rows))


@router.post("/import", response_model=TrialImport, operation_id="import_trials")
def import_trials(file: UploadFile, store: StoreDep, principal: Principal = Manager) -> TrialImport:
    """Upload a trials TOML file (``[[trial]]`` tables); all or nothing."""
    content = file.file.read(MAX_UPLOAD + 1)
    if len(content) > MAX_UPLOAD:
        raise InputError("the trials file is larger than 1 MB")
    done = trials.import_trials(store, principal, content, name=file.filename or "trials.toml")
    return done


@router.get("/match/{person_id}", response_model=PersonMatchPublic, operation_id="match_person")
def match_person(
    person_id: RecordId, store: StoreDep, principal: Principal = Reader
) -> PersonMatchPublic:
    """The open trials for one person, eligible first, with each criterion's reason."""
    return PersonMatchPublic(**trials.match_person(store, principal, person_id))


@router.get("/{trial_code}", response_model=TrialView, operation_id="get_trial")
def get_trial(trial_code: TrialCode, store: StoreDep, principal: Principal = Reader) -> TrialView:
    """One trial: sites, accrual and eligibility (as data and in words)."""
    return trials.view_trial(store, principal, trial_code)


@router.post("/{trial_code}/state", response_model=TrialListing, operation_id="set_trial_state")
def set_trial_state(
    trial_code: TrialCode, body: TrialStateChange, store: StoreDep, principal: Principal = Manager
) -> TrialListing:
    return trials.set_state(store, principal, trial_code, body.state)


@router.get(
    "/{trial_code}/eligible-persons",
    response_model=EligiblePersonsPublic,
    operation_id="list_eligible_persons",
)
def eligible_persons(
    trial_code: TrialCode,
    store: StoreDep,
    principal: Principal = Reader,
    include_possible: bool = Query(True),
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=MAX_ID),
) -> EligiblePersonsPublic:
    """Persons you may see who are eligible (then possibly eligible) for the trial."""
    found = trials.eligible_persons(
        store, principal, trial_code, include_possible=include_possible, limit=limit, offset=offset
    )
    return EligiblePersonsPublic(**found)


@router.get("/{trial_code}/accrual", response_model=AccrualPublic, operation_id="get_accrual")
def get_accrual(
    trial_code: TrialCode, store: StoreDep, principal: Principal = Reader
) -> AccrualPublic:
    return AccrualPublic(**trials.accrual(store, principal, trial_code))


@router.post(
    "/{trial_code}/enrolments",
    response_model=EnrolmentPublic,
    status_code=201,
    operation_id="enrol_person",
)
def enrol_person(
    trial_code: TrialCode, body: EnrolmentCreate, store: StoreDep, principal: Principal = Network
) -> EnrolmentPublic:
    """Record a person's enrolment at an open site (a hospital user: its own facility)."""
    done = trials.enrol(
        store, principal, trial_code, body.person_id, body.facility, body.enrolled_on
    )
    return EnrolmentPublic(**done)
