"""Referrals: a facility refers a person's tumour to another facility, which accepts or
declines it, records the first visit and completes it (waiting times by facility:
:mod:`oncoreg.network.referral_waits`; the demo's referrals: :mod:`oncoreg.network.referral_demo`).

A referral carries the registry's summary of the case as it stood when it was sent
(:func:`oncoreg.network.summary.case_summary`: codes, dates and treatments, never names or
identifiers). A referral to a facility that lacks the capacity for the service asked for
is still sent: the reason is kept in ``capacity_warning`` and shown as a warning.

Workflow (each step writes a :class:`ReferralEvent`)::

    sent --accept--> accepted --first-visit--> accepted --complete--> completed
    sent --decline--> declined          sent | accepted --cancel--> cancelled

The receiving side (hospital users of the receiving facility, registrars, admins) accepts,
declines, records the first visit and completes; the sending side cancels. A hospital
user sees only the referrals its facility sent or received (others: not found).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime

from sqlalchemy import func, or_, select, true
from sqlalchemy.orm import Session

from oncoreg.codes.topography import topography as topography_entry
from oncoreg.errors import Forbidden, InputError, NotFound, OncoregError
from oncoreg.model import FacilityType, RecordStatus, ReferralState, Urgency, choices
from oncoreg.network.capacity import SERVICES, missing_capacity
from oncoreg.network.capacity import service as service_named
from oncoreg.network.summary import case_summary
from oncoreg.services.access import Permission, Principal, require, require_visible_person
from oncoreg.store import Facility, Referral, ReferralEvent, Store, Tumour

MAX_TEXT = 2000
SENDER, RECEIVER = "sending", "receiving"
OPEN = (RecordStatus.PENDING, RecordStatus.CONFIRMED)


@dataclass(frozen=True)
class Action:
    """A step of the workflow: which side takes it, from which states, to which state."""

    side: str
    from_states: tuple[ReferralState, ...]
    to_state: ReferralState


ACTIONS: dict[str, Action] = {
    "accept": Action(RECEIVER, (ReferralState.SENT,), ReferralState.ACCEPTED),
    "decline": Action(RECEIVER, (ReferralState.SENT,), ReferralState.DECLINED),
    "first-visit": Action(RECEIVER, (ReferralState.ACCEPTED,), ReferralState.ACCEPTED),
    "complete": Action(RECEIVER, (ReferralState.ACCEPTED,), ReferralState.COMPLETED),
    "cancel": Action(SENDER, (ReferralState.SENT, ReferralState.ACCEPTED), ReferralState.CANCELLED),
}


@dataclass(frozen=True)
class ReferralRow:
    """A referral as lists show it (no identifiers: the person is a registry number)."""

    id: int
    person_id: int
    tumour_id: int | None
    from_facility: str
    to_facility: str
    service: str | None
    urgency: str
    state: str
    referred_on: date
    first_visit_date: date | None
    site: str | None
    capacity_warning: str | None


@dataclass(frozen=True)
class ReferralEventView:
    at: datetime
    actor: str
    state: str
    note: str | None


@dataclass(frozen=True)
class ReferralView(ReferralRow):
    """One referral with its reason, frozen summary, history and the viewer's actions."""

    from_name: str = ""
    to_name: str = ""
    reason: str = ""
    referred_by: str = ""
    referred_at: datetime | None = None
    summary: dict = field(default_factory=dict)
    history: list[ReferralEventView] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ReferralPage:
    rows: list[ReferralRow]
    count: int
    offset: int
    limit: int


@dataclass(frozen=True)
class ReferralOptions:
    """What the new-referral form offers: facilities, services and the person's tumours."""

    facilities: list[tuple[str, str]]
    own_facility: str | None
    services: list[tuple[str, str]]
    person_id: int | None = None
    tumours: list[dict] = field(default_factory=list)


# --- sending -------------------------------------------------------------------------


