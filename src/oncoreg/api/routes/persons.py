"""Persons: search, a person's timeline, follow-up."""

from __future__ import annotations

from fastapi import APIRouter, Query

from oncoreg.api.deps import MAX_ID, PrincipalDep, RecordId, StoreDep
from oncoreg.api.models import FollowUpCreate, FollowUpPublic, PersonsPublic, TimelinePublic
from oncoreg.services import records

router = APIRouter(prefix="/api/v1/persons", tags=["persons"])


@router.get("", response_model=PersonsPublic, operation_id="search_persons")
def search_persons(
    principal: PrincipalDep,
    store: StoreDep,
    name: str | None = Query(None, max_length=200, description="with or without diacritics"),
    national_id: str | None = Query(None, max_length=32),
    birth_year: int | None = Query(None, ge=1850, le=2100),
    facility: str | None = Query(None, max_length=32),
    offset: int = Query(0, ge=0, le=MAX_ID),
    limit: int = Query(50, ge=1, le=200),
) -> PersonsPublic:
    page = records.search_persons(
        store,
        principal,
        name=name,
        national_id=national_id,
        birth_year=birth_year,
        facility_code=facility,
        offset=offset,
        limit=limit,
    )
    return PersonsPublic(
        data=[vars(h) for h in page.data], count=page.count, offset=offset, limit=page.limit
    )


@router.get("/{person_id}", response_model=TimelinePublic, operation_id="get_person")
def get_person(person_id: RecordId, principal: PrincipalDep, store: StoreDep) -> TimelinePublic:
    return TimelinePublic(**vars(records.person_timeline(store, principal, person_id)))


@router.post(
    "/{person_id}/follow-ups",
    response_model=FollowUpPublic,
    status_code=201,
    operation_id="add_follow_up",
)
def add_follow_up(
    person_id: RecordId, body: FollowUpCreate, principal: PrincipalDep, store: StoreDep
) -> FollowUpPublic:
    return FollowUpPublic(**records.add_follow_up(store, principal, person_id, **body.model_dump()))
