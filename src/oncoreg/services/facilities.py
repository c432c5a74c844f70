"""Facilities of the network: import from CSV, export, list, show.

CSV columns: ``code, name_vi, name_en, province_code, level, type, parent_code`` and,
optionally, the capacity columns ``beds, specialties, equipment, latitude, longitude``
(see docs/network-facilities.md). A capacity column that the file does not have leaves
the facilities' recorded values alone; in a column the file has, an empty cell means
"not recorded" and ``none`` (specialties, equipment) means "recorded: none".

A file with any bad row imports nothing, and every bad row is reported (row, field,
reason); with ``skip_bad_rows`` the good rows are imported and the bad ones written to
``<file>.rejects.csv`` beside the input. Re-importing a file updates changed facilities
(audited) and leaves unchanged ones alone. A parent must exist (in the file or the
registry) and stand above its child (a lab or registry may belong to a facility of its
own level, e.g. a hospital's pathology department); parent chains may not loop.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from oncoreg.codes.provinces import to_2025
from oncoreg.errors import InputError, NotFound, Problem
from oncoreg.model import FacilityLevel, FacilityType, RecordStatus, choices
from oncoreg.network.capacity import (
    read_equipment,
    read_specialties,
    services_offered,
    write_equipment,
    write_specialties,
)
from oncoreg.services.access import Permission, Principal, require
from oncoreg.services.csvfiles import clean, read_csv, write_csv
from oncoreg.store import Facility, Store

COLUMNS = ("code", "name_vi", "name_en", "province_code", "level", "type", "parent_code")
CAPACITY_COLUMNS = ("beds", "specialties", "equipment", "latitude", "longitude")
EXPORT_COLUMNS = COLUMNS + CAPACITY_COLUMNS
FIELDS = ("name_vi", "name_en", "province_code", "level", "type")
CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")
LEVEL_RANK = {level: rank for rank, level in enumerate(FacilityLevel)}  # central first
HOSTED_TYPES = {FacilityType.LAB, FacilityType.REGISTRY}  # may belong to their own level
MAX_BEDS = 20000
LATITUDE = (8.0, 23.5)  # Vietnam's bounding box, WGS84 degrees
LONGITUDE = (102.0, 110.0)
MAX_UPLOAD = 5 * 1024 * 1024
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
    capacity: dict[str, object] = field(default_factory=dict)  # only the file's columns


# -- import ---------------------------------------------------------------------------


def import_facilities(
    store: Store, path: Path, *, skip_bad_rows: bool = False, actor: str = "system"
) -> FacilityImport:
    """Import a facility CSV into the store, all or nothing unless ``skip_bad_rows``.

    Raises:
        InputError: the file has bad rows (all listed) and ``skip_bad_rows`` is False.
    """
    header, raw = read_csv(path, COLUMNS)
    return _import(store, path, header, raw, skip_bad_rows=skip_bad_rows, actor=actor)


def import_upload(
    store: Store, principal: Principal, filename: str, content: bytes
) -> FacilityImport:
    """Import an uploaded facility CSV, all or nothing (the web and API upload).

    Raises:
        Forbidden: the role may not change facilities.
        InputError: the file is not a facility CSV or has bad rows (all listed).
    """
    require(principal, Permission.MANAGE_FACILITIES)
    name = Path(filename or "upload.csv").name[:100] or "upload.csv"
    header, raw = _read_upload(name, content)
    return _import(store, Path(name), header, raw, skip_bad_rows=False, actor=principal.username)


def _read_upload(name: str, content: bytes) -> tuple[list[str], list[dict[str, str]]]:
    if len(content) > MAX_UPLOAD:
        raise InputError(f"{name}: the file is larger than 5 MB", hint="split it")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = content[: err.start].count(b"\n") + 1
        hint = "save the file as CSV UTF-8"
        raise InputError(f"{name}: line {line} is not UTF-8 text", hint=hint) from None
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""), strict=False)
        header = [h.strip() for h in (reader.fieldnames or [])]
        reader.fieldnames = header
        rows = [{k: clean(v) for k, v in r.items() if k is not None} for r in reader]
    except csv.Error as err:
        raise InputError(f"{name}: not a readable CSV file ({err})") from None
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise InputError(
            f"{name}: missing column(s) {', '.join(missing)}",
            hint=f"the header must name {', '.join(COLUMNS)}",
        )
    return header, rows


def _import(store, path: Path, header, raw, *, skip_bad_rows: bool, actor: str) -> FacilityImport:
    _check_header(path, header)
    result = FacilityImport(path=path, read=len(raw))
    with store.session(actor=actor) as session:
        known = {f.code: f for f in session.scalars(select(Facility))}
        good, bad = _validate(path, raw, known)
        result.problems = [p for _, problems in sorted(bad, key=_first) for p in problems]
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


def _first(item) -> int:
    return item[0]


def _check_header(path: Path, header: list[str]) -> None:
    if ("latitude" in header) != ("longitude" in header):
        raise InputError(
            f"{path}: the columns latitude and longitude go together",
            hint="add the missing one (its cells may be empty)",
        )


def _validate(path: Path, raw: list[dict[str, str]], known: dict[str, Facility]):
    good: list[FacilityRow] = []
    bad: list[tuple[int, list[Problem]]] = []
    seen: dict[str, int] = {}
    in_file = {r["code"] for r in raw if r["code"]}
    for index, values in enumerate(raw):
        row = index + 2  # the header is row 1, as a spreadsheet shows it
        capacity, problems = _read_capacity(values)
        problems = _row_problems(values, seen, in_file | set(known)) + problems
        for p in problems:
            p.file, p.row = str(path), row
        if problems:
            bad.append((index, problems))
            continue
        seen[values["code"]] = row
        good.append(_facility_row(row, values, capacity))
    while _reject_misplaced(good, bad, known, path) or _drop_orphans(good, bad, known, path):
        pass
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


def _read_capacity(values: dict[str, str]) -> tuple[dict[str, object], list[Problem]]:
    """The capacity cells of the columns the file has, and what is wrong with them."""
    readers = {
        "beds": _beds,
        "specialties": read_specialties,
        "equipment": read_equipment,
        "latitude": lambda cell: _degrees(cell, "latitude", LATITUDE),
        "longitude": lambda cell: _degrees(cell, "longitude", LONGITUDE),
    }
    capacity: dict[str, object] = {}
    problems: list[Problem] = []
    for name, reader in readers.items():
        if name not in values:
            continue
        try:
            capacity[name] = reader(values[name])
        except InputError as err:
            problems.append(Problem(str(err), field=name))
    if "latitude" in capacity and "longitude" in capacity:
        if (capacity["latitude"] is None) != (capacity["longitude"] is None):
            empty = "latitude" if capacity["latitude"] is None else "longitude"
            problems.append(Problem("give both latitude and longitude, or neither", field=empty))
    return capacity, problems


def _beds(cell: str) -> int | None:
    if not cell:
        return None
    if not (cell.isascii() and cell.isdigit()) or int(cell) > MAX_BEDS:
        raise InputError(f"beds must be a whole number from 0 to {MAX_BEDS}")
    return int(cell)


def _degrees(cell: str, name: str, bounds: tuple[float, float]) -> float | None:
    if not cell:
        return None
    try:
        value = float(cell)
    except ValueError:
        value = None
    if value is None or not bounds[0] <= value <= bounds[1]:
        raise InputError(
            f"{name} must be WGS84 decimal degrees inside Vietnam ({bounds[0]} to {bounds[1]})",
            hint="a point as 21.0285, with a decimal point",
        )
    return value


def _reject_misplaced(good: list[FacilityRow], bad, known: dict[str, Facility], path) -> bool:
    """Reject rows whose place in the hierarchy is wrong: a parent not above its child,
    or a parent chain that loops. True when any row was rejected."""
    rows = {r.code: r for r in good}
    codes = {f.id: f.code for f in known.values()}
    level = {c: f.level for c, f in known.items()} | {c: r.level for c, r in rows.items()}
    kind = {c: f.type for c, f in known.items()} | {c: r.type for c, r in rows.items()}
    parent = {c: codes.get(f.parent_id) for c, f in known.items()}
    parent |= {c: r.parent_code for c, r in rows.items()}
    found: dict[str, list[Problem]] = {}
    for child, above in parent.items():
        if above in level and (child in rows or above in rows):
            if not _fits(level[child], kind[child], level[above]):
                who, problem = _misplaced(child, above, rows, level)
                found.setdefault(who, []).append(problem)
    for code in rows:
        loop = _loop(code, parent)
        if loop:
            text = "the parent chain loops back to this facility: " + " → ".join(loop)
            found.setdefault(code, []).append(Problem(text, field="parent_code"))
    for code, problems in found.items():
        for p in problems:
            p.file, p.row = str(path), rows[code].row
        good.remove(rows[code])
        bad.append((rows[code].row - 2, problems))
    return bool(found)


def _fits(child: FacilityLevel, kind: FacilityType, parent: FacilityLevel) -> bool:
    if kind in HOSTED_TYPES:
        return LEVEL_RANK[parent] <= LEVEL_RANK[child]
    return LEVEL_RANK[parent] < LEVEL_RANK[child]


def _misplaced(child: str, above: str, rows, level) -> tuple[str, Problem]:
    rule = "a parent must be at a higher level than its child"
    if child in rows:
        text = f"its parent {above} is {level[above].value}, not above {level[child].value}"
        return child, Problem(f"{text} ({rule})", field="parent_code")
    text = f"facility {child} ({level[child].value}) has this one as parent"
    return above, Problem(f"{text} ({rule})", field="level")


def _loop(code: str, parent: dict[str, str | None]) -> list[str] | None:
    chain = [code]
    current = parent.get(code)
    while current and len(chain) <= len(parent):
        chain.append(current)
        if current == code:
            return chain
        if current in chain[:-1]:
            return None  # a loop above this facility, reported on its own rows
        current = parent.get(current)
    return None


def _drop_orphans(good: list[FacilityRow], bad, known, path: Path) -> bool:
    """Rows whose parent was rejected are rejected too. True when any row was."""
    ok = {r.code for r in good} | set(known)
    orphans = [r for r in good if r.parent_code and r.parent_code not in ok]
    for r in orphans:
        good.remove(r)
        problem = Problem(
            "its parent facility was rejected", file=str(path), row=r.row, field="parent_code"
        )
        bad.append((r.row - 2, [problem]))
    return bool(orphans)


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


def _facility_row(row: int, v: dict[str, str], capacity: dict[str, object]) -> FacilityRow:
    return FacilityRow(
        row=row,
        code=v["code"],
        name_vi=v["name_vi"],
        name_en=v["name_en"] or None,
        province_code=_province(v["province_code"]) or "",
        level=_enum(FacilityLevel, LEVEL_WORDS, v["level"]),
        type=_enum(FacilityType, TYPE_WORDS, v["type"]),
        parent_code=v["parent_code"] or None,
        capacity=capacity,
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
        for name, value in r.capacity.items():
            setattr(facility, name, value)
    session.flush()
    for r in rows:
        parent = known[r.parent_code] if r.parent_code else None
        known[r.code].parent_id = parent.id if parent else None


def _same(facility: Facility, r: FacilityRow, known: dict[str, Facility]) -> bool:
    parent = known.get(r.parent_code) if r.parent_code else None
    same_parent = facility.parent_id == (parent.id if parent else None)
    same_fields = all(getattr(facility, n) == getattr(r, n) for n in FIELDS)
    return (
        same_parent
        and same_fields
        and all(getattr(facility, n) == v for n, v in r.capacity.items())
    )


def _write_rejects(path: Path, header: list[str], raw, bad) -> Path:
    out = path.with_name(path.stem + ".rejects.csv")
    rows = []
    for index, problems in sorted(bad, key=_first):
        reasons = "; ".join(f"{p.field}: {p.message}" for p in problems)
        rows.append({"row": index + 2, **raw[index], "problems": reasons})
    write_csv(out, ["row", *header, "problems"], rows)
    return out


# -- listing, detail, export ------------------------------------------------------------


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
    beds: int | None = None
    specialties: list[str] | None = None
    equipment: dict[str, int] | None = None
    latitude: float | None = None
    longitude: float | None = None


def list_facilities(store: Store, *, include_obsolete: bool = False) -> list[FacilityListing]:
    """Facilities ordered by code (obsolete ones only when asked)."""
    with store.session() as session:
        facilities = list(session.scalars(select(Facility).order_by(Facility.code)))
    codes = {f.id: f.code for f in facilities}
    return [
        _listing(f, codes)
        for f in facilities
        if include_obsolete or f.status != RecordStatus.OBSOLETE
    ]


def _listing(f: Facility, codes: dict[int, str]) -> FacilityListing:
    return FacilityListing(
        code=f.code,
        name_vi=f.name_vi,
        name_en=f.name_en,
        province_code=f.province_code,
        level=f.level.value,
        type=f.type.value,
        parent_code=codes.get(f.parent_id),
        status=f.status.value,
        beds=f.beds,
        specialties=f.specialties,
        equipment=f.equipment,
        latitude=f.latitude,
        longitude=f.longitude,
    )


def facility_listing(
    store: Store,
    principal: Principal,
    *,
    level: str | None = None,
    province_code: str | None = None,
) -> list[FacilityListing]:
    """The facilities a user may read, filtered by level and province (either era's code).

    Raises:
        Forbidden: the role may not read facilities.
        InputError: an unknown level or province code.
    """
    require(principal, Permission.FACILITIES)
    if level and _enum(FacilityLevel, LEVEL_WORDS, level) is None:
        raise InputError(f"level must be {choices(FacilityLevel)}")
    wanted_level = _enum(FacilityLevel, LEVEL_WORDS, level).value if level else None
    wanted_province = to_2025(province_code) if province_code else None
    return [
        f
        for f in list_facilities(store)
        if (wanted_level is None or f.level == wanted_level)
        and (wanted_province is None or f.province_code == wanted_province)
    ]


def facility_tree(rows: list[FacilityListing]) -> list[tuple[FacilityListing, int]]:
    """Rows in tree order (each parent before its children, siblings by level then code)
    with their depth; a row whose parent is not among ``rows`` is a root."""
    present = {r.code for r in rows}
    children: dict[str | None, list[FacilityListing]] = {}
    for r in rows:
        key = r.parent_code if r.parent_code in present else None
        children.setdefault(key, []).append(r)
    out: list[tuple[FacilityListing, int]] = []
    stack = [(r, 0) for r in reversed(_siblings(children.get(None, [])))]
    while stack:
        row, depth = stack.pop()
        out.append((row, depth))
        stack += [(c, depth + 1) for c in reversed(_siblings(children.get(row.code, [])))]
    return out


def _siblings(rows: list[FacilityListing]) -> list[FacilityListing]:
    return sorted(rows, key=lambda r: (LEVEL_RANK[FacilityLevel(r.level)], r.code))


@dataclass(frozen=True)
class FacilityDetail:
    """One facility: its capacity, the services it allows, its parent and children."""

    facility: FacilityListing
    parent: FacilityListing | None
    children: list[FacilityListing]
    services: list[str]


def facility_detail(store: Store, principal: Principal, code: str) -> FacilityDetail:
    """A facility by code, with its parent, its children and the services it offers.

    Raises:
        Forbidden: the role may not read facilities.
        NotFound: no facility has this code.
    """
    require(principal, Permission.FACILITIES)
    rows = {f.code: f for f in list_facilities(store, include_obsolete=True)}
    found = rows.get(code)
    if found is None:
        raise NotFound(f"no facility has the code {code!r}", hint="see the facility list")
    children = [
        r for r in rows.values() if r.parent_code == code and r.status != RecordStatus.OBSOLETE
    ]
    return FacilityDetail(
        facility=found,
        parent=rows.get(found.parent_code) if found.parent_code else None,
        children=_siblings(children),
        services=services_offered(found.specialties, found.equipment),
    )


def export_facilities(store: Store, principal: Principal) -> str:
    """The facilities (not obsolete) as a CSV of the import contract, parents first.

    Importing the text into the same registry changes nothing.

    Raises:
        Forbidden: the role may not read facilities.
    """
    require(principal, Permission.FACILITIES)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(EXPORT_COLUMNS), lineterminator="\n")
    writer.writeheader()
    for row, _ in facility_tree(list_facilities(store)):
        writer.writerow(_export_row(row))
    return out.getvalue()


def _export_row(f: FacilityListing) -> dict[str, object]:
    return {
        **{c: getattr(f, c) or "" for c in COLUMNS},
        "beds": "" if f.beds is None else f.beds,
        "specialties": write_specialties(f.specialties),
        "equipment": write_equipment(f.equipment),
        "latitude": "" if f.latitude is None else repr(f.latitude),
        "longitude": "" if f.longitude is None else repr(f.longitude),
    }
