"""Pages: research extracts: data-sharing agreements, requests, approval and release.

A partner sees a request form (an agreement, then its variables, years, sites and
purpose) and their own requests with their state and files; an administrator sees the
queue with approve and refuse forms, every request, and the agreements with a form to
record one. Each page calls the service its JSON twin (``/api/v1/extracts...``) calls;
forms post with the session's CSRF token and redirect (303).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from oncoreg.api.deps import AuthDep, RecordId, SettingsDep, StoreDep, allowed
from oncoreg.errors import InputError
from oncoreg.network import extracts
from oncoreg.network.deidentify import SELECTABLE
from oncoreg.services.access import Permission, Principal
from oncoreg.web.render import render

router = APIRouter(include_in_schema=False)
Requester = allowed(Permission.REQUEST_EXTRACTS)
Reader = allowed(Permission.EXTRACTS)
Approver = allowed(Permission.APPROVE_EXTRACTS)
Choices = Annotated[list[str] | None, Form(max_length=len(SELECTABLE) + 10)]


@router.get("/extracts")
def extracts_page(
    request: Request,
    auth: AuthDep,
    store: StoreDep,
    principal: Principal = Requester,
    agreement: str = Query("", max_length=32),
) -> Response:
    return _page(request, auth, store, principal, {"chosen": agreement})


def _page(
    request: Request,
    auth,
    store,
    principal: Principal,
    context: dict,
    status_code: int = 200,
) -> Response:
    agreements = extracts.list_agreements(store, principal)
    rows = extracts.list_extracts(store, principal)
    chosen = next((a for a in agreements if a.code == context.get("chosen")), None)
    if chosen is None:
        chosen = next((a for a in agreements if a.valid), None)
    context = {
        **context,
        "agreements": agreements,
        "chosen": chosen,
        "rows": rows,
        "queue": [r for r in rows if r.state in ("requested", "approved")],
        "approver": principal.can(Permission.APPROVE_EXTRACTS),
        "variables": extracts.variable_catalogue(),
        "today": date.today().isoformat(),
    }
    return render(
        request, "extracts.html", context, auth, status_code=status_code, twin="/api/v1/extracts"
    )


@router.post("/extracts")
def request_extract(
    request: Request,
    auth: AuthDep,
    store: StoreDep,
    principal: Principal = Requester,
    agreement: str = Form(..., max_length=32),
    variables: Choices = None,
    years: str = Form("", max_length=16),
    sites: str = Form("", max_length=200),
    purpose: str = Form("", max_length=2000),
    k: int = Form(5, ge=2, le=1000),
    max_suppressed: float = Form(0.05, ge=0, lt=0.5),
) -> Response:
    try:
        view = extracts.request_extract(
            store,
            principal,
            agreement,
            variables or [],
            years,
            purpose=purpose,
            sites=sites or None,
            k=k,
            max_suppressed=max_suppressed,
        )
    except InputError as err:
        context = {"chosen": agreement, "message": err.message, "hint": err.hint}
        return _page(request, auth, store, principal, context, status_code=422)
    return RedirectResponse(f"/extracts/{view.id}", status_code=303)


@router.post("/extracts/agreements")
def record_agreement(
    request: Request,
    auth: AuthDep,
    store: StoreDep,
    principal: Principal = Approver,
    code: str = Form("", max_length=32),
    organisation: str = Form("", max_length=200),
    title: str = Form("", max_length=300),
    signed_on: str = Form("", max_length=10),
    expires_on: str = Form("", max_length=10),
    variables: Choices = None,
    members: str = Form("", max_length=2000),
    purpose: str = Form("", max_length=2000),
) -> Response:
    try:
        extracts.record_agreement(
            store,
            principal,
            code=code,
            organisation=organisation,
            title=title,
            signed_on=_date(signed_on, "signed on"),
            expires_on=_date(expires_on, "expires on") if expires_on else None,
            variables=variables or [],
            members=members.replace(";", ",").split(","),
            purpose=purpose,
        )
    except InputError as err:
        context = {"message": err.message, "hint": err.hint}
        return _page(request, auth, store, principal, context, status_code=422)
    return RedirectResponse("/extracts?recorded=1", status_code=303)


def _date(text: str, label: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"{label}: give a date as YYYY-MM-DD") from None


@router.get("/extracts/{extract_id}")
def extract_page(
    extract_id: RecordId,
    request: Request,
    auth: AuthDep,
    store: StoreDep,
    principal: Principal = Reader,
) -> Response:
    view = extracts.extract_view(store, principal, extract_id)
    context = {"x": view, "approver": principal.can(Permission.APPROVE_EXTRACTS)}
    twin = f"/api/v1/extracts/{extract_id}"
    return render(request, "extract.html", context, auth, twin=twin)


@router.post("/extracts/{extract_id}/approve")
def approve_extract(
    extract_id: RecordId,
    store: StoreDep,
    settings: SettingsDep,
    principal: Principal = Approver,
    note: str = Form("", max_length=2000),
) -> Response:
    folder = extracts.extract_folder(settings)
    extracts.approve(store, principal, extract_id, note or None, folder=folder)
    return RedirectResponse(f"/extracts/{extract_id}", status_code=303)


@router.post("/extracts/{extract_id}/refuse")
def refuse_extract(
    extract_id: RecordId,
    store: StoreDep,
    principal: Principal = Approver,
    reason: str = Form("", max_length=2000),
) -> Response:
    extracts.refuse(store, principal, extract_id, reason)
    return RedirectResponse(f"/extracts/{extract_id}", status_code=303)
