"""Research extracts: data-sharing agreements, partners' requests, approval and release.

An administrator records a signed data-sharing agreement (organisation, purpose, the
variables it allows, its partner users, until when). A partner named in it requests an
extract (variables, years of diagnosis, sites); an administrator approves or refuses it.
Approval re-checks the agreement, selects the tumours (diagnosed in the years and sites,
not obsolete), de-identifies them (:mod:`oncoreg.network.deidentify`), makes them
k-anonymous (:mod:`oncoreg.network.kanonymity`) and writes into ``<folder>/<id>/``:

- ``extract-<id>.csv`` and ``extract-<id>.parquet``: the records;
- ``data-dictionary.csv``: variable, description, type, generalisation, values;
- ``README.txt``: agreement, approver, date, k, rows and suppressed rows.

The files are written to a staging folder and renamed into place when the release is
recorded, so a refused or failed release leaves nothing behind. An extract that cannot
reach k-anonymity within its share of suppressed records is refused with the reason.
Every step changes the audited request, so the audit trail holds who approved what; the
release also records its approver, figures and the SHA-256 of each file.

Partners see only their own requests and files; administrators see everything. The rows
come from :mod:`oncoreg.network.extract_records`; the demo's agreements and extracts from
:mod:`oncoreg.network.extract_demo`.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import shutil
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from oncoreg.checks.site_histology import site_codes
from oncoreg.errors import InputError, NotFound
from oncoreg.model import ExtractState, RecordStatus
from oncoreg.network.deidentify import (
    VARIABLES,
    build_frame,
    check_variables,
    quasi_identifiers,
)
from oncoreg.network.extract_records import base_frame
from oncoreg.network.kanonymity import KAnonymityRefused, Result, anonymise, levels
from oncoreg.services.access import Permission, Principal, require
from oncoreg.services.facilities import CODE_RE
from oncoreg.settings import Settings, sqlite_path
from oncoreg.store import (
    DataSharingAgreement,
    ExtractRequest,
    Store,
)
from oncoreg.store.tables import utcnow

USER_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
YEARS_RE = re.compile(r"^\s*(\d{4})\s*(?:-\s*(\d{4}))?\s*$")
FIRST_YEAR = 1900
OPEN = (ExtractState.REQUESTED, ExtractState.APPROVED)
DICTIONARY = "data-dictionary.csv"
README = "README.txt"
DICTIONARY_VALUES = 40  # distinct values listed for a generalised variable


@dataclass(frozen=True)
class AgreementView:
    id: int
    code: str
    organisation: str
    title: str
    purpose: str | None
    signed_on: date
    expires_on: date | None
    variables: list[str]
    members: list[str]
    recorded_by: str
    valid: bool


@dataclass(frozen=True)
class ExtractView:
    id: int
    requested_by: str
    requested_at: str
    agreement: str
    organisation: str
    purpose: str
    variables: list[str]
    years: str
    sites: list[str] | None
    k: int
    max_suppressed: float
    state: str
    decided_by: str | None
    decided_at: str | None
    decision_note: str | None
    released_at: str | None
    release: dict | None


def folder_for_url(database_url: str) -> Path:
    """Where extracts are written: beside the SQLite registry, else a temporary folder."""
    database = sqlite_path(database_url)
    if database is not None:
        return database.parent / "oncoreg-extracts"
    return Path(tempfile.gettempdir()) / "oncoreg-extracts"


def extract_folder(settings: Settings) -> Path:
    """The extracts folder of the settings' registry (see :func:`folder_for_url`)."""
    return folder_for_url(settings.database_url)


def variable_catalogue() -> list[dict]:
    """The variables a partner may ask for, with description, type and values."""
    return [vars(v) for v in VARIABLES.values()]


# -- agreements ----------------------------------------------------------------------------


