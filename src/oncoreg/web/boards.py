"""Pages: multidisciplinary tumour boards: members, meetings, cases and recommendations.

Each page calls the service of its JSON twin (``/api/v1/boards...``); forms post back with
the CSRF token and are answered with a redirect (303), or the page again with the problem
(422). The fixed segments (``cases``, ``meetings``) come before ``/boards/{board_id}``.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from oncoreg.api.deps import MAX_ID, AuthDep, FormDep, PrincipalDep, RecordId, StoreDep
from oncoreg.errors import InputError
from oncoreg.model import MeetingState
from oncoreg.network import boards
from oncoreg.services.access import Permission, require
from oncoreg.web.render import render

router = APIRouter(include_in_schema=False)


def _see(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


def _when(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text.strip().replace(" ", "T"))
    except ValueError:
        raise InputError(f"{text!r} is not a date and time", hint="e.g. 2026-12-15 14:00") from None


@router.get("/boards")
def boards_page(request: Request, auth: AuthDep, principal: PrincipalDep, store: StoreDep):
    """The boards of the network with their next meetings, and my cases."""
    context = {
        "boards": boards.list_boards(store, principal),
        "cases": boards.list_cases(store, principal),
        "may_manage": principal.can(Permission.MANAGE_NETWORK),
    }
    return render(request, "boards.html", context, auth, twin="/api/v1/boards")


@router.post("/boards")
def create_board(
    principal: PrincipalDep,
    store: StoreDep,
    code: str = Form(..., max_length=32),
    name: str = Form(..., max_length=200),
    host: str = Form(..., max_length=32),
    schedule: str = Form("", max_length=200),
) -> Response:
    board = boards.create_board(
        store, principal, code=code, name=name, host=host, schedule=schedule or None
    )
    return _see(f"/boards/{board['id']}?created=1")


# ---------------------------------------------------------------------- cases


@router.get("/boards/cases/new")
def new_case_page(
    request: Request,
    auth: AuthDep,
    principal: PrincipalDep,
    store: StoreDep,
    person_id: int | None = Query(None, ge=1, le=MAX_ID),
    board: str | None = Query(None, max_length=32),
) -> Response:
    """The form to present a case; the person id comes prefilled from a person's page."""
    require(principal, Permission.NETWORK)
    context = {"form": {"person_id": person_id, "board": board}}
    return _new_case(request, auth, principal, store, context)


def _new_case(request, auth, principal, store, context: dict, status_code: int = 200):
    context["boards"] = boards.list_boards(store, principal)
    context["facility_bound"] = principal.facility_bound
    return render(
        request, "board_case_new.html", context, auth, status_code, twin="/api/v1/boards/cases"
    )


@router.post("/boards/cases/new")
def submit_case(
    request: Request,
    auth: AuthDep,
    principal: PrincipalDep,
    store: StoreDep,
    board: str = Form(..., max_length=32),
    person_id: int = Form(..., ge=1, le=MAX_ID),
    question: str = Form(..., max_length=4000),
    tumour_id: int | None = Form(None, ge=1, le=MAX_ID),
    ecog: str = Form("", max_length=1),
    presenting_facility: str = Form("", max_length=32),
) -> Response:
    values = {"board": board, "person_id": person_id, "tumour_id": tumour_id}
    try:
        case = boards.submit_case(
            store,
            principal,
            question=question,
            ecog=int(ecog) if ecog.isascii() and ecog.isdigit() else None,
            presenting_facility=presenting_facility or None,
            **values,
        )
    except InputError as err:
        context = {"form": values | {"question": question}, "message": err.message}
        return _new_case(request, auth, principal, store, context, 422)
    return _see(f"/boards/cases/{case['id']}?submitted=1")


@router.get("/boards/cases/{case_id}")
def case_page(
    case_id: RecordId, request: Request, auth: AuthDep, principal: PrincipalDep, store: StoreDep
) -> Response:
    return _case(request, auth, principal, store, case_id)


def _case(request, auth, principal, store, case_id: int, message: str | None = None):
    case = boards.get_case(store, principal, case_id)
    meetings = []
    if case["host_side"]:
        board = boards.board_detail(store, principal, case["board_id"])
        meetings = [m for m in board["meetings"] if m["state"] == MeetingState.PLANNED]
    context = {"case": case, "meetings": meetings, "message": message}
    status = 422 if message else 200
    twin = f"/api/v1/boards/cases/{case_id}"
    return render(request, "board_case.html", context, auth, status, twin=twin)


@router.post("/boards/cases/{case_id}/schedule")
def schedule_case(
    case_id: RecordId,
    request: Request,
    auth: AuthDep,
    principal: PrincipalDep,
    store: StoreDep,
    meeting_id: int = Form(..., ge=1, le=MAX_ID),
) -> Response:
    try:
        boards.schedule_case(store, principal, case_id, meeting_id)
    except InputError as err:
        return _case(request, auth, principal, store, case_id, err.message)
    return _see(f"/boards/cases/{case_id}?scheduled=1")