def refer(
    store: Store,
    principal: Principal,
    *,
    person_id: int,
    tumour_id: int | None = None,
    to_facility: str,
    from_facility: str | None = None,
    service: str | None = None,
    reason: str,
    urgency: Urgency | str,
) -> ReferralView:
    """Refer a person's tumour (their most recent one when ``tumour_id`` is None) to the
    facility with code ``to_facility``, with the registry's summary of the case.

    A hospital user refers from their own facility. When the receiving facility lacks the
    capacity for ``service``, the referral is sent all the same and the returned view's
    ``capacity_warning`` says what it lacks.

    Raises:
        Forbidden: the role may not refer, or a hospital user names another facility.
        NotFound: the person is not among those the principal may see.
        InputError: a missing or unknown value (facility, tumour, urgency, service, reason).
    """
    require(principal, Permission.NETWORK)
    reason_text = _text(reason, "reason", required=True)
    level = _urgency(urgency)
    service_name = service_named(service).name if service else None
    with store.session(actor=principal.username) as session:
        require_visible_person(session, principal, person_id)
        sender = _sender(session, principal, from_facility)
        receiver = _facility(session, to_facility, "to_facility")
        if receiver.id == sender.id:
            raise InputError("a facility cannot refer to itself", hint="choose another facility")
        _check_tumour(session, person_id, tumour_id)
        referral = _send(
            session,
            principal.username,
            (sender, receiver),
            (person_id, tumour_id),
            service_name,
            reason_text,
            level,
        )
        return _view(session, principal, referral)


def _send(
    session: Session,
    actor: str,
    route: tuple[Facility, Facility],
    case: tuple[int, int | None],
    service: str | None,
    reason: str,
    urgency: Urgency,
    at: datetime | None = None,
) -> Referral:
    sender, receiver = route
    summary = case_summary(session, *case)
    chosen = summary["tumour"]["id"] if summary.get("tumour") else None
    warning = (
        missing_capacity(receiver.specialties, receiver.equipment, service) if service else None
    )
    referral = Referral(
        person_id=case[0],
        tumour_id=case[1] or chosen,
        from_facility_id=sender.id,
        to_facility_id=receiver.id,
        service=service,
        reason=reason,
        urgency=urgency,
        state=ReferralState.SENT,
        summary=summary,
        capacity_warning=warning,
        referred_by=actor,
        referred_at=at or datetime.now(UTC),
        status=RecordStatus.CONFIRMED,
    )
    session.add(referral)
    session.flush()
    session.add(_event(referral, actor, ReferralState.SENT, None, referral.referred_at))
    return referral


def _sender(session: Session, principal: Principal, code: str | None) -> Facility:
    if principal.facility_bound:
        own = session.get(Facility, principal.facility_id)
        if code and code.strip() and code.strip() != own.code:
            raise Forbidden(
                "a hospital user refers from their own facility only",
                hint=f"leave the sending facility empty or give {own.code}",
            )
        return own
    if not code or not code.strip():
        raise InputError(
            "the sending facility is required", hint="give --from CODE (from_facility)"
        )
    return _facility(session, code, "from_facility")


def _facility(session: Session, code: str, name: str) -> Facility:
    found = session.scalar(select(Facility).where(Facility.code == (code or "").strip()))
    if found is None or found.status == RecordStatus.OBSOLETE:
        raise InputError(
            f"{name}: no facility has code {code!r}", hint="see `oncoreg facilities list`"
        )
    return found


def _check_tumour(session: Session, person_id: int, tumour_id: int | None) -> None:
    if tumour_id is None:
        return
    tumour = session.get(Tumour, tumour_id)
    if tumour is None or tumour.person_id != person_id or tumour.status == RecordStatus.OBSOLETE:
        raise InputError(
            f"tumour {tumour_id} is not a tumour of person {person_id}",
            hint="choose one of the person's tumours, or none for the most recent",
        )


# --- the workflow --------------------------------------------------------------------


def accept(store: Store, principal: Principal, referral_id: int, note: str | None = None):
    """Accept a sent referral (the receiving side). Returns the referral's view."""
    return act(store, principal, referral_id, "accept", note=note)