def record_agreement(
    store: Store,
    principal: Principal,
    *,
    code: str,
    organisation: str,
    title: str,
    signed_on: date,
    variables: list[str],
    members: list[str],
    expires_on: date | None = None,
    purpose: str | None = None,
) -> AgreementView:
    """Record a signed data-sharing agreement (administrators).

    Raises:
        Forbidden: the role may not approve extracts.
        InputError: a bad code (or one already used), no organisation or title, an
            expiry before signature, a variable that is unknown or never released, or a
            member name that is not a user name.
    """
    require(principal, Permission.APPROVE_EXTRACTS)
    code = code.strip()
    if not CODE_RE.match(code):
        raise InputError("an agreement code of 1-32 letters, digits, '.', '_' or '-' is needed")
    if not organisation.strip() or not title.strip():
        raise InputError("an agreement needs its organisation and title")
    if expires_on is not None and expires_on < signed_on:
        raise InputError("the agreement expires before it was signed", hint="check the dates")
    allowed = check_variables(variables)
    names = _members(members)
    with store.session(actor=principal.username) as session:
        if session.scalar(select(DataSharingAgreement.id).where(DataSharingAgreement.code == code)):
            raise InputError(f"agreement {code} is already recorded", hint="choose another code")
        agreement = DataSharingAgreement(
            code=code,
            organisation=organisation.strip(),
            title=title.strip(),
            purpose=(purpose or "").strip() or None,
            signed_on=signed_on,
            expires_on=expires_on,
            variables=allowed,
            members=names,
            recorded_by=principal.username,
            status=RecordStatus.CONFIRMED,
        )
        session.add(agreement)
        session.flush()
        return _agreement_view(agreement, date.today())


def _members(members: list[str]) -> list[str]:
    names = list(dict.fromkeys(m.strip() for m in members if m and m.strip()))
    bad = [m for m in names if not USER_RE.match(m)]
    if bad:
        raise InputError(f"{bad[0]!r} is not a user name", hint="list partner user names")
    return names


def list_agreements(
    store: Store, principal: Principal, today: date | None = None
) -> list[AgreementView]:
    """Agreements: all for administrators, those naming the partner for partners."""
    require(principal, Permission.REQUEST_EXTRACTS)
    today = today or date.today()
    with store.session() as session:
        rows = session.scalars(select(DataSharingAgreement).order_by(DataSharingAgreement.code))
        return [
            _agreement_view(a, today)
            for a in rows
            if principal.can(Permission.APPROVE_EXTRACTS) or principal.username in a.members
        ]


def _agreement_view(a: DataSharingAgreement, today: date) -> AgreementView:
    return AgreementView(
        id=a.id,
        code=a.code,
        organisation=a.organisation,
        title=a.title,
        purpose=a.purpose,
        signed_on=a.signed_on,
        expires_on=a.expires_on,
        variables=list(a.variables or []),
        members=list(a.members or []),
        recorded_by=a.recorded_by,
        valid=_agreement_problem(a, today) is None,
    )


def _agreement_problem(a: DataSharingAgreement, today: date) -> str | None:
    if a.status is RecordStatus.OBSOLETE:
        return f"agreement {a.code} has ended"
    if a.signed_on > today:
        return f"agreement {a.code} is not in force before {a.signed_on.isoformat()}"
    if a.expires_on is not None and a.expires_on < today:
        return f"agreement {a.code} expired on {a.expires_on.isoformat()}"
    return None


def _check_agreement(a: DataSharingAgreement, variables: list[str], today: date) -> None:
    problem = _agreement_problem(a, today)
    if problem:
        raise InputError(problem, hint="an administrator must record a renewed agreement")
    outside = [v for v in variables if v not in (a.variables or [])]
    if outside:
        raise InputError(
            f"variable {outside[0]!r} is not allowed by agreement {a.code}",
            hint=f"the agreement allows {', '.join(a.variables) or 'no variable'}",
        )


# -- requests ------------------------------------------------------------------------------


def request_extract(
    store: Store,
    principal: Principal,
    agreement_code: str,
    variables: list[str],
    years: str,
    *,
    purpose: str,
    sites: list[str] | str | None = None,
    k: int = 5,
    max_suppressed: float = 0.05,
    today: date | None = None,
) -> ExtractView:
    """A partner's request for an extract under an agreement naming them.

    Args:
        agreement_code: the agreement it is made under.
        variables: the variables wanted (a subset of the agreement's).
        years: years of diagnosis, ``2018-2022`` or ``2020``.
        purpose: what the extract is for.
        sites: topography categories or ranges (``C50``, ``C18-C20``); None for all.
        k: the smallest class of quasi-identifiers released (at least 2).
        max_suppressed: the share of records that may be suppressed (0 to under 0.5).

    Raises:
        Forbidden: the role may not request extracts.
        NotFound: no such agreement names this partner.
        InputError: an expired agreement, a variable outside it or never released, bad
            years, sites, k or share, or no purpose.
    """
    require(principal, Permission.REQUEST_EXTRACTS)
    today = today or date.today()
    chosen = check_variables(variables)
    year_from, year_to = parse_years(years, today)
    ranges = parse_sites(sites)
    _check_parameters(k, max_suppressed, purpose)
    with store.session(actor=principal.username) as session:
        agreement = _agreement_for(session, principal, agreement_code)
        _check_agreement(agreement, chosen, today)
        request = ExtractRequest(
            requested_by=principal.username,
            agreement_id=agreement.id,
            purpose=purpose.strip(),
            variables=chosen,
            year_from=year_from,
            year_to=year_to,
            sites=ranges,
            k=k,
            max_suppressed=max_suppressed,
            state=ExtractState.REQUESTED,
            status=RecordStatus.CONFIRMED,
        )
        session.add(request)
        session.flush()
        return _extract_view(request, agreement)


