"""Pages: referrals of a person's tumour from one facility to another.

Each page calls the service its JSON twin calls (``/api/v1/referrals...``). A hospital
user sees the referrals its facility received and sent; registrars and admins see all,
filtered by facility. Forms post with the session's CSRF token and redirect (303).
"""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from oncoreg.api.app import status_of
from oncoreg.api.deps import MAX_ID, AuthDep, RecordId, StoreDep, allowed
from oncoreg.errors import Forbidden, InputError, NotFound
from oncoreg.model import ReferralState, Urgency
from oncoreg.network import referral_waits, referrals
from oncoreg.services.access import Permission, Principal
from oncoreg.web.render import render

router = APIRouter(include_in_schema=False)
Networker = allowed(Permission.NETWORK)
SECTION = 100  # rows per section of the hospital user's page


@router.get("/referrals")
def referrals_page(
    request: Request,
    auth: AuthDep,
    store: StoreDep,
    principal: Principal = Networker,
    direction: str = Query("", max_length=10),
    state: str = Query("", max_length=12),
    facility: str = Query("", max_length=32),
    offset: int = Query(0, ge=0, le=MAX_ID),
) -> Response:
    filters = {"state": state or None, "facility": facility or None}
    if not (principal.facility_bound or facility):
        direction = ""  # sent or received by whom: a registrar's direction needs a facility
    context = {"filters": filters, "direction": direction, "states": list(ReferralState)}
    if principal.facility_bound and not direction:
        for side in ("received", "sent"):
            context[side] = referrals.list_referrals(
                store, principal, side, **filters, limit=SECTION
            )
    else:
        context["page"] = referrals.list_referrals(
            store, principal, direction or None, **filters, offset=offset
        )
    return render(request, "referrals.html", context, auth, twin="/api/v1/referrals")


@router.get("/referrals/new")
def new_referral_page(
    request: Request,
    auth: AuthDep,
    store: StoreDep,
    principal: Principal = Networker,
    person_id: str = Query("", max_length=12),
) -> Response:
    try:
        options = referrals.referral_options(store, principal, _int(person_id, "person"))
    except (InputError, NotFound) as err:
        options = referrals.referral_options(store, principal)
        return _form(request, auth, options, {}, err)
    return _form(request, auth, options, {})


@router.post("/referrals/new")
def send_referral(
    request: Request,
    auth: AuthDep,
    store: StoreDep,
    principal: Principal = Networker,
    person_id: str = Form("", max_length=12),
    tumour_id: str = Form("", max_length=12),
    to_facility: str = Form("", max_length=32),
    from_facility: str = Form("", max_length=32),
    service: str = Form("", max_length=32),
    urgency: str = Form("", max_length=12),
    reason: str = Form("", max_length=2000),
) -> Response:
    values = {
        "tumour_id": tumour_id,
        "to_facility": to_facility,
        "from_facility": from_facility,
        "service": service,
        "urgency": urgency,
        "reason": reason,
    }
    try:
        view = referrals.refer(
            store,
            principal,
            person_id=_int(person_id, "person", required=True),
            tumour_id=_int(tumour_id, "tumour"),
            to_facility=to_facility,
            from_facility=from_facility or None,
            service=service or None,
            reason=reason,
            urgency=urgency,
        )
    except (InputError, NotFound, Forbidden) as err:
        options = _options_or_none(store, principal, person_id)
        return _form(request, auth, options, values, err)
    return RedirectResponse(f"/referrals/{view.id}?sent=1", status_code=303)


def _options_or_none(store, principal, person_id: str):
    try:
        return referrals.referral_options(store, principal, _int(person_id, "person"))
    except (InputError, NotFound):
        return referrals.referral_options(store, principal)


def _form(request, auth, options, values: dict, err=None) -> Response:
    context = {"options": options, "values": values, "urgencies": list(Urgency)}
    status = 200
    if err is not None:
        context |= {"message": err.message, "hint": err.hint}
        status = status_of(err)
    return render(
        request, "referral_new.html", context, auth, status_code=status, twin="/api/v1/referrals"
    )


@router.get("/referrals/waiting-times")
def waiting_times_page(
    request: Request,
    auth: AuthDep,
    store: StoreDep,
    principal: Principal = Networker,
    since: str = Query("", max_length=10),
    until: str = Query("", max_length=10),
) -> Response:
    rows = referral_waits.waiting_times(
        store, principal, since=_date(since, "since"), until=_date(until, "until")
    )
    context = {"rows": rows, "since": since, "until": until}
    twin = "/api/v1/referrals/waiting-times"
    return render(request, "referral_waits.html", context, auth, twin=twin)


@router.get("/referrals/{referral_id}")
def referral_page(
    referral_id: RecordId,
    request: Request,
    auth: AuthDep,
    store: StoreDep,
    principal: Principal = Networker,
) -> Response:
    return _detail(request, auth, store, principal, referral_id)


@router.post("/referrals/{referral_id}/{action}")
def referral_step(
    referral_id: RecordId,
    request: Request,
    auth: AuthDep,
    store: StoreDep,
    principal: Principal = Networker,
    action: str = Path(..., max_length=16),
    note: str = Form("", max_length=2000),
    visit_date: str = Form("", alias="date", max_length=10),
) -> Response:
    if action not in referrals.ACTIONS:
        raise NotFound(f"no action {action!r}", hint="one of: " + ", ".join(referrals.ACTIONS))
    try:
        referrals.act(
            store,
            principal,
            referral_id,
            action,
            note=note or None,
            visit_date=_date(visit_date, "date"),
        )
    except (InputError, Forbidden) as err:
        return _detail(request, auth, store, principal, referral_id, err)
    return RedirectResponse(f"/referrals/{referral_id}?done={action}", status_code=303)


def _detail(request, auth, store, principal, referral_id: int, err=None) -> Response:
    view = referrals.referral_view(store, principal, referral_id)
    context = {"r": view}
    status = 200
    if err is not None:
        context |= {"message": err.message, "hint": err.hint}
        status = status_of(err)
    twin = f"/api/v1/referrals/{referral_id}"
    return render(request, "referral.html", context, auth, status_code=status, twin=twin)


def _int(text: str, name: str, *, required: bool = False) -> int | None:
    text = (text or "").strip()
    if not text:
        if required:
            raise InputError(f"the {name} is required", hint=f"give the {name}'s number")
        return None
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_ID:
        raise InputError(f"{text!r} is not a {name} number", hint="a whole number, e.g. 1234")
    return int(text)


def _date(text: str, name: str) -> date | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(f"{name}: {text!r} is not a date", hint="write YYYY-MM-DD") from None