def decline(store: Store, principal: Principal, referral_id: int, reason: str):
    """Decline a sent referral, saying why (the receiving side)."""
    return act(store, principal, referral_id, "decline", note=reason)


def record_first_visit(
    store: Store,
    principal: Principal,
    referral_id: int,
    visit_date: date,
    note: str | None = None,
    today: date | None = None,
):
    """Record the date the person was first seen (the receiving side, once accepted)."""
    return act(
        store, principal, referral_id, "first-visit", note=note, visit_date=visit_date, today=today
    )


def complete(
    store: Store,
    principal: Principal,
    referral_id: int,
    visit_date: date | None = None,
    note: str | None = None,
    today: date | None = None,
):
    """Complete an accepted referral (the receiving side); needs a first visit date,
    given here or recorded before."""
    return act(
        store, principal, referral_id, "complete", note=note, visit_date=visit_date, today=today
    )


def cancel(store: Store, principal: Principal, referral_id: int, note: str | None = None):
    """Cancel a referral that is sent or accepted (the sending side)."""
    return act(store, principal, referral_id, "cancel", note=note)


def act(
    store: Store,
    principal: Principal,
    referral_id: int,
    action: str,
    *,
    note: str | None = None,
    visit_date: date | None = None,
    today: date | None = None,
) -> ReferralView:
    """Take one step of the workflow (``accept``, ``decline``, ``first-visit``,
    ``complete`` or ``cancel``) and write it to the referral's history.

    Raises:
        NotFound: no such referral, or not one the principal's facility sent or received.
        Forbidden: the principal is not on the side that takes this step.
        InputError: the step is not allowed from the referral's state (the message names
            the state and what is allowed), or a missing or bad note or date.
    """
    require(principal, Permission.NETWORK)
    step = ACTIONS.get(action)
    if step is None:
        raise InputError(f"unknown action {action!r}", hint="one of: " + ", ".join(ACTIONS))
    text = _text(note, "reason" if action == "decline" else "note", required=action == "decline")
    with store.session(actor=principal.username) as session:
        referral = _load(session, principal, referral_id)
        _check_step(principal, referral, action, step)
        text = _visit(referral, action, visit_date, today or date.today(), text)
        referral.state = step.to_state
        session.add(_event(referral, principal.username, step.to_state, text))
        session.flush()
        return _view(session, principal, referral)


def _check_step(principal: Principal, referral: Referral, action: str, step: Action) -> None:
    if step.side not in _sides(principal, referral):
        raise Forbidden(
            f"only the {step.side} facility may {action.replace('-', ' ')} this referral",
            hint="ask a user of that facility or a registrar",
        )
    if referral.state not in step.from_states:
        allowed = allowed_actions(referral.state)
        raise InputError(
            f"referral {referral.id} is {referral.state.value}: "
            f"{action} is not allowed from {referral.state.value}",
            hint=(
                "allowed from it: " + ", ".join(allowed)
                if allowed
                else "nothing: the referral is closed"
            ),
        )


def _visit(
    referral: Referral, action: str, visit_date: date | None, today: date, note: str | None
) -> str | None:
    """Check and record the first visit date of a first-visit or complete step; returns
    the event's note."""
    if action not in ("first-visit", "complete"):
        return note
    if visit_date is None:
        if action == "first-visit" or referral.first_visit_date is None:
            raise InputError(
                "the first visit date is required",
                hint="give the date the person was first seen (YYYY-MM-DD)",
            )
        return note
    referred_on = local_day(referral.referred_at)
    if visit_date < referred_on:
        raise InputError(
            f"the first visit ({visit_date.isoformat()}) is before the referral "
            f"({referred_on.isoformat()})",
            hint="give the date the person was first seen after the referral",
        )
    if visit_date > today:
        raise InputError(
            f"the first visit ({visit_date.isoformat()}) is in the future",
            hint="record the visit once it has taken place",
        )
    referral.first_visit_date = visit_date
    seen = f"first visit {visit_date.isoformat()}"
    return f"{seen}: {note}" if note else seen


def allowed_actions(state: ReferralState) -> list[str]:
    """The steps that may follow ``state`` (by either side)."""
    return [name for name, step in ACTIONS.items() if state in step.from_states]