def _agreement_for(session: Session, principal: Principal, code: str) -> DataSharingAgreement:
    agreement = session.scalar(
        select(DataSharingAgreement).where(DataSharingAgreement.code == code.strip())
    )
    approver = principal.can(Permission.APPROVE_EXTRACTS)
    if agreement is None or not (approver or principal.username in (agreement.members or [])):
        raise NotFound(f"no data-sharing agreement {code.strip()!r} names you")
    return agreement


def parse_years(text: str, today: date | None = None) -> tuple[int, int]:
    """``2018-2022`` or ``2020`` as (first, last) years of diagnosis.

    Raises:
        InputError: not years, backwards, before 1900 or after this year.
    """
    match = YEARS_RE.match(text or "")
    if not match:
        raise InputError(f"{text!r} is not a year or range of years", hint="e.g. 2018-2022")
    first, last = int(match.group(1)), int(match.group(2) or match.group(1))
    this_year = (today or date.today()).year
    if first > last or first < FIRST_YEAR or last > this_year:
        raise InputError(
            f"years {first}-{last} are not a range of past years",
            hint=f"give years from {FIRST_YEAR} to {this_year}, the first before the last",
        )
    return first, last


def parse_sites(sites: list[str] | str | None) -> list[str] | None:
    """Topography categories or ranges, checked (``C50``, ``C18-C20``, ``C34.1``)."""
    if sites is None:
        return None
    tokens = sites.split(",") if isinstance(sites, str) else list(sites)
    ranges = [t.strip().upper() for t in tokens if t and t.strip()]
    if not ranges:
        return None
    for token in ranges:
        try:
            site_codes(token)
        except ValueError:
            raise InputError(
                f"{token!r} is not a topography code or range", hint="e.g. C50, C18-C20, C34.1"
            ) from None
    return ranges


def _check_parameters(k: int, max_suppressed: float, purpose: str) -> None:
    if k < 2 or k > 1000:
        raise InputError(f"k must be 2 to 1000, not {k}", hint="the usual k is 5")
    if not 0 <= max_suppressed < 0.5:
        raise InputError(
            f"the share of suppressed records must be 0 to under 0.5, not {max_suppressed}",
            hint="the usual share is 0.05",
        )
    if not (purpose or "").strip():
        raise InputError("say what the extract is for (purpose)")


def list_extracts(store: Store, principal: Principal) -> list[ExtractView]:
    """Requests, newest first: a partner's own; every one for administrators."""
    require(principal, Permission.EXTRACTS)
    with store.session() as session:
        query = (
            select(ExtractRequest, DataSharingAgreement)
            .join(DataSharingAgreement, DataSharingAgreement.id == ExtractRequest.agreement_id)
            .order_by(ExtractRequest.id.desc())
        )
        if not principal.can(Permission.APPROVE_EXTRACTS):
            query = query.where(ExtractRequest.requested_by == principal.username)
        return [_extract_view(r, a) for r, a in session.execute(query)]


def extract_view(store: Store, principal: Principal, request_id: int) -> ExtractView:
    """One request with its decision and release (NotFound outside the user's own)."""
    with store.session() as session:
        request = _visible(session, principal, request_id)
        return _extract_view(request, session.get(DataSharingAgreement, request.agreement_id))


def _visible(session: Session, principal: Principal, request_id: int) -> ExtractRequest:
    require(principal, Permission.EXTRACTS)
    request = session.get(ExtractRequest, request_id)
    mine = request is not None and request.requested_by == principal.username
    if request is None or not (mine or principal.can(Permission.APPROVE_EXTRACTS)):
        raise NotFound(f"no extract {request_id}")
    return request


