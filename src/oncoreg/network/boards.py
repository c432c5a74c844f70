"""Multidisciplinary tumour boards: a board hosted by a facility, its members and meetings,
and the cases hospitals present to it with the board's recommendation.

Who does what:

- registrars and admins run boards (create, change, add and retire members);
- boards and their meetings are known to the whole network (admin, registrar, hospital);
- the *host side* of a board (hospital users of its host facility, registrars, admins)
  schedules and cancels meetings, records them held, puts cases on a meeting and records
  the board's recommendation;
- the *presenting side* of a case (hospital users of the presenting facility, registrars,
  admins) submits and withdraws it, and reads the recommendation.

A hospital user sees the cases it presented and every case of the boards its facility
hosts; any other case is answered as not found. A case carries the registry's summary
(:func:`oncoreg.network.summary.case_summary`) frozen when it was submitted: codes, dates
and treatments, never a name. Meeting times given without a zone are Vietnam time. The
demo's boards are made by :mod:`oncoreg.network.board_demo`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from oncoreg.errors import Forbidden, InputError, NotFound
from oncoreg.model import (
    BoardCaseState,
    MeetingState,
    RecordStatus,
    Role,
)
from oncoreg.network.summary import case_summary
from oncoreg.services.access import (
    Permission,
    Principal,
    require,
    require_visible_person,
)
from oncoreg.services.facilities import CODE_RE
from oncoreg.store import (
    BoardCase,
    BoardMeeting,
    BoardMember,
    Facility,
    Store,
    Trial,
    TumourBoard,
    User,
)
from oncoreg.store.tables import utcnow

VIETNAM = timezone(timedelta(hours=7), "ICT")
MEMBER_ROLES = ("chair", "member", "secretary")
ECOG = range(0, 6)
OPEN_CASE = (BoardCaseState.SUBMITTED, BoardCaseState.SCHEDULED)


# ---------------------------------------------------------------- boards and members


def create_board(
    store: Store,
    principal: Principal,
    *,
    code: str,
    name: str,
    host: str,
    schedule: str | None = None,
    sites: str | None = None,
    description: str | None = None,
) -> dict:
    """Create a board hosted by the facility coded ``host``.

    Raises:
        Forbidden: the principal does not run boards.
        InputError: a bad or taken code, an empty name, or an unknown host facility.
    """
    require(principal, Permission.MANAGE_NETWORK)
    code, name = code.strip(), _required(name, "name")
    if not CODE_RE.match(code):
        raise InputError(f"board code {code!r} is not valid", hint="1-32 letters, digits, . _ -")
    with store.session(actor=principal.username) as session:
        if session.scalar(select(TumourBoard.id).where(TumourBoard.code == code)):
            raise InputError(f"a board with code {code!r} exists already")
        board = TumourBoard(code=code, name=name, status=RecordStatus.CONFIRMED)
        board.host_facility_id = _facility_id(session, host, "host")
        board.schedule, board.sites, board.description = schedule, sites, description
        session.add(board)
        session.flush()
        return _board_view(session, board)


def update_board(store: Store, principal: Principal, board: int | str, **changes) -> dict:
    """Change a board's ``name``, ``host`` (facility code), ``schedule``, ``sites`` or
    ``description``; a value of None leaves the field alone."""
    require(principal, Permission.MANAGE_NETWORK)
    with store.session(actor=principal.username) as session:
        found = _board(session, board)
        for field, value in changes.items():
            if value is None:
                continue
            if field == "host":
                found.host_facility_id = _facility_id(session, value, "host")
            elif field in ("name", "schedule", "sites", "description"):
                setattr(found, field, _required(value, "name") if field == "name" else value)
            else:
                raise InputError(f"a board has no field {field!r}")
        session.flush()
        return _board_view(session, found)


def add_member(
    store: Store,
    principal: Principal,
    board: int | str,
    *,
    name: str,
    specialty: str,
    role: str = "member",
    facility: str | None = None,
    username: str | None = None,
) -> dict:
    """Add a member (a clinician: chair, member or secretary) to a board."""
    require(principal, Permission.MANAGE_NETWORK)
    if role not in MEMBER_ROLES:
        raise InputError(f"unknown member role {role!r}", hint="chair, member or secretary")
    with store.session(actor=principal.username) as session:
        member = BoardMember(
            board_id=_board(session, board).id,
            name=_required(name, "name"),
            specialty=_required(specialty, "specialty"),
            role=role,
            facility_id=_facility_id(session, facility, "facility") if facility else None,
            user_id=_user_id(session, username) if username else None,
            status=RecordStatus.CONFIRMED,
        )
        session.add(member)
        session.flush()
        return _member_view(member)


def retire_member(store: Store, principal: Principal, board: int | str, member_id: int) -> dict:
    """Retire a member: the record stays (obsolete), for the minutes that name them."""
    require(principal, Permission.MANAGE_NETWORK)
    with store.session(actor=principal.username) as session:
        member = session.get(BoardMember, member_id)
        if member is None or member.board_id != _board(session, board).id:
            raise NotFound(f"no member {member_id} of board {board}")
        member.status = RecordStatus.OBSOLETE
        return _member_view(member)


def list_boards(store: Store, principal: Principal) -> list[dict]:
    """Every current board with its host, member count and next planned meetings."""
    require(principal, Permission.NETWORK)
    with store.session() as session:
        boards = session.scalars(
            select(TumourBoard)
            .where(TumourBoard.status != RecordStatus.OBSOLETE)
            .order_by(TumourBoard.code)
        ).all()
        return [_board_view(session, b, upcoming=3) for b in boards]


def board_detail(store: Store, principal: Principal, board: int | str) -> dict:
    """A board with its members, its meetings and the cases the principal may see."""
    require(principal, Permission.NETWORK)
    with store.session() as session:
        found = _board(session, board)
        view = _board_view(session, found)
        view["members"] = _members(session, found.id)
        meetings = session.scalars(
            select(BoardMeeting)
            .where(BoardMeeting.board_id == found.id)
            .order_by(BoardMeeting.starts_at.desc())
        ).all()
        view["meetings"] = [_meeting_view(m) for m in meetings]
        view["cases"] = _case_views(session, principal, BoardCase.board_id == found.id)
        view["host_side"] = _host_side(principal, found)
        view["may_manage"] = principal.can(Permission.MANAGE_NETWORK)
        return view


# ---------------------------------------------------------------------- meetings


def schedule_meeting(
    store: Store,
    principal: Principal,
    board: int | str,
    *,
    starts_at: datetime,
    location: str | None = None,
) -> dict:
    """Plan a meeting of a board (host side; a naive time is Vietnam time)."""
    require(principal, Permission.NETWORK)
    with store.session(actor=principal.username) as session:
        found = _board(session, board)
        _require_host(principal, found)
        meeting = BoardMeeting(
            board_id=found.id,
            starts_at=as_utc(starts_at),
            location=location or None,
            state=MeetingState.PLANNED,
            status=RecordStatus.CONFIRMED,
        )
        session.add(meeting)
        session.flush()
        return _meeting_view(meeting)


def cancel_meeting(store: Store, principal: Principal, meeting_id: int) -> dict:
    """Cancel a planned meeting (host side); its scheduled cases wait for another one."""
    require(principal, Permission.NETWORK)
    with store.session(actor=principal.username) as session:
        meeting = _meeting(session, meeting_id)
        _require_host(principal, session.get(TumourBoard, meeting.board_id))
        _check_state("meeting", meeting.state, (MeetingState.PLANNED,), "cancel")
        meeting.state = MeetingState.CANCELLED
        for case in _meeting_cases(session, meeting.id):
            if case.state is BoardCaseState.SCHEDULED:
                case.state, case.meeting_id = BoardCaseState.SUBMITTED, None
        return _meeting_view(meeting)


def record_held(
    store: Store,
    principal: Principal,
    meeting_id: int,
    *,
    attendees: list[int],
    minutes: str | None = None,
) -> dict:
    """Record a planned meeting as held, with the members present and the minutes text.

    Raises:
        InputError: the meeting is not planned, or an attendee is not a member of its board.
    """
    require(principal, Permission.NETWORK)
    with store.session(actor=principal.username) as session:
        meeting = _meeting(session, meeting_id)
        _require_host(principal, session.get(TumourBoard, meeting.board_id))
        _check_state("meeting", meeting.state, (MeetingState.PLANNED,), "record held")
        members = {m["id"] for m in _members(session, meeting.board_id)}
        strangers = sorted(set(attendees) - members)
        if strangers:
            raise InputError(
                f"attendees {strangers} are not current members of this board",
                hint="give the ids of the board's members",
            )
        meeting.state = MeetingState.HELD
        meeting.attendees = sorted(set(attendees))
        meeting.minutes = minutes or None
        return _meeting_view(meeting)


def meeting_detail(store: Store, principal: Principal, meeting_id: int) -> dict:
    """A meeting with its board, the board's members, the attendees and the meeting's
    cases the principal may see (the agenda and, once held, the minutes)."""
    require(principal, Permission.NETWORK)
    with store.session() as session:
        meeting = _meeting(session, meeting_id)
        board = session.get(TumourBoard, meeting.board_id)
        view = _meeting_view(meeting)
        view["board"] = _board_view(session, board)
        view["members"] = _members(session, board.id, include_retired=True)
        present = set(meeting.attendees or [])
        view["attendee_names"] = [m["name"] for m in view["members"] if m["id"] in present]
        view["members"] = [m for m in view["members"] if m["active"] or m["id"] in present]
        view["cases"] = _case_views(session, principal, BoardCase.meeting_id == meeting.id)
        view["host_side"] = _host_side(principal, board)
        return view


# ------------------------------------------------------------------------- cases


def submit_case(
    store: Store,
    principal: Principal,
    *,
    board: int | str,
    person_id: int,
    tumour_id: int | None = None,
    question: str,
    ecog: int | None = None,
    presenting_facility: str | None = None,
) -> dict:
    """Present a person's tumour to a board, with the question asked; the registry's
    summary of the case is frozen now.

    Raises:
        Forbidden: a hospital user presenting for another facility.
        NotFound: no such board, or a person (or tumour) the principal may not see.
        InputError: an empty question, an ECOG outside 0-5, or no presenting facility.
    """
    require(principal, Permission.NETWORK)
    question = _required(question, "question")
    if ecog is not None and ecog not in ECOG:
        raise InputError(f"ECOG performance status {ecog} is not 0-5", hint="0, 1, 2, 3, 4 or 5")
    with store.session(actor=principal.username) as session:
        found = _board(session, board)
        facility_id = _presenting_facility(session, principal, presenting_facility)
        require_visible_person(session, principal, person_id)
        case = BoardCase(
            board_id=found.id,
            person_id=person_id,
            tumour_id=tumour_id,
            presenting_facility_id=facility_id,
            question=question,
            summary=case_summary(session, person_id, tumour_id),
            ecog=ecog,
            state=BoardCaseState.SUBMITTED,
            submitted_by=principal.username,
            submitted_at=utcnow(),
            status=RecordStatus.CONFIRMED,
        )
        case.tumour_id = (case.summary.get("tumour") or {}).get("id")
        session.add(case)
        session.flush()
        return _case_view(session, principal, case)


def schedule_case(store: Store, principal: Principal, case_id: int, meeting_id: int) -> dict:
    """Put a submitted (or already scheduled) case on a planned meeting of its board."""
    with store.session(actor=principal.username) as session:
        case, board = _visible_case(session, principal, case_id)
        _require_host(principal, board)
        _check_state("case", case.state, OPEN_CASE, "schedule")
        meeting = _meeting(session, meeting_id)
        if meeting.board_id != board.id:
            raise InputError(f"meeting {meeting_id} is not a meeting of board {board.code}")
        _check_state("meeting", meeting.state, (MeetingState.PLANNED,), "schedule cases onto")
        case.meeting_id, case.state = meeting.id, BoardCaseState.SCHEDULED
        return _case_view(session, principal, case)


def withdraw_case(store: Store, principal: Principal, case_id: int) -> dict:
    """Withdraw a case before the board discusses it (presenting side)."""
    with store.session(actor=principal.username) as session:
        case, _ = _visible_case(session, principal, case_id)
        if not _presenting_side(principal, case):
            raise Forbidden("only the presenting facility withdraws a case")
        _check_state("case", case.state, OPEN_CASE, "withdraw")
        case.state = BoardCaseState.WITHDRAWN
        return _case_view(session, principal, case)


def record_recommendation(
    store: Store,
    principal: Principal,
    case_id: int,
    *,
    recommendation: str,
    treatment_plan: str | None = None,
    suggested_trial: str | None = None,
    refer_to: str | None = None,
) -> dict:
    """Record the board's recommendation on a case (host side): the case is discussed and
    the presenting hospital sees it.

    Raises:
        InputError: an empty recommendation, a case not open, an unknown trial or
            facility code.
    """
    recommendation = _required(recommendation, "recommendation")
    with store.session(actor=principal.username) as session:
        case, board = _visible_case(session, principal, case_id)
        _require_host(principal, board)
        _check_state("case", case.state, OPEN_CASE, "record a recommendation on")
        case.recommendation = recommendation
        case.treatment_plan = treatment_plan or None
        case.suggested_trial_id = _trial_id(session, suggested_trial) if suggested_trial else None
        case.refer_to_facility_id = (
            _facility_id(session, refer_to, "refer_to") if refer_to else None
        )
        case.state = BoardCaseState.DISCUSSED
        case.recommended_by, case.recommended_at = principal.username, utcnow()
        return _case_view(session, principal, case)


def list_cases(
    store: Store,
    principal: Principal,
    *,
    board: int | str | None = None,
    state: str | None = None,
) -> list[dict]:
    """The cases the principal may see, newest first, optionally of one board or state."""
    require(principal, Permission.NETWORK)
    with store.session() as session:
        where = [BoardCase.status != RecordStatus.OBSOLETE]
        if board is not None:
            where.append(BoardCase.board_id == _board(session, board).id)
        if state:
            where.append(BoardCase.state == _case_state(state))
        return _case_views(session, principal, *where)


def get_case(store: Store, principal: Principal, case_id: int) -> dict:
    """One case: summary, question and, once discussed, the recommendation."""
    with store.session() as session:
        case, _ = _visible_case(session, principal, case_id)
        return _case_view(session, principal, case)


# ------------------------------------------------------------------ access helpers


def _host_side(principal: Principal, board: TumourBoard) -> bool:
    if principal.role in (Role.ADMIN, Role.REGISTRAR):
        return True
    return principal.role is Role.HOSPITAL and principal.facility_id == board.host_facility_id


def _presenting_side(principal: Principal, case: BoardCase) -> bool:
    if principal.role in (Role.ADMIN, Role.REGISTRAR):
        return True
    return principal.role is Role.HOSPITAL and principal.facility_id == case.presenting_facility_id


def _require_host(principal: Principal, board: TumourBoard) -> None:
    require(principal, Permission.NETWORK)
    if not _host_side(principal, board):
        raise Forbidden(
            f"only the host facility of board {board.code} or a registrar may do this",
            hint="ask the host hospital's board secretary",
        )


def _case_scope(principal: Principal):
    """A filter on BoardCase: the cases a principal may see."""
    if not principal.facility_bound:
        return BoardCase.id.isnot(None)
    hosted = select(TumourBoard.id).where(TumourBoard.host_facility_id == principal.facility_id)
    return or_(
        BoardCase.presenting_facility_id == principal.facility_id,
        BoardCase.board_id.in_(hosted),
    )


def _visible_case(session: Session, principal: Principal, case_id: int):
    require(principal, Permission.NETWORK)
    case = session.scalar(select(BoardCase).where(BoardCase.id == case_id, _case_scope(principal)))
    if case is None:
        raise NotFound(f"no board case {case_id}", hint="see the list of your board cases")
    return case, session.get(TumourBoard, case.board_id)


def _presenting_facility(session: Session, principal: Principal, code: str | None) -> int:
    if principal.facility_bound:
        if code and _facility_id(session, code, "presenting_facility") != principal.facility_id:
            raise Forbidden("a hospital presents cases for its own facility only")
        return principal.facility_id
    if not code:
        raise InputError("say which facility presents the case", hint="presenting_facility")
    return _facility_id(session, code, "presenting_facility")


def _check_state(kind: str, state, allowed: tuple, action: str) -> None:
    if state not in allowed:
        names = " or ".join(s.value for s in allowed)
        raise InputError(
            f"cannot {action} a {kind} that is {state.value}",
            hint=f"only a {kind} that is {names} allows it",
        )


# ------------------------------------------------------------------ lookups


def _board(session: Session, board: int | str) -> TumourBoard:
    """A board by id (digits) or by code."""
    key = str(board).strip()
    if key.isascii() and key.isdigit() and len(key) < 10:
        found = session.get(TumourBoard, int(key))
    else:
        found = session.scalar(select(TumourBoard).where(TumourBoard.code == key))
    if found is None:
        raise NotFound(f"no tumour board {key[:32]!r}", hint="see the list of boards")
    return found


def _meeting(session: Session, meeting_id: int) -> BoardMeeting:
    meeting = session.get(BoardMeeting, meeting_id)
    if meeting is None:
        raise NotFound(f"no board meeting {meeting_id}")
    return meeting


def _meeting_cases(session: Session, meeting_id: int) -> list[BoardCase]:
    return list(session.scalars(select(BoardCase).where(BoardCase.meeting_id == meeting_id)))


def _facility_id(session: Session, code: str, field: str) -> int:
    found = session.scalar(select(Facility.id).where(Facility.code == code.strip()))
    if found is None:
        raise InputError(f"no facility with code {code!r}", hint=f"field {field}")
    return found


def _trial_id(session: Session, code: str) -> int:
    found = session.scalar(select(Trial.id).where(Trial.code == code.strip()))
    if found is None:
        raise InputError(f"no clinical trial with code {code!r}", hint="see the trial registry")
    return found


def _user_id(session: Session, username: str) -> int:
    found = session.scalar(select(User.id).where(User.username == username.strip()))
    if found is None:
        raise InputError(f"no user {username!r}")
    return found


def _case_state(state: str) -> BoardCaseState:
    try:
        return BoardCaseState(state)
    except ValueError:
        names = ", ".join(s.value for s in BoardCaseState)
        raise InputError(f"unknown case state {state!r}", hint=f"one of {names}") from None


def _required(value: str | None, field: str) -> str:
    value = (value or "").strip()
    if not value:
        raise InputError(f"the {field} is required", hint=f"fill in {field}")
    return value


def as_utc(value: datetime) -> datetime:
    """A meeting time in UTC; a naive time is taken as Vietnam time.

    Raises:
        InputError: a year outside 2000-2100.
    """
    if not 2000 <= value.year <= 2100:
        raise InputError(f"a meeting in {value.year}?", hint="give a date between 2000 and 2100")
    if value.tzinfo is None:
        value = value.replace(tzinfo=VIETNAM)
    return value.astimezone(UTC)


def local_time(value: datetime | None) -> datetime | None:
    """A stored time (SQLite gives it back naive, in UTC) in Vietnam time."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(VIETNAM)