def _sides(principal: Principal, referral: Referral) -> set[str]:
    if not principal.facility_bound:
        return {SENDER, RECEIVER}
    sides = set()
    if referral.from_facility_id == principal.facility_id:
        sides.add(SENDER)
    if referral.to_facility_id == principal.facility_id:
        sides.add(RECEIVER)
    return sides


def _load(session: Session, principal: Principal, referral_id: int) -> Referral:
    referral = session.get(Referral, referral_id)
    if (
        referral is None
        or referral.status == RecordStatus.OBSOLETE
        or not _sides(principal, referral)
    ):
        raise NotFound(f"no referral {referral_id}", hint="see the list of referrals")
    return referral


def _event(
    referral: Referral, actor: str, state: ReferralState, note: str | None, at=None
) -> ReferralEvent:
    return ReferralEvent(
        referral_id=referral.id, actor=actor, state=state, note=note, at=at or datetime.now(UTC)
    )


# --- reading -------------------------------------------------------------------------


def list_referrals(
    store: Store,
    principal: Principal,
    direction: str | None = None,
    state: ReferralState | str | None = None,
    facility: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> ReferralPage:
    """Referrals the principal may see, newest first.

    ``direction`` (``sent`` or ``received``) is relative to the hospital user's facility,
    or, for registrars and admins, to ``facility`` (which it then needs). Without
    ``direction``, ``facility`` keeps the referrals that facility sent or received.

    Raises:
        InputError: an unknown direction, state or facility, or a direction without one.
    """
    require(principal, Permission.NETWORK)
    with store.session() as session:
        query = select(Referral).where(Referral.status.in_(OPEN), _scope(principal))
        query = _filter(session, principal, query, direction, state, facility)
        count = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        found = session.scalars(
            query.order_by(Referral.referred_at.desc(), Referral.id.desc())
            .offset(offset)
            .limit(limit)
        ).all()
        codes = _codes(session)
        rows = [_row(r, codes) for r in found]
    return ReferralPage(rows=rows, count=count, offset=offset, limit=limit)


def _scope(principal: Principal):
    if not principal.facility_bound:
        return true()
    own = principal.facility_id
    return or_(Referral.from_facility_id == own, Referral.to_facility_id == own)


def _filter(session, principal, query, direction, state, facility):
    if state:
        query = query.where(Referral.state == _state(state))
    other = _facility(session, facility, "facility").id if facility else None
    anchor = principal.facility_id if principal.facility_bound else other
    if direction:
        if direction not in ("sent", "received"):
            raise InputError(f"unknown direction {direction!r}", hint="sent or received")
        if anchor is None:
            raise InputError("a direction needs a facility", hint="give facility=CODE too")
        column = Referral.from_facility_id if direction == "sent" else Referral.to_facility_id
        query = query.where(column == anchor)
    if other is not None and not (direction and anchor == other):
        query = query.where(
            or_(Referral.from_facility_id == other, Referral.to_facility_id == other)
        )
    return query


def referral_view(store: Store, principal: Principal, referral_id: int) -> ReferralView:
    """One referral with its summary, history and the steps the principal may take.

    Raises:
        NotFound: no such referral, or not one the principal's facility sent or received.
    """
    require(principal, Permission.NETWORK)
    with store.session() as session:
        return _view(session, principal, _load(session, principal, referral_id))


def _view(session: Session, principal: Principal, referral: Referral) -> ReferralView:
    codes = _codes(session)
    names = dict(session.execute(select(Facility.id, Facility.name_vi)).all())
    events = session.scalars(
        select(ReferralEvent)
        .where(ReferralEvent.referral_id == referral.id)
        .order_by(ReferralEvent.at, ReferralEvent.id)
    ).all()
    sides = _sides(principal, referral)
    row = _row(referral, codes)
    return ReferralView(
        **{f.name: getattr(row, f.name) for f in fields(ReferralRow)},
        from_name=names.get(referral.from_facility_id, ""),
        to_name=names.get(referral.to_facility_id, ""),
        reason=referral.reason,
        referred_by=referral.referred_by,
        referred_at=referral.referred_at,
        summary=referral.summary or {},
        history=[ReferralEventView(e.at, e.actor, e.state.value, e.note) for e in events],
        actions=[name for name in allowed_actions(referral.state) if ACTIONS[name].side in sides],
    )


def _row(referral: Referral, codes: dict[int, str]) -> ReferralRow:
    tumour = (referral.summary or {}).get("tumour") or {}
    return ReferralRow(
        id=referral.id,
        person_id=referral.person_id,
        tumour_id=referral.tumour_id,
        from_facility=codes.get(referral.from_facility_id, "?"),
        to_facility=codes.get(referral.to_facility_id, "?"),
        service=referral.service,
        urgency=referral.urgency.value,
        state=referral.state.value,
        referred_on=local_day(referral.referred_at),
        first_visit_date=referral.first_visit_date,
        site=tumour.get("site") or tumour.get("topography"),
        capacity_warning=referral.capacity_warning,
    )


def _codes(session: Session) -> dict[int, str]:
    return dict(session.execute(select(Facility.id, Facility.code)).all())


def referral_options(
    store: Store, principal: Principal, person_id: int | None = None
) -> ReferralOptions:
    """The choices of the new-referral form: facilities that may receive a referral,
    services, and the tumours of ``person_id`` (site and diagnosis date only).

    Raises:
        NotFound: ``person_id`` is not among the persons the principal may see.
    """
    require(principal, Permission.NETWORK)
    with store.session() as session:
        facilities = session.execute(
            select(Facility.code, Facility.name_vi)
            .where(Facility.status != RecordStatus.OBSOLETE)
            .where(Facility.type.in_((FacilityType.HOSPITAL, FacilityType.LAB)))
            .order_by(Facility.code)
        ).all()
        own = session.get(Facility, principal.facility_id) if principal.facility_bound else None
        tumours = _tumours(session, principal, person_id) if person_id else []
    return ReferralOptions(
        facilities=[(code, name) for code, name in facilities],
        own_facility=own.code if own else None,
        services=[(s.name, s.label) for s in SERVICES.values()],
        person_id=person_id,
        tumours=tumours,
    )


def _tumours(session: Session, principal: Principal, person_id: int) -> list[dict]:
    require_visible_person(session, principal, person_id)
    found = session.scalars(
        select(Tumour)
        .where(Tumour.person_id == person_id, Tumour.status != RecordStatus.OBSOLETE)
        .order_by(Tumour.diagnosis_date.desc().nulls_last(), Tumour.id.desc())
    ).all()
    return [
        {
            "id": t.id,
            "topography": t.topography,
            "site": _site(t.topography),
            "diagnosis_date": t.diagnosis_date,
        }
        for t in found
    ]


def _site(code: str | None) -> str | None:
    if not code:
        return None
    try:
        return topography_entry(code).label_en
    except OncoregError:
        return None


# --- small helpers -------------------------------------------------------------------


def local_day(moment: datetime) -> date:
    """The calendar day of a stored time, in the server's time zone (SQLite returns
    times without their zone: they are UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone().date()


def _text(value: str | None, name: str, *, required: bool = False) -> str | None:
    text = (value or "").strip()
    if required and not text:
        raise InputError(f"the {name} is required", hint=f"say in a few words the {name}")
    if len(text) > MAX_TEXT:
        raise InputError(f"the {name} is longer than {MAX_TEXT} characters", hint="shorten it")
    return text or None


def _urgency(value: Urgency | str) -> Urgency:
    try:
        return Urgency((value or "").strip().lower() if isinstance(value, str) else value)
    except ValueError:
        raise InputError(f"unknown urgency {value!r}", hint=f"one of {choices(Urgency)}") from None


def _state(value: ReferralState | str) -> ReferralState:
    try:
        return ReferralState(value)
    except ValueError:
        raise InputError(
            f"unknown state {value!r}", hint=f"one of {choices(ReferralState)}"
        ) from None
