"""The registrar's pages: sign-in, person search and timeline with live-checked edits,
warnings, the review queue, imports, users and the audit trail. Each page calls the same
service as its JSON twin (named in the page's ``<link rel="alternate">``)."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from oncoreg.api.deps import (
    COOKIE,
    MAX_ID,
    AuthDep,
    FormDep,
    PrincipalDep,
    RecordId,
    SettingsDep,
    StoreDep,
)
from oncoreg.api.routes.session import client_address, set_session_cookie
from oncoreg.errors import InputError, OncoregError
from oncoreg.services import entry, records, review, users
from oncoreg.services.access import Permission, require
from oncoreg.services.audit_trail import audit_events
from oncoreg.services.records import EDITABLE
from oncoreg.web.i18n import LANGUAGES
from oncoreg.web.render import LANG_COOKIE, render

router = APIRouter(include_in_schema=False)
LOGIN_CSRF = "oncoreg_login_csrf"
TITLES = {401: "Sign in first", 403: "Not allowed", 404: "Not found", 422: "Not valid"}


def error_page(request: Request, err: OncoregError, status: int) -> HTMLResponse:
    context = {
        "status": status,
        "title": TITLES.get(status, "Error"),
        "message": err.message,
        "hint": err.hint,
        "problems": [str(p) for p in err.problems[:50]],
    }
    return render(request, "error.html", context, _auth_or_none(request), status_code=status)


def _auth_or_none(request: Request):
    principal = getattr(request.state, "principal", None)
    if principal is None:
        return None
    from oncoreg.api.deps import Auth

    return Auth(principal, "", getattr(request.state, "csrf", ""), True, False)


def _safe_next(target: str | None) -> str:
    """Only local paths: never redirect to another site after sign-in."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


@router.get("/login")
def login_page(request: Request, next: str = Query("/", max_length=500)) -> Response:
    token = secrets.token_urlsafe(24)
    response = render(request, "login.html", {"next": _safe_next(next), "login_csrf": token})
    response.set_cookie(LOGIN_CSRF, token, httponly=True, samesite="strict", max_age=1800)
    return response


@router.post("/login")
def login(
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    username: str = Form(..., max_length=64),
    password: str = Form(..., max_length=1024),
    next: str = Form("/", max_length=500),
    csrf_token: str = Form("", max_length=100),
) -> Response:
    expected = request.cookies.get(LOGIN_CSRF, "")
    if not expected or not secrets.compare_digest(expected, csrf_token):
        return _login_again(request, "The sign-in form expired; please try again.", username)
    try:
        done = users.sign_in(
            store,
            username,
            password,
            client_address(request),
            settings.session_hours,
            settings.login_max_failures,
        )
    except users.SignInRefused as err:
        return _login_again(request, err.message, username, status_code=401)
    target = "/account/password" if done.must_change_password else _safe_next(next)
    if target == "/":
        target = start_page(done.principal)
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, request, settings, done.token, int(settings.session_hours * 3600))
    response.delete_cookie(LOGIN_CSRF)
    return response


def start_page(principal) -> str:
    """Where a role starts: the workbench, else the dashboard, else the extracts."""
    if principal.can(Permission.READ_RECORDS):
        return "/"
    if principal.can(Permission.STATISTICS):
        return "/dashboard"
    return "/extracts"


def _login_again(request, message: str, username: str, status_code: int = 403) -> Response:
    from oncoreg.web.i18n import translator
    from oncoreg.web.render import language

    token = secrets.token_urlsafe(24)
    context = {
        "next": "/",
        "login_csrf": token,
        "message": translator(language(request))(message),
        "username": username,
    }
    response = render(request, "login.html", context, status_code=status_code)
    response.set_cookie(LOGIN_CSRF, token, httponly=True, samesite="strict", max_age=1800)
    return response