# ------------------------------------------------------------------------ views


def _board_view(session: Session, board: TumourBoard, upcoming: int = 0) -> dict:
    host = session.get(Facility, board.host_facility_id)
    view = {
        "id": board.id,
        "code": board.code,
        "name": board.name,
        "host_code": host.code,
        "host_name": host.name_vi,
        "schedule": board.schedule,
        "sites": board.sites,
        "description": board.description,
        "members": [],
        "upcoming": [],
    }
    if upcoming:
        view["members"] = _members(session, board.id)
        view["upcoming"] = [_meeting_view(m) for m in _upcoming(session, board.id, upcoming)]
    return view


def _upcoming(session: Session, board_id: int, limit: int) -> list[BoardMeeting]:
    today = datetime.combine(date.today() - timedelta(days=1), time(), tzinfo=UTC)
    return list(
        session.scalars(
            select(BoardMeeting)
            .where(BoardMeeting.board_id == board_id, BoardMeeting.state == MeetingState.PLANNED)
            .where(BoardMeeting.starts_at >= today)
            .order_by(BoardMeeting.starts_at)
            .limit(limit)
        )
    )


def _members(session: Session, board_id: int, include_retired: bool = False) -> list[dict]:
    query = select(BoardMember).where(BoardMember.board_id == board_id)
    if not include_retired:
        query = query.where(BoardMember.status != RecordStatus.OBSOLETE)
    return [_member_view(m) for m in session.scalars(query.order_by(BoardMember.id))]


