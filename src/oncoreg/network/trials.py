"""The clinical trial registry: trials, their sites, state, enrolment and accrual.

Trials come from TOML files (:mod:`oncoreg.network.trial_import`); patient–trial matching
reads the registry in bulk (:mod:`oncoreg.network.matching`); both are re-exported here.
Reading trials needs ``Permission.TRIALS``; importing and changing a trial's state
``MANAGE_NETWORK``; enrolling ``NETWORK`` (a hospital user at its own facility). Results
carry person ids, never names or other identifiers.
"""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, field
from datetime import date
from importlib import resources

from sqlalchemy import func, select

from oncoreg.errors import Forbidden, InputError
from oncoreg.model import RecordStatus, TrialState, choices
from oncoreg.network.eligibility import (
    describe,
    parse_eligibility,
)
from oncoreg.network.matching import (
    case_frame,
    eligible_persons,
    find_trial,
    match_person,
    visible_case_frame,
)
from oncoreg.network.trial_import import TrialImport, import_trial_tables, import_trials
from oncoreg.services.access import (
    SYSTEM,
    Permission,
    Principal,
    require,
)
from oncoreg.store import (
    Facility,
    Store,
    Trial,
    TrialEnrolment,
    TrialSite,
)

__all__ = [
    "TrialImport",
    "case_frame",
    "eligible_persons",
    "import_trials",
    "match_person",
]

OBSOLETE = RecordStatus.OBSOLETE


# ---------------------------------------------------------------- reading


@dataclass(frozen=True)
class SiteAccrual:
    facility: str
    name_vi: str
    name_en: str | None
    target: int | None
    enrolled: int
    open: bool


@dataclass(frozen=True)
class TrialListing:
    """A trial as lists show it, with its sites and accrual."""

    code: str
    title_vi: str
    title_en: str | None
    phase: str | None
    sponsor: str | None
    state: str
    target_accrual: int | None
    opened_on: date | None
    closes_on: date | None
    enrolled: int
    sites: list[SiteAccrual]


@dataclass(frozen=True)
class TrialView(TrialListing):
    """One trial: the listing, its description and its eligibility (as data and words)."""

    description: str | None = None
    eligibility: dict = field(default_factory=dict)
    criteria: list[dict] = field(default_factory=list)


def list_trials(
    store: Store, principal: Principal, *, state: str | None = None, site: str | None = None
) -> list[TrialListing]:
    """Trials, open ones first then by code; ``state`` and ``site`` (facility code) filter.

    Raises:
        InputError: ``state`` is not a trial state.
    """
    require(principal, Permission.TRIALS)
    wanted = _state_of(state) if state else None
    with store.session() as session:
        query = select(Trial).where(Trial.status != OBSOLETE)
        if wanted:
            query = query.where(Trial.state == wanted)
        trials = list(session.scalars(query))
        listings = [_listing(session, t) for t in trials]
    if site:
        listings = [t for t in listings if any(s.facility == site for s in t.sites)]
    return sorted(listings, key=lambda t: (t.state != TrialState.OPEN, t.code))


def _state_of(text: str) -> TrialState:
    try:
        return TrialState(text.strip().lower())
    except ValueError:
        raise InputError(
            f"{text!r} is not a trial state", hint=f"use {choices(TrialState)}"
        ) from None


def _listing(session, trial: Trial) -> TrialListing:
    sites = _accrual_rows(session, trial.id)
    return TrialListing(
        code=trial.code,
        title_vi=trial.title_vi,
        title_en=trial.title_en,
        phase=trial.phase,
        sponsor=trial.sponsor,
        state=trial.state.value,
        target_accrual=trial.target_accrual,
        opened_on=trial.opened_on,
        closes_on=trial.closes_on,
        enrolled=sum(s.enrolled for s in sites),
        sites=sites,
    )


def _accrual_rows(session, trial_id: int) -> list[SiteAccrual]:
    counts = dict(
        session.execute(
            select(TrialEnrolment.facility_id, func.count())
            .where(TrialEnrolment.trial_id == trial_id, TrialEnrolment.status != OBSOLETE)
            .group_by(TrialEnrolment.facility_id)
        ).all()
    )
    rows = session.execute(
        select(TrialSite, Facility)
        .join(Facility, Facility.id == TrialSite.facility_id)
        .where(TrialSite.trial_id == trial_id, TrialSite.status != OBSOLETE)
        .order_by(TrialSite.open.desc(), Facility.code)
    ).all()
    return [
        SiteAccrual(f.code, f.name_vi, f.name_en, s.target_accrual, counts.get(f.id, 0), s.open)
        for s, f in rows
    ]


def view_trial(store: Store, principal: Principal, code: str) -> TrialView:
    """One trial with its sites, accrual and eligibility in words.

    Raises:
        NotFound: no such trial.
    """
    require(principal, Permission.TRIALS)
    with store.session() as session:
        trial = find_trial(session, code)
        listing = _listing(session, trial)
    words = [
        {"criterion": c, "template": t, "values": v, "text": t % v}
        for c, t, v in describe_eligibility(trial.eligibility)
    ]
    return TrialView(
        **vars(listing),
        description=trial.description,
        eligibility=trial.eligibility or {},
        criteria=words,
    )


def describe_eligibility(mapping: dict) -> list[tuple[str, str, dict]]:
    """A stored eligibility in words: (criterion, English template, values)."""
    return describe(parse_eligibility(mapping or {}))