def _extract_view(r: ExtractRequest, a: DataSharingAgreement) -> ExtractView:
    return ExtractView(
        id=r.id,
        requested_by=r.requested_by,
        requested_at=_iso(r.requested_at),
        agreement=a.code,
        organisation=a.organisation,
        purpose=r.purpose,
        variables=list(r.variables),
        years=f"{r.year_from}-{r.year_to}" if r.year_from != r.year_to else str(r.year_from),
        sites=list(r.sites) if r.sites else None,
        k=r.k,
        max_suppressed=r.max_suppressed,
        state=r.state.value,
        decided_by=r.decided_by,
        decided_at=_iso(r.decided_at),
        decision_note=r.decision_note,
        released_at=_iso(r.released_at),
        release=r.release,
    )


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


# -- decisions -----------------------------------------------------------------------------


def refuse(store: Store, principal: Principal, request_id: int, reason: str) -> ExtractView:
    """Refuse a request that is not yet released, with the reason (administrators)."""
    require(principal, Permission.APPROVE_EXTRACTS)
    if not (reason or "").strip():
        raise InputError("say why the extract is refused")
    return _decide(store, principal, request_id, ExtractState.REFUSED, reason.strip())


def _decide(
    store: Store, principal: Principal, request_id: int, state: ExtractState, note: str | None
) -> ExtractView:
    with store.session(actor=principal.username) as session:
        request = _open_request(session, principal, request_id)
        request.state = state
        request.decided_by, request.decided_at = principal.username, utcnow()
        request.decision_note = note
        session.flush()
        return _extract_view(request, session.get(DataSharingAgreement, request.agreement_id))


def _open_request(session: Session, principal: Principal, request_id: int) -> ExtractRequest:
    request = _visible(session, principal, request_id)
    if request.state not in OPEN:
        raise InputError(
            f"extract {request_id} is {request.state.value}: only a requested extract can be "
            "approved or refused",
            hint="a partner may send a new request",
        )
    return request


def approve(
    store: Store,
    principal: Principal,
    request_id: int,
    note: str | None = None,
    *,
    folder: Path | None = None,
    today: date | None = None,
) -> ExtractView:
    """Approve a request and release its extract, or refuse it when k-anonymity cannot
    be reached within its share of suppressed records (the reason in the decision note).

    Args:
        folder: where extracts are kept (default: beside the SQLite registry).
        today: the date the agreement must be valid on (default: today).

    Raises:
        Forbidden: the role may not approve extracts.
        NotFound: no such request.
        InputError: the request is decided already, or its agreement has expired or no
            longer allows a variable.
    """
    require(principal, Permission.APPROVE_EXTRACTS)
    today = today or date.today()
    folder = folder or folder_for_url(store.url)
    with store.session(actor=principal.username) as session:
        request = _open_request(session, principal, request_id)
        agreement = session.get(DataSharingAgreement, request.agreement_id)
        _check_agreement(agreement, list(request.variables), today)
        request.state = ExtractState.APPROVED
        request.decided_by, request.decided_at = principal.username, utcnow()
        request.decision_note = (note or "").strip() or None
        base = base_frame(session, request)
        spec = _extract_view(request, agreement)
    try:
        result = _anonymised(base, spec)
    except KAnonymityRefused as err:
        return _decide(store, principal, request_id, ExtractState.REFUSED, err.message)
    release = _release_figures(spec, result, base.height, principal)
    staged = _write_files(folder, spec, result, release)
    return _record_release(store, principal, request_id, folder, staged, release)


def _anonymised(base: pl.DataFrame, spec: ExtractView) -> Result:
    frame = build_frame(base, spec.variables, secrets.token_bytes(32))
    derived = frame.select(pl.col("__site_group").alias("site_group"))
    qis = quasi_identifiers(spec.variables)
    return anonymise(frame.drop("__site_group"), qis, spec.k, spec.max_suppressed, derived)


def _release_figures(
    spec: ExtractView, result: Result, selected: int, principal: Principal
) -> dict:
    return {
        "agreement": spec.agreement,
        "approved_by": principal.username,
        "approved_at": utcnow().isoformat(),
        "records_selected": selected,
        "rows": result.frame.height,
        "suppressed": result.suppressed_rows,
        "k": spec.k,
        "max_suppressed": spec.max_suppressed,
        "smallest_class": result.smallest_class,
        "generalisations": result.levels_applied,
        "dictionary": _dictionary(result),
    }


