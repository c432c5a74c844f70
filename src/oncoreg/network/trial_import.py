"""Importing trials from TOML: ``[[trial]]`` tables (see ``docs/network-trials.md``), all or
nothing, every problem reported with the trial's number, code and field."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from oncoreg.errors import InputError, Problem
from oncoreg.model import RecordStatus, TrialState, choices
from oncoreg.network.eligibility import (
    eligibility_problems,
)
from oncoreg.services.access import Permission, Principal, require
from oncoreg.services.facilities import CODE_RE
from oncoreg.store import (
    Facility,
    Store,
    Trial,
    TrialSite,
)

TRIAL_KEYS = (
    "code",
    "title_vi",
    "title_en",
    "phase",
    "sponsor",
    "state",
    "target_accrual",
    "opened_on",
    "closes_on",
    "description",
    "sites",
    "eligibility",
)
TEXTS = {"title_vi": 500, "title_en": 500, "sponsor": 200, "description": 5000}
PHASES = ("0", "I", "I/II", "II", "II/III", "III", "IV", "N/A")
ARABIC = str.maketrans({"1": "I", "2": "II", "3": "III", "4": "IV"})
MAX_ACCRUAL = 1_000_000
OBSOLETE = RecordStatus.OBSOLETE


@dataclass
class TrialImport:
    """What an import did."""

    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class _Row:
    index: int
    code: str
    values: dict
    sites: list[tuple[str, int | None, bool]]


def import_trials(
    store: Store, principal: Principal, text: str | bytes, *, name: str = "trials.toml"
) -> TrialImport:
    """Import or update the trials of a TOML file, all or nothing.

    Raises:
        Forbidden: the principal may not manage the trial registry.
        InputError: the file cannot be read, or any trial has problems (all listed, each
            with its number, code and field); nothing was imported.
    """
    return import_trial_tables(store, principal, _read_toml(text, name), name=name)


def import_trial_tables(
    store: Store, principal: Principal, trials: list, *, name: str = "trials.toml"
) -> TrialImport:
    """:func:`import_trials` of trials already read from TOML (a list of tables)."""
    require(principal, Permission.MANAGE_NETWORK)
    with store.session(actor=principal.username) as session:
        query = select(Facility.code, Facility.id).where(Facility.status != OBSOLETE)
        facilities = {code: fid for code, fid in session.execute(query)}
        rows, problems = _validate(trials, set(facilities), name)
        if problems:
            bad = len({p.row for p in problems})
            raise InputError(
                f"{name}: {bad} of {len(trials)} trials have problems; nothing was imported",
                hint="correct the trials listed and import the file again",
                problems=problems,
            )
        result = TrialImport(read=len(rows))
        for row in rows:
            _write_trial(session, row, facilities, result)
    return result


def _read_toml(text: str | bytes, name: str) -> list:
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as err:
            raise InputError(f"{name}: not UTF-8 text", hint="save the file as UTF-8") from err
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise InputError(f"{name}: not a TOML file ({err})") from err
    trials = data.get("trial")
    if not isinstance(trials, list) or not trials:
        raise InputError(f"{name}: no [[trial]] tables", hint="see docs/network-trials.md")
    return trials


def _validate(trials: list, facilities: set[str], name: str) -> tuple[list[_Row], list[Problem]]:
    rows: list[_Row] = []
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for index, trial in enumerate(trials, start=1):
        found: list[tuple[str, str]] = []
        row = _trial_row(index, trial, facilities, found)
        code = row.code if row else ""
        if code and code in seen:
            found.append(("code", f"code also used by trial {seen[code]}"))
        seen.setdefault(code, index)
        label = f"trial {index}" + (f" ({code})" if code else "")
        problems += [Problem(f"{label}: {m}", file=name, row=index, field=f) for f, m in found]
        if row and not found:
            rows.append(row)
    return rows, problems


def _trial_row(index: int, trial, facilities: set[str], found: list) -> _Row | None:
    if not isinstance(trial, dict):
        found.append(("trial", "expected a [[trial]] table"))
        return None
    for key in trial:
        if key not in TRIAL_KEYS:
            found.append((key, "unknown field; known fields: " + ", ".join(TRIAL_KEYS)))
    code = trial.get("code")
    if not isinstance(code, str) or not CODE_RE.match(code):
        found.append(("code", "a code of 1-32 letters, digits, '.', '_' or '-' is needed"))
        code = ""
    values = {k: _text(trial, k, n, found) for k, n in TEXTS.items()}
    if not values["title_vi"]:
        found.append(("title_vi", "the Vietnamese title is required"))
    values["phase"] = _phase(trial.get("phase"), found)
    values["state"] = _state(trial.get("state", "planned"), found)
    values["target_accrual"] = _count(trial.get("target_accrual"), "target_accrual", found)
    values["opened_on"] = _date(trial.get("opened_on"), "opened_on", found)
    values["closes_on"] = _date(trial.get("closes_on"), "closes_on", found)
    if values["opened_on"] and values["closes_on"] and values["closes_on"] < values["opened_on"]:
        found.append(("closes_on", "the trial closes before it opens"))
    parsed, problems = eligibility_problems(trial.get("eligibility", {}))
    found += [(p.field or "eligibility", p.message) for p in problems]
    values["eligibility"] = parsed.to_mapping() if parsed else {}
    sites = _sites(trial.get("sites", []), facilities, found)
    return _Row(index, code, values, sites)


def _text(trial: dict, key: str, longest: int, found: list) -> str | None:
    value = trial.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or len(value.strip()) > longest:
        found.append((key, f"expected text of at most {longest} characters"))
        return None
    return value.strip() or None


def _phase(value, found: list) -> str | None:
    if value is None:
        return None
    text = str(value).strip().upper().removeprefix("PHASE").strip().replace(" ", "")
    text = text.translate(ARABIC) if text[:1].isdigit() and text != "0" else text
    if isinstance(value, bool) or text not in PHASES:
        found.append(("phase", f"{value!r} is not a phase; use {', '.join(PHASES)}"))
        return None
    return text


def _state(value, found: list) -> TrialState:
    try:
        return TrialState(str(value).strip().lower())
    except ValueError:
        found.append(("state", f"{value!r} is not a state; use {choices(TrialState)}"))
        return TrialState.PLANNED


def _count(value, key: str, found: list) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_ACCRUAL:
        found.append((key, f"expected a whole number of patients (1-{MAX_ACCRUAL})"))
        return None
    return value


def _date(value, key: str, found: list) -> date | None:
    if value is None or isinstance(value, date) and not hasattr(value, "hour"):
        return value
    try:
        return date.fromisoformat(value) if isinstance(value, str) else _bad_date(value)
    except ValueError:
        found.append((key, f"expected a date such as 2025-03-01, got {str(value)[:40]!r}"))
        return None


def _bad_date(value) -> date:
    raise ValueError(value)


def _sites(value, facilities: set[str], found: list) -> list[tuple[str, int | None, bool]]:
    if not isinstance(value, list):
        found.append(("sites", 'expected a list such as [{facility = "VN-K", target = 40}]'))
        return []
    out: list[tuple[str, int | None, bool]] = []
    for i, site in enumerate(value):
        where = f"sites[{i}]"
        if not isinstance(site, dict) or set(site) - {"facility", "target", "open"}:
            found.append((where, "expected a table with facility, target and open"))
            continue
        code = site.get("facility")
        if not isinstance(code, str) or code not in facilities:
            found.append((f"{where}.facility", f"no facility has the code {str(code)[:40]!r}"))
        elif any(code == s[0] for s in out):
            found.append((f"{where}.facility", f"{code} is listed twice"))
        is_open = site.get("open", True)
        if not isinstance(is_open, bool):
            found.append((f"{where}.open", "expected true or false"))
        out.append((str(code), _count(site.get("target"), f"{where}.target", found), is_open))
    return out


def _write_trial(session, row: _Row, facilities: dict[str, int], result: TrialImport) -> None:
    trial = session.scalar(select(Trial).where(Trial.code == row.code))
    if trial is None:
        trial = Trial(code=row.code, status=RecordStatus.CONFIRMED)
        session.add(trial)
        result.inserted += 1
    elif all(getattr(trial, k) == v for k, v in row.values.items()) and _same_sites(
        session, trial, row, facilities
    ):
        result.unchanged += 1
        return
    else:
        result.updated += 1
    for key, value in row.values.items():
        setattr(trial, key, value)
    session.flush()
    _write_sites(session, trial, row, facilities)


def _site_rows(session, trial_id: int) -> dict[int, TrialSite]:
    return {
        s.facility_id: s
        for s in session.scalars(select(TrialSite).where(TrialSite.trial_id == trial_id))
    }


def _same_sites(session, trial: Trial, row: _Row, facilities: dict[str, int]) -> bool:
    have = {
        fid: (s.target_accrual, s.open)
        for fid, s in _site_rows(session, trial.id).items()
        if s.open
    }
    want = {facilities[c]: (t, o) for c, t, o in row.sites if o}
    return have == want


def _write_sites(session, trial: Trial, row: _Row, facilities: dict[str, int]) -> None:
    existing = _site_rows(session, trial.id)
    listed = set()
    for code, target, is_open in row.sites:
        fid = facilities[code]
        listed.add(fid)
        site = existing.get(fid) or TrialSite(trial_id=trial.id, facility_id=fid)
        if fid not in existing:
            session.add(site)
        site.target_accrual, site.open, site.status = target, is_open, RecordStatus.CONFIRMED
    for fid, site in existing.items():
        if fid not in listed and site.open:
            site.open = False  # a site left out of the file closes; its accrual stays