def accrual(store: Store, principal: Principal, code: str) -> dict:
    """Enrolled against target, by site and overall.

    Raises:
        NotFound: no such trial.
    """
    require(principal, Permission.TRIALS)
    with store.session() as session:
        trial = find_trial(session, code)
        sites = _accrual_rows(session, trial.id)
    return {
        "trial": trial.code,
        "target_accrual": trial.target_accrual,
        "enrolled": sum(s.enrolled for s in sites),
        "sites": [asdict(s) for s in sites],
    }


def set_state(store: Store, principal: Principal, code: str, state: str) -> TrialListing:
    """Move a trial to another state (planned, open, suspended, closed, completed).

    Raises:
        NotFound: no such trial.
        InputError: not a trial state.
    """
    require(principal, Permission.MANAGE_NETWORK)
    wanted = _state_of(state)
    with store.session(actor=principal.username) as session:
        trial = find_trial(session, code)
        if trial.state != wanted:
            trial.state = wanted
            if wanted is TrialState.OPEN and trial.opened_on is None:
                trial.opened_on = date.today()
        session.flush()
        return _listing(session, trial)


# ---------------------------------------------------------------- enrolment


def enrol(
    store: Store,
    principal: Principal,
    trial_code: str,
    person_id: int,
    facility_code: str,
    enrolled_on: date | None = None,
) -> dict:
    """Record that a person was enrolled in a trial at one of its open sites.

    Raises:
        Forbidden: the role may not enrol, or a hospital user names another facility.
        NotFound: no such trial, or no such person the principal may see.
        InputError: the trial is not open, the facility is not an open site, the person
            is already enrolled or has died, or the date is in the future.
    """
    require(principal, Permission.NETWORK)
    enrolled_on = enrolled_on or date.today()
    with store.session(actor=principal.username) as session:
        trial = find_trial(session, trial_code)
        frame = visible_case_frame(session, principal, person_id)
        site = _open_site(session, trial, facility_code)
        if principal.facility_bound and site.facility_id != principal.facility_id:
            raise Forbidden("a hospital user enrols patients at its own facility only")
        _check_enrolment(session, trial, person_id, frame, enrolled_on)
        session.add(
            TrialEnrolment(
                trial_id=trial.id,
                person_id=person_id,
                facility_id=site.facility_id,
                enrolled_on=enrolled_on,
                enrolled_by=principal.username,
                status=RecordStatus.CONFIRMED,
            )
        )
    return {
        "trial": trial.code,
        "person_id": person_id,
        "facility": facility_code,
        "enrolled_on": enrolled_on.isoformat(),
        "enrolled_by": principal.username,
    }


def _open_site(session, trial: Trial, facility_code: str) -> TrialSite:
    site = session.scalar(
        select(TrialSite)
        .join(Facility, Facility.id == TrialSite.facility_id)
        .where(
            TrialSite.trial_id == trial.id,
            Facility.code == facility_code,
            TrialSite.open.is_(True),
            TrialSite.status != OBSOLETE,
        )
    )
    if site is None:
        raise InputError(
            f"{facility_code} is not an open site of trial {trial.code}",
            hint=f"see `oncoreg trials show {trial.code}`",
        )
    return site


def _check_enrolment(session, trial: Trial, person_id: int, frame, enrolled_on: date) -> None:
    if trial.state is not TrialState.OPEN:
        raise InputError(f"trial {trial.code} is {trial.state.value}, not open to accrual")
    if enrolled_on > date.today():
        raise InputError("the enrolment date is in the future")
    if frame.height and (frame["vital_status"] == "2").any():
        raise InputError(f"person {person_id} has died according to the registry")
    already = session.scalar(
        select(TrialEnrolment.id).where(
            TrialEnrolment.trial_id == trial.id, TrialEnrolment.person_id == person_id
        )
    )
    if already is not None:
        raise InputError(f"person {person_id} is already enrolled in trial {trial.code}")


# ---------------------------------------------------------------- demo


def demo_trials_text() -> str:
    """The demo trials file shipped with oncoreg (fictional codes, real sponsors' names)."""
    return resources.files("oncoreg.demo").joinpath("trials.toml").read_text(encoding="utf-8")


def seed_demo(store: Store, today: date) -> str:
    """Import the demo trials (sites at facilities the registry lacks are left out) and
    enrol the two best-matching demo persons (eligible first) in each open trial without
    enrolments. Deterministic and idempotent: a second call adds nothing."""
    with store.session() as session:
        codes = set(session.scalars(select(Facility.code)))
    data = tomllib.loads(demo_trials_text())
    for trial in data["trial"]:
        trial["sites"] = [s for s in trial.get("sites", []) if s["facility"] in codes]
    import_trial_tables(store, SYSTEM, data["trial"], name="demo/trials.toml")
    added, on = 0, min(today, date.today())
    for listing in list_trials(store, SYSTEM, state="open"):
        if listing.enrolled or not any(s.open for s in listing.sites):
            continue
        site = next(s.facility for s in listing.sites if s.open)
        found = eligible_persons(store, SYSTEM, listing.code, today, limit=2)
        for person in found["data"]:
            enrol(store, SYSTEM, listing.code, person["person_id"], site, on)
            added += 1
    return f"{len(data['trial'])} trials, {added} enrolments"