def _member_view(member: BoardMember) -> dict:
    return {
        "id": member.id,
        "board_id": member.board_id,
        "name": member.name,
        "specialty": member.specialty,
        "role": member.role,
        "facility_id": member.facility_id,
        "active": member.status != RecordStatus.OBSOLETE,
    }


def _meeting_view(meeting: BoardMeeting) -> dict:
    return {
        "id": meeting.id,
        "board_id": meeting.board_id,
        "starts_at": local_time(meeting.starts_at),
        "location": meeting.location,
        "state": meeting.state.value,
        "minutes": meeting.minutes,
        "attendees": list(meeting.attendees or []),
    }


def _case_views(session: Session, principal: Principal, *where) -> list[dict]:
    cases = session.scalars(
        select(BoardCase)
        .where(_case_scope(principal), *where)
        .order_by(BoardCase.submitted_at.desc(), BoardCase.id.desc())
    )
    return [_case_view(session, principal, c) for c in cases]


def _case_view(session: Session, principal: Principal, case: BoardCase) -> dict:
    board = session.get(TumourBoard, case.board_id)
    meeting = session.get(BoardMeeting, case.meeting_id) if case.meeting_id else None
    trial = session.get(Trial, case.suggested_trial_id) if case.suggested_trial_id else None
    return {
        "id": case.id,
        "board_id": board.id,
        "board_code": board.code,
        "board_name": board.name,
        "meeting_id": case.meeting_id,
        "meeting_starts_at": local_time(meeting.starts_at) if meeting else None,
        "person_id": case.person_id,
        "tumour_id": case.tumour_id,
        "presenting_facility": _code(session, case.presenting_facility_id),
        "question": case.question,
        "summary": case.summary or {},
        "ecog": case.ecog,
        "state": case.state.value,
        "submitted_by": case.submitted_by,
        "submitted_at": local_time(case.submitted_at),
        "recommendation": case.recommendation,
        "treatment_plan": case.treatment_plan,
        "suggested_trial": trial.code if trial else None,
        "refer_to": _code(session, case.refer_to_facility_id),
        "recommended_by": case.recommended_by,
        "recommended_at": local_time(case.recommended_at),
        "host_side": _host_side(principal, board),
        "presenting_side": _presenting_side(principal, case),
    }


def _code(session: Session, facility_id: int | None) -> str | None:
    """A facility's code (the session's identity map serves repeated facilities)."""
    return session.get(Facility, facility_id).code if facility_id is not None else None
