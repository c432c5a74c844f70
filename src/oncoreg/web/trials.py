"""Pages: clinical trials: the registry, structured eligibility, matching and accrual."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from oncoreg.api.deps import MAX_ID, AuthDep, PrincipalDep, RecordId, StoreDep
from oncoreg.api.routes.trials import TrialCode
from oncoreg.errors import InputError
from oncoreg.network import trials
from oncoreg.network.eligibility import TREATMENT_WORDS
from oncoreg.services.access import Permission, own_facility_code, require
from oncoreg.web.i18n import translator
from oncoreg.web.render import language, render

router = APIRouter(include_in_schema=False)
PAGE = 50
WORDS = ("sex", "wanted", "treatment")  # values of a reason that are words, not codes
LABELS = {
    "alive": "Alive",
    "sites": "Site",
    "morphology": "Histology",
    "exclude_morphology": "Excluded histology",
    "stage": "Stage",
    "age": "Age",
    "sex": "Sex",
    "ecog_max": "ECOG",
    "months_since_diagnosis": "Months since diagnosis",
}


def _words(request: Request) -> dict:
    """Helpers of the trial templates: reasons, criteria and titles in the page language."""
    lang = language(request)
    _ = translator(lang)

    def reason(result: dict) -> str:
        values = {k: _(v) if k in WORDS else v for k, v in (result.get("values") or {}).items()}
        return _(result["template"], **values) if result.get("template") else result["reason"]

    def criterion(name: str) -> str:
        if name.startswith("prior_treatments."):
            _prefix, kind, treatment = name.split(".", 2)
            template = (
                "Prior %(treatment)s required" if kind == "required" else "No prior %(treatment)s"
            )
            return _(template, treatment=_(TREATMENT_WORDS[treatment]))
        return _(LABELS.get(name, name))

    def title(trial) -> str:
        get = trial.get if isinstance(trial, dict) else lambda k: getattr(trial, k)
        return get("title_vi") if lang == "vi" else (get("title_en") or get("title_vi"))

    return {"reason": reason, "criterion": criterion, "title": title}


@router.get("/trials")
def trials_page(
    request: Request,
    auth: AuthDep,
    principal: PrincipalDep,
    store: StoreDep,
    state: str | None = Query(None, max_length=16),
) -> Response:
    """The trial registry: open trials first, with phase, sponsor, sites and accrual."""
    rows = trials.list_trials(store, principal, state=state or None)
    twin = "/api/v1/trials" + (f"?state={state}" if state else "")
    context = {"rows": rows, "state": state or "", **_words(request)}
    return render(request, "trials.html", context, auth, twin=twin)


@router.get("/trials/match/{person_id}")
def match_page(
    person_id: RecordId, request: Request, auth: AuthDep, principal: PrincipalDep, store: StoreDep
) -> Response:
    """The open trials for one person, eligible first, each criterion with its reason."""
    found = trials.match_person(store, principal, person_id)
    context = {"match": found, **_words(request)}
    twin = f"/api/v1/trials/match/{person_id}"
    return render(request, "trial_match.html", context, auth, twin=twin)


@router.get("/trials/{trial_code}")
def trial_page(
    trial_code: TrialCode,
    request: Request,
    auth: AuthDep,
    principal: PrincipalDep,
    store: StoreDep,
    offset: int = Query(0, ge=0, le=MAX_ID),
) -> Response:
    """One trial: eligibility in words, sites and accrual, eligible persons, enrol form."""
    return _trial_page(request, auth, store, trial_code, offset)


def _trial_page(request, auth, store, code: str, offset: int = 0, **extra) -> Response:
    principal = auth.principal
    trial = trials.view_trial(store, principal, code)
    persons = trials.eligible_persons(store, principal, code, limit=PAGE, offset=offset)
    context = {
        "trial": trial,
        "persons": persons,
        "own_facility": own_facility_code(store, principal),
        "may_enrol": principal.can(Permission.NETWORK) and trial.state == "open",
        "today": date.today().isoformat(),
        **_words(request),
        **extra,
    }
    status = 422 if extra.get("message") else 200
    twin = f"/api/v1/trials/{code}"
    return render(request, "trial.html", context, auth, status_code=status, twin=twin)


@router.post("/trials/{trial_code}/enrolments")
def enrol_form(
    trial_code: TrialCode,
    request: Request,
    auth: AuthDep,
    principal: PrincipalDep,
    store: StoreDep,
    person_id: int = Form(..., ge=1, le=MAX_ID),
    facility: str = Form(..., max_length=32),
    enrolled_on: str = Form("", max_length=10),
) -> Response:
    """Record an enrolment from the trial page's form, then back to the trial."""
    require(principal, Permission.NETWORK)
    try:
        when = _date(enrolled_on)
        trials.enrol(store, principal, trial_code, person_id, facility, when)
    except InputError as err:
        return _trial_page(request, auth, store, trial_code, message=err.message, hint=err.hint)
    return RedirectResponse(f"/trials/{trial_code}?enrolled={person_id}", status_code=303)


def _date(text: str) -> date | None:
    text = text.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(f"{text!r} is not a date", hint="e.g. 2026-03-01") from None