@router.post("/logout")
def logout(auth: AuthDep, store: StoreDep) -> Response:
    users.sign_out(store, auth.token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


@router.get("/lang/{code}")
def switch_language(code: str, next: str = Query("/", max_length=500)) -> Response:
    response = RedirectResponse(_safe_next(next), status_code=303)
    if code in LANGUAGES:
        response.set_cookie(LANG_COOKIE, code, max_age=365 * 86400, samesite="lax")
    return response


@router.get("/account/password")
def password_page(request: Request, auth: AuthDep) -> Response:
    return render(request, "password.html", {"forced": auth.must_change_password}, auth)


@router.post("/account/password")
def change_password(
    request: Request,
    auth: AuthDep,
    store: StoreDep,
    current_password: str = Form(..., max_length=1024),
    new_password: str = Form(..., max_length=1024),
    repeat_password: str = Form(..., max_length=1024),
) -> Response:
    try:
        if new_password != repeat_password:
            raise InputError("the two new passwords differ")
        users.change_password(store, auth.principal, current_password, new_password)
    except InputError as err:
        context = {"forced": auth.must_change_password, "message": err.message}
        return render(request, "password.html", context, auth, status_code=422)
    return RedirectResponse(start_page(auth.principal) + "?changed=1", status_code=303)


@router.get("/")
def home(
    request: Request,
    auth: AuthDep,
    principal: PrincipalDep,
    store: StoreDep,
    name: str | None = Query(None, max_length=200),
    national_id: str | None = Query(None, max_length=32),
    birth_year: str | None = Query(None, max_length=4, description="empty: any year"),
    facility: str | None = Query(None, max_length=32),
    offset: int = Query(0, ge=0, le=MAX_ID),
) -> Response:
    """The workbench: person search (a form sends empty fields: they mean any)."""
    require(principal, Permission.READ_RECORDS)
    birth_year = _year(birth_year)
    asked = any(v for v in (name, national_id, birth_year, facility))
    page = None
    if asked:
        page = records.search_persons(
            store,
            principal,
            name=name,
            national_id=national_id,
            birth_year=birth_year,
            facility_code=facility,
            offset=offset,
        )
    query = request.url.query
    context = {
        "page": page,
        "form": {
            "name": name,
            "national_id": national_id,
            "birth_year": birth_year,
            "facility": facility,
        },
        "changed": request.query_params.get("changed"),
        "query": query,
    }
    twin = "/api/v1/persons" + (f"?{query}" if query else "")
    if request.headers.get("hx-request") and asked:
        return render(request, "_person_hits.html", context, auth)
    return render(request, "home.html", context, auth, twin=twin)


def _year(text: str | None) -> int | None:
    text = (text or "").strip()
    if not text:
        return None
    if not (text.isascii() and text.isdigit()) or not 1850 <= int(text) <= 2100:
        raise InputError(f"year of birth {text!r} is not a year", hint="e.g. 1962")
    return int(text)


@router.get("/persons/{person_id}")
def person_page(
    person_id: RecordId, request: Request, auth: AuthDep, principal: PrincipalDep, store: StoreDep
) -> Response:
    timeline = records.person_timeline(store, principal, person_id)
    context = {"timeline": timeline, "editable": EDITABLE}
    return render(request, "person.html", context, auth, twin=f"/api/v1/persons/{person_id}")


@router.post("/persons/{person_id}/follow-ups")
def add_follow_up(
    person_id: RecordId,
    request: Request,
    auth: AuthDep,
    principal: PrincipalDep,
    store: StoreDep,
    contact_date: str = Form(..., max_length=10),
    vital_status: str = Form(..., max_length=1),
    death_date: str = Form("", max_length=10),
) -> Response:
    try:
        records.add_follow_up(
            store,
            principal,
            person_id,
            contact_date=contact_date,
            vital_status=vital_status,
            death_date=death_date or None,
        )
    except InputError as err:
        timeline = records.person_timeline(store, principal, person_id)
        context = {"timeline": timeline, "editable": EDITABLE, "message": err.message}
        return render(request, "person.html", context, auth, status_code=422)
    return RedirectResponse(f"/persons/{person_id}?followed=1", status_code=303)


def _edit_values(form) -> dict[str, str | None]:
    return {name: form.get(name) for name in EDITABLE if name in form}


@router.post("/sources/{source_id}/check")
def check_source(
    source_id: RecordId,
    request: Request,
    auth: AuthDep,
    principal: PrincipalDep,
    store: StoreDep,
    form: FormDep,
) -> Response:
    """The live check of an edit as the registrar types (an htmx fragment)."""
    context = {"source_id": source_id, "confirmed": form.getlist("confirm"), "problem": None}
    try:
        context["findings"] = records.check_edit(store, principal, source_id, _edit_values(form))
    except InputError as err:
        context |= {"findings": [], "problem": err.message}
    return render(request, "_findings.html", context, auth)


@router.post("/sources/{source_id}")
def save_source(
    source_id: RecordId,
    request: Request,
    auth: AuthDep,
    principal: PrincipalDep,
    store: StoreDep,
    form: FormDep,
) -> Response:
    person_id = form.get("person_id", "")
    confirm = [str(v) for v in form.getlist("confirm")]
    try:
        records.update_source(
            store,
            principal,
            source_id,
            _edit_values(form),
            confirm=confirm,
            reason=str(form.get("reason") or ""),
        )
    except InputError as err:
        context = {"source_id": source_id, "confirmed": confirm, "problem": err.message}
        try:
            context["findings"] = records.check_edit(
                store, principal, source_id, _edit_values(form)
            )
        except InputError:
            context["findings"] = []
        return render(request, "_findings.html", context, auth, status_code=422)
    target = (
        f"/persons/{int(person_id)}?saved={source_id}"
        if str(person_id).isascii() and str(person_id).isdigit()
        else "/"
    )
    return Response(status_code=204, headers={"HX-Redirect": target})


ENTRY_FIELDS = (
    ("report_id", "Report ID"),
    ("facility_code", "Facility code"),
    ("full_name", "Full name"),
    ("sex", "Sex (1 male, 2 female)"),
    ("birth_date", "Birth date (YYYY-MM-DD)"),
    ("national_id", "National ID"),
    ("province_code", "Province code"),
    ("diagnosis_date", "Diagnosis date"),
    ("topography", "Topography"),
    ("morphology", "Morphology"),
    ("behaviour", "Behaviour"),
    ("grade", "Grade"),
    ("basis", "Basis"),
    ("vital_status", "Vital status"),
    ("death_date", "Death date"),
)


@router.get("/reports/new")
def entry_page(request: Request, auth: AuthDep, principal: PrincipalDep) -> Response:
    require(principal, Permission.WRITE_RECORDS)
    context = {"fields": ENTRY_FIELDS, "values": {}}
    return render(request, "entry.html", context, auth, twin="/openapi.json")


@router.post("/reports/new")
def enter_report(
    request: Request, auth: AuthDep, principal: PrincipalDep, store: StoreDep, form: FormDep
) -> Response:
    values = {name: str(form.get(name, "")).strip() for name, _ in ENTRY_FIELDS}
    context: dict = {"fields": ENTRY_FIELDS, "values": values}
    try:
        context["done"] = entry.enter_report(store, principal, values)
        context["values"] = {}
        status = 201
    except InputError as err:
        context |= {"message": err.message, "problems": [str(p) for p in err.problems]}
        status = 422
    return render(request, "entry.html", context, auth, status_code=status)


@router.get("/checks")
def checks_page(
    request: Request,
    auth: AuthDep,
    principal: PrincipalDep,
    store: StoreDep,
    offset: int = Query(0, ge=0, le=MAX_ID),
) -> Response:
    page = records.stored_findings(store, principal, severity="warning", offset=offset)
    return render(request, "checks.html", {"page": page}, auth, twin="/api/v1/checks")


@router.post("/checks/confirm")
def confirm_warning(
    principal: PrincipalDep,
    store: StoreDep,
    facility_code: str = Form(..., max_length=32),
    report_id: str = Form(..., max_length=64),
    rule_id: str = Form(..., max_length=48),
    reason: str = Form(..., max_length=500),
    back: str = Form("/checks", max_length=500),
) -> Response:
    records.confirm_finding(store, principal, facility_code, report_id, rule_id, reason)
    return RedirectResponse(_safe_next(back), status_code=303)


@router.get("/review")
def review_page(request: Request, auth: AuthDep, principal: PrincipalDep, store: StoreDep):
    require(principal, Permission.REVIEW)
    rows = review.review_list(store, limit=200)
    context = {"rows": rows, "count": review.review_count(store)}
    return render(request, "review.html", context, auth, twin="/api/v1/review")


@router.get("/review/{item_id}")
def review_item_page(
    item_id: RecordId, request: Request, auth: AuthDep, principal: PrincipalDep, store: StoreDep
) -> Response:
    require(principal, Permission.REVIEW)
    pair = review.review_pair(store, item_id)
    twin = f"/api/v1/review/{item_id}"
    return render(request, "review_item.html", {"pair": pair}, auth, twin=twin)


@router.post("/review/{item_id}")
def decide_review(
    item_id: RecordId,
    principal: PrincipalDep,
    store: StoreDep,
    decision: str = Form(..., max_length=12),
    note: str = Form("", max_length=1000),
) -> Response:
    require(principal, Permission.REVIEW)
    review.decide(store, item_id, decision, actor=principal.username, note=note or None)
    return RedirectResponse(f"/review?decided={item_id}", status_code=303)


@router.get("/imports")
def imports_page(request: Request, auth: AuthDep, principal: PrincipalDep) -> Response:
    jobs = request.app.state.uploads.listing(principal)
    return render(request, "imports.html", {"jobs": jobs[::-1]}, auth, twin="/api/v1/imports")


@router.post("/imports")
def upload(
    request: Request,
    auth: AuthDep,
    principal: PrincipalDep,
    file: UploadFile,
    dry_run: bool = Form(False),
) -> Response:
    content = file.file.read()
    try:
        job = request.app.state.uploads.start(principal, file.filename or "", content, dry_run)
    except InputError as err:
        jobs = request.app.state.uploads.listing(principal)[::-1]
        context = {"jobs": jobs, "message": err.message, "hint": err.hint}
        return render(request, "imports.html", context, auth, status_code=422)
    return RedirectResponse(f"/imports/{job.id}", status_code=303)


@router.get("/imports/{job_id}")
def import_page(job_id: str, request: Request, auth: AuthDep, principal: PrincipalDep):
    job = request.app.state.uploads.get(principal, job_id).public()
    template = "_import_progress.html" if request.headers.get("hx-request") else "import.html"
    return render(request, template, {"job": job}, auth, twin=f"/api/v1/imports/{job_id}")


@router.get("/users")
def users_page(request: Request, auth: AuthDep, principal: PrincipalDep, store: StoreDep):
    rows = users.list_users(store, principal)
    return render(request, "users.html", {"rows": rows}, auth, twin="/api/v1/users")


@router.post("/users")
def create_user(
    request: Request,
    auth: AuthDep,
    principal: PrincipalDep,
    store: StoreDep,
    username: str = Form(..., max_length=64),
    role: str = Form(..., max_length=24),
    display_name: str = Form("", max_length=200),
    facility_code: str = Form("", max_length=32),
) -> Response:
    try:
        user, issued = users.create_user(
            store,
            principal,
            username=username,
            role=role,
            display_name=display_name or None,
            facility_code=facility_code or None,
        )
        context = {"created": user, "issued": issued}
        status = 201
    except (InputError, OncoregError) as err:
        if not isinstance(err, InputError) and err.code != "not_found":
            raise
        context, status = {"message": err.message, "hint": err.hint}, 422
    context["rows"] = users.list_users(store, principal)
    return render(request, "users.html", context, auth, status_code=status)


@router.get("/audit")
def audit_page(
    request: Request,
    auth: AuthDep,
    principal: PrincipalDep,
    store: StoreDep,
    actor: str | None = Query(None, max_length=100),
    entity: str | None = Query(None, max_length=32),
    action: str | None = Query(None, pattern="^(insert|update|obsolete|restore|read)?$"),
    offset: int = Query(0, ge=0, le=MAX_ID),
) -> Response:
    page = audit_events(
        store,
        principal,
        actor=actor or None,
        entity=entity or None,
        action=action or None,
        offset=offset,
    )
    query = request.url.query
    context = {"page": page, "form": {"actor": actor, "entity": entity, "action": action}}
    twin = "/api/v1/audit" + (f"?{query}" if query else "")
    return render(request, "audit.html", context, auth, twin=twin)
