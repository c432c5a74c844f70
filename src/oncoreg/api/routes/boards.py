"""Multidisciplinary tumour boards: members, meetings, cases and recommendations.

The fixed segments (``/meetings``, ``/cases``) are declared before ``/{board_id}`` so that
they are never read as a board id.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from oncoreg.api.deps import MAX_ID, RecordId, StoreDep, allowed
from oncoreg.network import board_documents, boards
from oncoreg.services.access import Permission, Principal

router = APIRouter(prefix="/api/v1/boards", tags=["boards"])
Network = allowed(Permission.NETWORK)
Manager = allowed(Permission.MANAGE_NETWORK)


class BoardCreate(BaseModel):
    code: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=200)
    host: str = Field(description="host facility code", max_length=32)
    schedule: str | None = Field(None, max_length=200, examples=["weekly, Tuesday 14:00"])
    sites: str | None = Field(None, max_length=200, examples=["C50, C53-C56"])
    description: str | None = Field(None, max_length=4000)


class MemberCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    specialty: str = Field(min_length=1, max_length=64)
    role: str = Field("member", description="chair, member or secretary", max_length=32)
    facility: str | None = Field(None, description="facility code", max_length=32)
    username: str | None = Field(None, max_length=64)


class MeetingCreate(BaseModel):
    starts_at: datetime = Field(description="a time without zone is Vietnam time")
    location: str | None = Field(None, max_length=200)


class MeetingHeld(BaseModel):
    attendees: list[int] = Field(default_factory=list, max_length=200)
    minutes: str | None = Field(None, max_length=20000)


class CaseSubmit(BaseModel):
    model_config = ConfigDict(coerce_numbers_to_str=True)  # a board id as a number

    board: str = Field(description="board code or id", max_length=32)
    person_id: int = Field(ge=1, le=MAX_ID)
    tumour_id: int | None = Field(None, ge=1, le=MAX_ID)
    question: str = Field(min_length=1, max_length=4000)
    ecog: int | None = Field(None, description="ECOG performance status 0-5")
    presenting_facility: str | None = Field(
        None, description="facility code (hospital users: their own)", max_length=32
    )


class CaseSchedule(BaseModel):
    meeting_id: int = Field(ge=1, le=MAX_ID)


class Recommendation(BaseModel):
    recommendation: str = Field(min_length=1, max_length=4000)
    treatment_plan: str | None = Field(None, max_length=4000)
    suggested_trial: str | None = Field(None, description="trial code", max_length=32)
    refer_to: str | None = Field(None, description="facility code", max_length=32)


class MemberPublic(BaseModel):
    id: int
    board_id: int
    name: str
    specialty: str
    role: str
    facility_id: int | None
    active: bool


class MeetingPublic(BaseModel):
    id: int
    board_id: int
    starts_at: datetime
    location: str | None
    state: str
    minutes: str | None
    attendees: list[int]


class BoardPublic(BaseModel):
    id: int
    code: str
    name: str
    host_code: str
    host_name: str
    schedule: str | None
    sites: str | None
    description: str | None
    members: list[MemberPublic]
    upcoming: list[MeetingPublic]


class BoardsPublic(BaseModel):
    data: list[BoardPublic]
    count: int


class CasePublic(BaseModel):
    id: int
    board_id: int
    board_code: str
    board_name: str
    meeting_id: int | None
    meeting_starts_at: datetime | None
    person_id: int
    tumour_id: int | None
    presenting_facility: str | None
    question: str
    summary: dict[str, Any]
    ecog: int | None
    state: str
    submitted_by: str
    submitted_at: datetime | None
    recommendation: str | None
    treatment_plan: str | None
    suggested_trial: str | None
    refer_to: str | None
    recommended_by: str | None
    recommended_at: datetime | None
    host_side: bool
    presenting_side: bool


class CasesPublic(BaseModel):
    data: list[CasePublic]
    count: int


class BoardDetailPublic(BoardPublic):
    meetings: list[MeetingPublic]
    cases: list[CasePublic]
    host_side: bool
    may_manage: bool


class MeetingDetailPublic(MeetingPublic):
    board: BoardPublic
    members: list[MemberPublic]
    attendee_names: list[str]
    cases: list[CasePublic]
    host_side: bool


PDF = {200: {"content": {"application/pdf": {}}}}


# ------------------------------------------------------------------- meetings


@router.get(
    "/meetings/{meeting_id}", response_model=MeetingDetailPublic, operation_id="get_board_meeting"
)
def get_meeting(meeting_id: RecordId, store: StoreDep, principal: Principal = Network) -> dict:
    """A meeting with its board, members and the cases you may see."""
    return boards.meeting_detail(store, principal, meeting_id)


@router.post(
    "/meetings/{meeting_id}/held", response_model=MeetingPublic, operation_id="hold_board_meeting"
)
def hold_meeting(
    meeting_id: RecordId, body: MeetingHeld, store: StoreDep, principal: Principal = Network
) -> dict:
    """Record a planned meeting held, with the members present and the minutes."""
    return boards.record_held(
        store, principal, meeting_id, attendees=body.attendees, minutes=body.minutes
    )


@router.post(
    "/meetings/{meeting_id}/cancel",
    response_model=MeetingPublic,
    operation_id="cancel_board_meeting",
)
def cancel_meeting(meeting_id: RecordId, store: StoreDep, principal: Principal = Network) -> dict:
    """Cancel a planned meeting; its cases go back to submitted."""
    return boards.cancel_meeting(store, principal, meeting_id)


@router.get(
    "/meetings/{meeting_id}/agenda.pdf",
    response_class=Response,
    response_model=None,
    responses=PDF,
    operation_id="board_meeting_agenda",
)
def agenda(
    meeting_id: RecordId,
    store: StoreDep,
    principal: Principal = Network,
    lang: str = Query("vi", pattern="^(vi|en)$"),
) -> Response:
    """The meeting's agenda as PDF (members, then each case: summary and question)."""
    data = board_documents.agenda_pdf(store, principal, meeting_id, lang)
    return _pdf(data, f"agenda-{meeting_id}.pdf")