@router.post("/boards/cases/{case_id}/withdraw")
def withdraw_case(
    case_id: RecordId, request: Request, auth: AuthDep, principal: PrincipalDep, store: StoreDep
) -> Response:
    try:
        boards.withdraw_case(store, principal, case_id)
    except InputError as err:
        return _case(request, auth, principal, store, case_id, err.message)
    return _see(f"/boards/cases/{case_id}?withdrawn=1")


@router.post("/boards/cases/{case_id}/recommendation")
def recommend(
    case_id: RecordId,
    request: Request,
    auth: AuthDep,
    principal: PrincipalDep,
    store: StoreDep,
    recommendation: str = Form(..., max_length=4000),
    treatment_plan: str = Form("", max_length=4000),
    suggested_trial: str = Form("", max_length=32),
    refer_to: str = Form("", max_length=32),
) -> Response:
    try:
        boards.record_recommendation(
            store,
            principal,
            case_id,
            recommendation=recommendation,
            treatment_plan=treatment_plan or None,
            suggested_trial=suggested_trial or None,
            refer_to=refer_to or None,
        )
    except InputError as err:
        return _case(request, auth, principal, store, case_id, err.message)
    return _see(f"/boards/cases/{case_id}?recommended=1")


# ------------------------------------------------------------------- meetings


@router.get("/boards/meetings/{meeting_id}")
def meeting_page(
    meeting_id: RecordId, request: Request, auth: AuthDep, principal: PrincipalDep, store: StoreDep
) -> Response:
    return _meeting(request, auth, principal, store, meeting_id)


def _meeting(request, auth, principal, store, meeting_id: int, message: str | None = None):
    context = {"meeting": boards.meeting_detail(store, principal, meeting_id), "message": message}
    twin = f"/api/v1/boards/meetings/{meeting_id}"
    return render(request, "board_meeting.html", context, auth, 422 if message else 200, twin=twin)


@router.post("/boards/meetings/{meeting_id}/held")
def hold_meeting(
    meeting_id: RecordId,
    request: Request,
    auth: AuthDep,
    principal: PrincipalDep,
    store: StoreDep,
    form: FormDep,
    minutes: str = Form("", max_length=20000),
) -> Response:
    attendees = [
        int(v)
        for v in form.getlist("attendees")
        if str(v).isascii() and str(v).isdigit() and len(v) < 10
    ]
    try:
        boards.record_held(store, principal, meeting_id, attendees=attendees, minutes=minutes)
    except InputError as err:
        return _meeting(request, auth, principal, store, meeting_id, err.message)
    return _see(f"/boards/meetings/{meeting_id}?held=1")


@router.post("/boards/meetings/{meeting_id}/cancel")
def cancel_meeting(
    meeting_id: RecordId, request: Request, auth: AuthDep, principal: PrincipalDep, store: StoreDep
) -> Response:
    try:
        meeting = boards.cancel_meeting(store, principal, meeting_id)
    except InputError as err:
        return _meeting(request, auth, principal, store, meeting_id, err.message)
    return _see(f"/boards/{meeting['board_id']}?cancelled={meeting_id}")


# --------------------------------------------------------------------- boards


@router.get("/boards/{board_id}")
def board_page(
    board_id: RecordId, request: Request, auth: AuthDep, principal: PrincipalDep, store: StoreDep
) -> Response:
    return _board(request, auth, principal, store, board_id)


def _board(request, auth, principal, store, board_id: int, message: str | None = None):
    context = {"board": boards.board_detail(store, principal, board_id), "message": message}
    twin = f"/api/v1/boards/{board_id}"
    return render(request, "board.html", context, auth, 422 if message else 200, twin=twin)


@router.post("/boards/{board_id}/members")
def add_member(
    board_id: RecordId,
    request: Request,
    auth: AuthDep,
    principal: PrincipalDep,
    store: StoreDep,
    name: str = Form(..., max_length=200),
    specialty: str = Form(..., max_length=64),
    role: str = Form("member", max_length=32),
    facility: str = Form("", max_length=32),
) -> Response:
    try:
        boards.add_member(
            store,
            principal,
            board_id,
            name=name,
            specialty=specialty,
            role=role,
            facility=facility or None,
        )
    except InputError as err:
        return _board(request, auth, principal, store, board_id, err.message)
    return _see(f"/boards/{board_id}?member=1")


@router.post("/boards/{board_id}/meetings")
def schedule_meeting(
    board_id: RecordId,
    request: Request,
    auth: AuthDep,
    principal: PrincipalDep,
    store: StoreDep,
    starts_at: str = Form(..., max_length=32),
    location: str = Form("", max_length=200),
) -> Response:
    try:
        meeting = boards.schedule_meeting(
            store, principal, board_id, starts_at=_when(starts_at), location=location or None
        )
    except InputError as err:
        return _board(request, auth, principal, store, board_id, err.message)
    return _see(f"/boards/meetings/{meeting['id']}?planned=1")
