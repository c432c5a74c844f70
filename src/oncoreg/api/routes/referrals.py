"""Referrals of a person's tumour from one facility to another."""

from __future__ import annotations

import datetime as dt
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from oncoreg.api.deps import MAX_ID, RecordId, StoreDep, allowed
from oncoreg.model import ReferralState, Urgency
from oncoreg.network import referral_waits, referrals
from oncoreg.network.referral_waits import WaitingRow
from oncoreg.network.referrals import ReferralRow, ReferralView
from oncoreg.services.access import Permission, Principal

router = APIRouter(prefix="/api/v1/referrals", tags=["referrals"])
Networker = allowed(Permission.NETWORK)
Step = Literal["accept", "decline", "first-visit", "complete", "cancel"]


class ReferralCreate(BaseModel):
    person_id: int = Field(ge=1, le=MAX_ID)
    tumour_id: int | None = Field(None, ge=1, le=MAX_ID, description="default: most recent")
    to_facility: str = Field(max_length=32, description="code of the receiving facility")
    from_facility: str | None = Field(
        None, max_length=32, description="code of the sending facility (hospital users: own)"
    )
    service: str | None = Field(None, max_length=32, description="a service of the capacity list")
    urgency: Urgency
    reason: str = Field(min_length=1, max_length=2000)


class ReferralStep(BaseModel):
    note: str | None = Field(None, max_length=2000, description="required to decline")
    date: dt.date | None = Field(None, description="first visit date (first-visit, complete)")


class ReferralsPublic(BaseModel):
    data: list[ReferralRow]
    count: int
    offset: int
    limit: int


class WaitingTimesPublic(BaseModel):
    data: list[WaitingRow]
    count: int


@router.get("", response_model=ReferralsPublic, operation_id="list_referrals")
def list_referrals(
    store: StoreDep,
    principal: Principal = Networker,
    direction: Annotated[Literal["sent", "received"] | None, Query()] = None,
    state: Annotated[ReferralState | None, Query()] = None,
    facility: str | None = Query(None, max_length=32),
    offset: int = Query(0, ge=0, le=MAX_ID),
    limit: int = Query(50, ge=1, le=500),
) -> ReferralsPublic:
    """Referrals the user may see (a hospital: those its facility sent or received)."""
    page = referrals.list_referrals(store, principal, direction, state, facility, offset, limit)
    return ReferralsPublic(data=page.rows, count=page.count, offset=offset, limit=limit)


@router.post("", response_model=ReferralView, status_code=201, operation_id="create_referral")
def create_referral(
    body: ReferralCreate, store: StoreDep, principal: Principal = Networker
) -> ReferralView:
    """Refer a case; ``capacity_warning`` says what the receiving facility lacks, if
    anything (the referral is sent all the same)."""
    view = referrals.refer(store, principal, **body.model_dump())
    return view


@router.get("/waiting-times", response_model=WaitingTimesPublic, operation_id="referral_waits")
def waiting_times(
    store: StoreDep,
    principal: Principal = Networker,
    since: Annotated[date | None, Query(description="referred on or after")] = None,
    until: Annotated[date | None, Query(description="referred on or before")] = None,
) -> WaitingTimesPublic:
    """Days from referral to first visit by receiving facility and urgency."""
    rows = referral_waits.waiting_times(store, principal, since=since, until=until)
    return WaitingTimesPublic(data=rows, count=len(rows))


@router.get("/{referral_id}", response_model=ReferralView, operation_id="get_referral")
def get_referral(
    referral_id: RecordId, store: StoreDep, principal: Principal = Networker
) -> ReferralView:
    """One referral: its summary, history and the steps the user may take."""
    return referrals.referral_view(store, principal, referral_id)


def _step(action: Step):
    def take(
        referral_id: RecordId,
        store: StoreDep,
        body: ReferralStep | None = None,
        principal: Principal = Networker,
    ) -> ReferralView:
        body = body or ReferralStep()
        view = referrals.act(
            store, principal, referral_id, action, note=body.note, visit_date=body.date
        )
        return view

    take.__doc__ = f"Take the step {action!r} of the referral's workflow."
    return take


for _action in referrals.ACTIONS:
    router.add_api_route(
        f"/{{referral_id}}/{_action}",
        _step(_action),
        methods=["POST"],
        response_model=ReferralView,
        operation_id=f"referral_{_action.replace('-', '_')}",
    )