@router.get(
    "/meetings/{meeting_id}/minutes.pdf",
    response_class=Response,
    response_model=None,
    responses=PDF,
    operation_id="board_meeting_minutes",
)
def minutes(
    meeting_id: RecordId,
    store: StoreDep,
    principal: Principal = Network,
    lang: str = Query("vi", pattern="^(vi|en)$"),
) -> Response:
    """The meeting's minutes as PDF (attendees, recommendations, minutes text)."""
    data = board_documents.minutes_pdf(store, principal, meeting_id, lang)
    return _pdf(data, f"minutes-{meeting_id}.pdf")


def _pdf(data: bytes, filename: str) -> Response:
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    return Response(data, media_type="application/pdf", headers=headers)


# ---------------------------------------------------------------------- cases


@router.get("/cases", response_model=CasesPublic, operation_id="list_board_cases")
def list_cases(
    store: StoreDep,
    principal: Principal = Network,
    board: str | None = Query(None, max_length=32, description="board code or id"),
    state: str | None = Query(None, max_length=16, description="submitted, scheduled, ..."),
) -> dict:
    """The cases you presented and those of the boards your facility hosts."""
    rows = boards.list_cases(store, principal, board=board or None, state=state or None)
    return {"data": rows, "count": len(rows)}


@router.post("/cases", response_model=CasePublic, status_code=201, operation_id="submit_board_case")
def submit_case(body: CaseSubmit, store: StoreDep, principal: Principal = Network) -> dict:
    """Present a case to a board; the registry's summary is frozen now."""
    return boards.submit_case(store, principal, **body.model_dump())


@router.get("/cases/{case_id}", response_model=CasePublic, operation_id="get_board_case")
def get_case(case_id: RecordId, store: StoreDep, principal: Principal = Network) -> dict:
    return boards.get_case(store, principal, case_id)


@router.post(
    "/cases/{case_id}/schedule", response_model=CasePublic, operation_id="schedule_board_case"
)
def schedule_case(
    case_id: RecordId, body: CaseSchedule, store: StoreDep, principal: Principal = Network
) -> dict:
    """Put a case on a planned meeting of its board (host side)."""
    return boards.schedule_case(store, principal, case_id, body.meeting_id)


@router.post(
    "/cases/{case_id}/withdraw", response_model=CasePublic, operation_id="withdraw_board_case"
)
def withdraw_case(case_id: RecordId, store: StoreDep, principal: Principal = Network) -> dict:
    """Withdraw a case before discussion (presenting side)."""
    return boards.withdraw_case(store, principal, case_id)


@router.post(
    "/cases/{case_id}/recommendation",
    response_model=CasePublic,
    operation_id="recommend_board_case",
)
def recommend(
    case_id: RecordId, body: Recommendation, store: StoreDep, principal: Principal = Network
) -> dict:
    """Record the board's recommendation (host side); the case is discussed."""
    return boards.record_recommendation(store, principal, case_id, **body.model_dump())


# --------------------------------------------------------------------- boards


@router.get("", response_model=BoardsPublic, operation_id="list_boards")
def list_boards(store: StoreDep, principal: Principal = Network) -> dict:
    """Every board of the network with its members and next meetings."""
    rows = boards.list_boards(store, principal)
    return {"data": rows, "count": len(rows)}


@router.post("", response_model=BoardPublic, status_code=201, operation_id="create_board")
def create_board(body: BoardCreate, store: StoreDep, principal: Principal = Manager) -> dict:
    return boards.create_board(store, principal, **body.model_dump())


@router.get("/{board_id}", response_model=BoardDetailPublic, operation_id="get_board")
def get_board(board_id: RecordId, store: StoreDep, principal: Principal = Network) -> dict:
    """A board with its members, meetings and the cases you may see."""
    return boards.board_detail(store, principal, board_id)


@router.post(
    "/{board_id}/members", response_model=MemberPublic, status_code=201, operation_id="add_member"
)
def add_member(
    board_id: RecordId, body: MemberCreate, store: StoreDep, principal: Principal = Manager
) -> dict:
    return boards.add_member(store, principal, board_id, **body.model_dump())


@router.post(
    "/{board_id}/members/{member_id}/retire",
    response_model=MemberPublic,
    operation_id="retire_board_member",
)
def retire_member(
    board_id: RecordId, member_id: RecordId, store: StoreDep, principal: Principal = Manager
) -> dict:
    return boards.retire_member(store, principal, board_id, member_id)


@router.post(
    "/{board_id}/meetings",
    response_model=MeetingPublic,
    status_code=201,
    operation_id="schedule_board_meeting",
)
def schedule_meeting(
    board_id: RecordId, body: MeetingCreate, store: StoreDep, principal: Principal = Network
) -> dict:
    """Plan a meeting (host side)."""
    return boards.schedule_meeting(
        store, principal, board_id, starts_at=body.starts_at, location=body.location
    )
