"""Facilities of the network: import from CSV, list.

CSV columns: ``code, name_vi, name_en, province_code, level, type, parent_code``.
A file with any bad row imports nothing, and every bad row is reported (row, field,
reason); with ``skip_bad_rows`` the good rows are imported and the bad ones written to
``<file>.rejects.csv`` beside the input. Re-importing a file updates changed facilities
(audited) and leaves unchanged ones alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from oncoreg.codes.provinces import to_2025
from oncoreg.errors import InputError, Problem
from oncoreg.model import FacilityLevel, FacilityType, RecordStatus, choices
from oncoreg.services.csvfiles import read_csv, write_csv
from oncoreg.store import Facility, Store

COLUMNS = ("code", "name_vi", "name_en", "province_code", "level", "type", "parent_code")
FIELDS = ("name_vi", "name_en", "province_code", "level", "type")
CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")
LEVEL_WORDS = {
    "trung ương": "central",
    "trung uong": "central",
    "tỉnh": "provincial",
    "tinh": "provincial",
    "huyện": "district",
    "huyen": "district",
    "xã": "commune",
    "xa": "commune",
}
TYPE_WORDS = {
    "death registration": "death-registration",
    "death_registration": "death-registration",
    "bệnh viện": "hospital",
    "benh vien": "hospital",
    "xét nghiệm": "lab",
    "laboratory": "lab",
    "ghi nhận ung thư": "registry",
}


@dataclass
class FacilityImport:
    """What an import did."""

    path: Path
    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    rejects_path: Path | None = None
    problems: list[Problem] = field(default_factory=list)


@dataclass(frozen=True)
class FacilityRow:
    row: int
    code: str
    name_vi: str
    name_en: str | None
    province_code: str
    level: FacilityLevel
    type: FacilityType
    parent_code: str | None


def import_facilities(
    store: Store, path: Path, *, skip_bad_rows: bool = False, actor: str = "system"
) -> FacilityImport:
    """Import a facility CSV into the store, all or nothing unless ``skip_bad_rows``.

    Raises:
        InputError: the file has bad rows (all listed) and ``skip_bad_rows`` is False.
    """
    header, raw = read_csv(path, COLUMNS)
    result = FacilityImport(path=path, read=len(raw))
    with store.session(actor=actor) as session:
        known = {f.code: f for f in session.scalars(select(Facility))}
        good, bad = _validate(path, raw, set(known))
        result.problems = [p for _, problems in bad for p in problems]
        if bad and not skip_bad_rows:
            raise InputError(
                f"{path}: {len(bad)} of {len(raw)} rows are invalid; nothing was imported",
                hint="correct the rows listed, or import with --skip-bad-rows",
                problems=result.problems,
            )
        _write(session, good, known, result)
    if bad:
        result.rejected = len(bad)
        result.rejects_path = _write_rejects(path, header, raw, bad)
    return result


def _validate(path: Path, raw: list[dict[str, str]], known: set[str]):
    good: list[FacilityRow] = []
    bad: list[tuple[int, list[Problem]]] = []
    seen: dict[str, int] = {}
    in_file = {r["code"] for r in raw if r["code"]}
    for index, values in enumerate(raw):
        row = index + 2  # the header is row 1, as a spreadsheet shows it
        problems = _row_problems(values, seen, in_file | known)
        for p in problems:
            p.file, p.row = str(path), row
        if problems:
            bad.append((index, problems))
            continue
        seen[values["code"]] = row
        good.append(_facility_row(row, values))
    _drop_orphans(good, bad, known, path)
    return good, bad


def _row_problems(values: dict[str, str], seen: dict[str, int], codes: set[str]) -> list[Problem]:
    problems = []
    code = values["code"]
    if not CODE_RE.match(code):
        problems.append(
            Problem("a code of 1-32 letters, digits, '.', '_' or '-' is required", field="code")
        )
    elif code in seen:
        problems.append(Problem(f"code also used in row {seen[code]}", field="code"))
    if not values["name_vi"]:
        problems.append(Problem("the Vietnamese name is required", field="name_vi"))
    if _province(values["province_code"]) is None:
        problems.append(
            Problem("not a province code of Vietnam (before or after 2025)", field="province_code")
        )
    if _enum(FacilityLevel, LEVEL_WORDS, values["level"]) is None:
        problems.append(Problem(f"level must be {choices(FacilityLevel)}", field="level"))
    if _enum(FacilityType, TYPE_WORDS, values["type"]) is None:
        problems.append(Problem(f"type must be {choices(FacilityType)}", field="type"))
    parent = values["parent_code"]
    if parent and (parent == code or parent not in codes):
        why = (
            "a facility cannot be its own parent" if parent == code else "no facility has this code"
        )
        problems.append(Problem(why, field="parent_code"))
    return problems


def _drop_orphans(good: list[FacilityRow], bad, known: set[str], path: Path) -> None:
    """Rows whose parent was rejected are rejected too (repeat until stable)."""
    while True:
        ok = {r.code for r in good} | known
        orphans = [r for r in good if r.parent_code and r.parent_code not in ok]
        if not orphans:
            return
        for r in orphans:
            good.remove(r)
            problem = Problem(
                "its parent facility was rejected", file=str(path), row=r.row, field="parent_code"
            )
            bad.append((r.row - 2, [problem]))


def _province(value: str) -> str | None:
    try:
        return to_2025(value)
    except InputError:
        return None


def _enum(enum, words: dict[str, str], value: str):
    key = value.strip().lower()
    try:
        return enum(words.get(key, key))
    except ValueError:
        return None


def _facility_row(row: int, v: dict[str, str]) -> FacilityRow:
    return FacilityRow(
        row=row,
        code=v["code"],
        name_vi=v["name_vi"],
        name_en=v["name_en"] or None,
        province_code=_province(v["province_code"]) or "",
        level=_enum(FacilityLevel, LEVEL_WORDS, v["level"]),
        type=_enum(FacilityType, TYPE_WORDS, v["type"]),
        parent_code=v["parent_code"] or None,
    )


def _write(session, rows: list[FacilityRow], known: dict[str, Facility], result) -> None:
    for r in rows:
        facility = known.get(r.code)
        if facility is None:
            facility = Facility(code=r.code, status=RecordStatus.CONFIRMED)
            session.add(facility)
            known[r.code] = facility
            result.inserted += 1
        elif _same(facility, r, known):
            result.unchanged += 1
            continue
        else:
            result.updated += 1
        for name in FIELDS:
            setattr(facility, name, getattr(r, name))
    session.flush()
    for r in rows:
        parent = known[r.parent_code] if r.parent_code else None
        known[r.code].parent_id = parent.id if parent else None


def _same(facility: Facility, r: FacilityRow, known: dict[str, Facility]) -> bool:
    parent = known.get(r.parent_code) if r.parent_code else None
    same_parent = facility.parent_id == (parent.id if parent else None)
    return same_parent and all(getattr(facility, n) == getattr(r, n) for n in FIELDS)


def _write_rejects(path: Path, header: list[str], raw, bad) -> Path:
    out = path.with_name(path.stem + ".rejects.csv")
    rows = []
    for index, problems in sorted(bad, key=lambda b: b[0]):
        reasons = "; ".join(f"{p.field}: {p.message}" for p in problems)
        rows.append({"row": index + 2, **raw[index], "problems": reasons})
    write_csv(out, ["row", *header, "problems"], rows)
    return out


@dataclass(frozen=True)
class FacilityListing:
    """A facility as the list shows it (the parent by code, not by row id)."""

    code: str
    name_vi: str
    name_en: str | None
    province_code: str
    level: str
    type: str
    parent_code: str | None
    status: str


def list_facilities(store: Store, *, include_obsolete: bool = False) -> list[FacilityListing]:
    """Facilities ordered by code (obsolete ones only when asked)."""
    with store.session() as session:
        facilities = list(session.scalars(select(Facility).order_by(Facility.code)))
    codes = {f.id: f.code for f in facilities}
    return [
        FacilityListing(
            f.code,
            f.name_vi,
            f.name_en,
            f.province_code,
            f.level.value,
            f.type.value,
            codes.get(f.parent_id),
            f.status.value,
        )
        for f in facilities
        if include_obsolete or f.status != RecordStatus.OBSOLETE
    ]