def _dictionary(result: Result) -> list[dict]:
    rows = []
    for name in result.frame.columns:
        variable = VARIABLES[name]
        level = result.levels_applied.get(name, "none")
        values = variable.values
        if level not in ("none", levels(name)[0]):
            present = sorted(result.frame[name].drop_nulls().unique().to_list())
            values = "; ".join(present[:DICTIONARY_VALUES])
        rows.append(
            {
                "variable": name,
                "description": variable.description,
                "type": variable.type,
                "generalisation": level,
                "values": values,
            }
        )
    return rows


def _write_files(folder: Path, spec: ExtractView, result: Result, release: dict) -> Path:
    """The release's files in a new staging folder beside the final one."""
    folder.mkdir(parents=True, exist_ok=True)
    staged = Path(tempfile.mkdtemp(prefix=f".staging-{spec.id}-", dir=folder))
    try:
        result.frame.write_csv(staged / f"extract-{spec.id}.csv")
        result.frame.write_parquet(staged / f"extract-{spec.id}.parquet")
        pl.DataFrame(release["dictionary"]).write_csv(staged / DICTIONARY)
        (staged / README).write_text(_readme(spec, release), encoding="utf-8")
    except BaseException:
        shutil.rmtree(staged, ignore_errors=True)
        raise
    release["files"] = [_file_entry(path) for path in sorted(staged.iterdir())]
    return staged


def _file_entry(path: Path) -> dict:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return {"name": path.name, "sha256": digest, "bytes": path.stat().st_size}


def _readme(spec: ExtractView, release: dict) -> str:
    levels_text = ", ".join(f"{k}: {v}" for k, v in release["generalisations"].items())
    return (
        f"oncoreg research extract {spec.id}\n\n"
        f"Agreement: {spec.agreement} ({spec.organisation})\n"
        f"Requested by: {spec.requested_by} for: {spec.purpose}\n"
        f"Approved by: {release['approved_by']} on {release['approved_at'][:10]}\n"
        f"Years of diagnosis: {spec.years}; sites: {', '.join(spec.sites or ['all'])}\n"
        f"k-anonymity: k={spec.k} on the quasi-identifiers ({levels_text or 'none'}); "
        f"smallest class {release['smallest_class']}\n"
        f"Rows: {release['rows']} of {release['records_selected']} selected; "
        f"suppressed: {release['suppressed']} (limit {spec.max_suppressed:.0%})\n\n"
        "De-identified: no names, identifiers, address, phone or exact dates; record_id is "
        "a pseudonym valid in this extract only. Use under the agreement; do not attempt "
        "to re-identify anyone. See data-dictionary.csv.\n"
    )


def _record_release(
    store: Store,
    principal: Principal,
    request_id: int,
    folder: Path,
    staged: Path,
    release: dict,
) -> ExtractView:
    final = folder / str(request_id)
    moved = False
    try:
        with store.session(actor=principal.username) as session:
            request = _visible(session, principal, request_id)
            if request.state is not ExtractState.APPROVED:
                raise InputError(f"extract {request_id} was decided meanwhile")
            request.state = ExtractState.RELEASED
            request.released_at = utcnow()
            request.release = release
            session.flush()
            view = _extract_view(request, session.get(DataSharingAgreement, request.agreement_id))
            if final.exists():  # left by a release that failed after moving its files
                shutil.rmtree(final)
            staged.rename(final)
            moved = True
    except BaseException:
        shutil.rmtree(final if moved else staged, ignore_errors=True)
        raise
    return view


def extract_file(
    store: Store, principal: Principal, request_id: int, name: str, *, folder: Path | None = None
) -> Path:
    """A file of a released extract (NotFound for another partner's, or no such file)."""
    folder = folder or folder_for_url(store.url)
    with store.session() as session:
        request = _visible(session, principal, request_id)
        files = [f["name"] for f in (request.release or {}).get("files", [])]
        released = request.state is ExtractState.RELEASED
    path = folder / str(request_id) / name
    if not released or name not in files or not path.is_file():
        raise NotFound(f"extract {request_id} has no file {name!r}")
    return path
