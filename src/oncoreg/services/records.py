"""The registry's records as users see them: person search, a person's timeline, a
report's edit with live checks, follow-up. Every function takes the signed-in
:class:`~oncoreg.services.access.Principal`; what it may see is decided in
:mod:`oncoreg.services.access`, and every read of identifying data is audited.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from datetime import date

import polars as pl
from sqlalchemy import (
    Select,
    Text,
    and_,
    cast,
    func,
    insert,
    or_,
    select,
    text,
    true,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from oncoreg.checks.engine import run as run_checks
from oncoreg.errors import InputError, NotFound
from oncoreg.model import AuditAction, RecordStatus, VitalStatus
from oncoreg.services.access import (
    Permission,
    Principal,
    may_read_identifiers_of,
    may_read_person_identifiers,
    require,
    visible_persons,
    visible_sources,
)
from oncoreg.services.checking import COLUMNS
from oncoreg.store import AuditEvent, CheckFinding, Facility, FollowUp, Person, Source, Store
from oncoreg.store.identifiers import keyed_hash
from oncoreg.store.search import folded_name, name_keys, name_words, pair_key, source_words
from oncoreg.store.tables import Tumour, utcnow
from oncoreg.text import fold_vietnamese

PAGE = 50
COUNT_CAP = 1000  # a search counts its persons up to this (more: "more than 1000")
PAIR_KEYS = 4096  # a pair of query words walks its keys if they are no more than this
WALK_CHUNK, WALK_CHUNK_MAX = 2500, 20000  # reports walked at a time (doubling)
EDITABLE = (
    "sex",
    "birth_date",
    "topography",
    "morphology",
    "grade",
    "basis",
    "diagnosis_date",
    "laterality",
    "stage",
    "vital_status",
    "last_contact_date",
    "death_date",
)
DATES = {"birth_date", "diagnosis_date", "last_contact_date", "death_date"}


@dataclass
class PersonHit:
    id: int
    name: str | None
    sex: str | None
    birth: str | None
    tumours: int
    facilities: list[str]


@dataclass
class Page:
    data: list
    count: int
    offset: int
    limit: int


@dataclass
class Timeline:
    person: dict
    tumours: list[dict] = field(default_factory=list)
    follow_ups: list[dict] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)


def search_persons(
    store: Store,
    principal: Principal,
    *,
    name: str | None = None,
    national_id: str | None = None,
    birth_year: int | None = None,
    facility_code: str | None = None,
    offset: int = 0,
    limit: int = PAGE,
) -> Page:
    """Persons whose reports match; names with or without diacritics (``Nguyen`` finds
    ``Nguyễn``), each word of the query matching a word (or its start) of the name.
    Searching by name or ID needs the right to read identifiers. ``count`` stops at
    COUNT_CAP + 1 (shown as "more than 1000"): narrow the search instead of paging."""
    require(principal, Permission.READ_RECORDS)
    if name or national_id:  # searching by identifying data needs the right to read it
        require(principal, Permission.READ_IDENTIFIERS)
    limit = max(1, min(limit, 200))
    national_id = (national_id or "").strip() or None
    with store.session(actor=principal.username) as session:
        words = fold_vietnamese(name or "").split()
        criteria = (national_id, birth_year, facility_code)
        if words and session.get_bind().dialect.name == "postgresql":
            need = max(COUNT_CAP + 1, offset + limit)
            found = _walk_by_words(session, principal, words, *criteria, need=need)
            count, ids = min(len(found), COUNT_CAP + 1), found[offset : offset + limit]
        else:
            persons = _matching_persons(session, principal, words, *criteria)
            if offset + limit <= COUNT_CAP + 1:  # one scan: the page and the (capped) count
                found = session.scalars(persons.limit(COUNT_CAP + 1)).all()
                count, ids = len(found), list(found[offset : offset + limit])
            else:
                counted = persons.limit(COUNT_CAP + 1).subquery()
                count = session.scalar(select(func.count()).select_from(counted))
                ids = session.scalars(persons.offset(offset).limit(limit)).all()
        hits = _hits(session, principal, ids)
        _audit_read(session, principal, "person", ids, "search")
        return Page(hits, count, offset, limit)


def _matching_persons(session, principal, words, national_id, birth_year, facility_code) -> Select:
    """The ids, in order, of the (not obsolete) persons born in ``birth_year`` with a
    visible report matching the words, national ID and facility (PostgreSQL searches
    names with :func:`_walk_by_words`)."""
    born = _born_in(birth_year)
    if not (words or national_id or facility_code):  # criteria on the persons alone
        return (
            select(Person.id)
            .where(Person.status != RecordStatus.OBSOLETE, visible_persons(principal, Person.id))
            .where(born)
            .order_by(Person.id)
        )
    query = (
        select(Tumour.person_id)
        .select_from(Source)
        .join(Tumour, Tumour.id == Source.tumour_id)
        .join(Person, Person.id == Tumour.person_id)
        .where(visible_sources(principal), Person.status != RecordStatus.OBSOLETE, born)
    )
    whole = folded_name(session, Source.__table__)
    for word in words:  # each word, or the start of one
        query = query.where(whole.contains(" " + word, autoescape=True))
    return _on_reports(session, query, national_id, facility_code)


def _born_in(birth_year: int | None):
    """The registry's birth date of the person (indexed) in that year, if one is given."""
    if not birth_year:
        return true()
    return Person.birth_date.between(date(birth_year, 1, 1), date(birth_year, 12, 31))


def _walk_by_words(
    session, principal, words, national_id, birth_year, facility_code, *, need: int
) -> list[int]:
    """PostgreSQL: the first ``need`` persons, in order, with a visible report matching.

    Each query word expands to the known words it starts (``name_words``). The reports
    are walked in person order on the index of the two rarest keys (pairs of words when
    there are two words or more, ``name_keys`` of migration 0013), in chunks; each
    chunk's reports are checked for every word and criterion by their primary keys. A
    common name costs a few thousand index entries, not all its matches."""
    if any("\x00" in word for word in words):  # PostgreSQL's text holds none: no name has
        return []
    known = name_words.c.word
    words = list(dict.fromkeys(words))
    vocabulary = session.scalars(select(known).where(or_(*(_starting(known, w) for w in words))))
    vocabulary = vocabulary.all()
    expansions = [tuple(k for k in vocabulary if k.startswith(word)) for word in words]
    if not all(expansions):  # a word no name has: nothing can match
        return []
    drivers = _drivers(session, expansions)
    if not drivers:  # no report has a key the matches need
        return []
    found: list[int] = []
    after, chunk = -1, WALK_CHUNK
    while len(found) < need:
        walk = _walk(principal, drivers, after, chunk)
        checked = _checked(session, walk, expansions, national_id, birth_year, facility_code)
        rows = session.execute(checked).all()
        full = sum(row.reports for row in rows) == chunk
        if full and len(rows) == 1:  # one person's reports fill it: walk them in one chunk
            chunk *= 2
            continue
        if full:  # the last person's reports may go on in the next chunk
            rows = rows[:-1]
        found += [row.person_id for row in rows if row.matches]
        if not full:
            break
        after, chunk = rows[-1].person_id, min(2 * chunk, WALK_CHUNK_MAX)
    return found[:need]


def _walk(principal, drivers: list[list[str]], after: int, chunk: int):
    """The next ``chunk`` reports, in person order after ``after``, that have a key of
    each driver: each driver's index ranges merged in person order (Merge Append), two
    drivers joined as they stream (Merge Join), so that reports without the second key
    are passed over on the index alone."""
    name = name_keys.c

    def ordered(keys: list[str], cut: int | None):
        ranges = [
            select(name.person_id, name.source_id)
            .where(name.key == key, name.person_id > after)
            .where(visible_sources(principal, name.facility_id))
            .order_by(name.person_id)
            .limit(cut)  # with the OFFSET 0: a subquery kept in its order, for the merge
            .offset(0)
            .subquery()
            for key in keys
        ]
        return union_all(*(select(r.c.person_id, r.c.source_id) for r in ranges)).subquery()

    if len(drivers) == 1:
        first = ordered(drivers[0], chunk)
        walk = select(first.c.person_id, first.c.source_id)
    else:
        first, second = ordered(drivers[0], None), ordered(drivers[1], None)
        walk = select(first.c.person_id, first.c.source_id).join(
            second,
            and_(first.c.person_id == second.c.person_id, first.c.source_id == second.c.source_id),
        )
    return walk.order_by(first.c.person_id).limit(chunk).cte("walk")


def _checked(session, walk, expansions, national_id, birth_year, facility_code) -> Select:
    """Per person of the walk: its reports walked and whether one matches everything."""
    words = source_words.c
    match = and_(
        words.source_id.is_not(None),
        *(words.words.overlap(cast(list(e), ARRAY(Text))) for e in expansions),
    )
    query = select(walk.c.person_id).outerjoin(source_words, words.source_id == walk.c.source_id)
    obsolete = select(Person.id).where(Person.status == RecordStatus.OBSOLETE)
    match = and_(match, walk.c.person_id.not_in(obsolete))
    if birth_year:
        query = query.outerjoin(Person, Person.id == walk.c.person_id)
        match = and_(match, _born_in(birth_year))
    if national_id or facility_code:
        query = query.outerjoin(Source, Source.id == walk.c.source_id)
    if national_id:
        digest = keyed_hash(national_id, session.info["hash_key"], "national_id")
        match = and_(match, Source.national_id_hash == digest)
    if facility_code:
        query = query.outerjoin(Facility, Facility.id == Source.facility_id)
        match = and_(match, Facility.code == facility_code)
    return (
        query.add_columns(func.bool_or(match).label("matches"), func.count().label("reports"))
        .group_by(walk.c.person_id)
        .order_by(walk.c.person_id)
    )


def _drivers(session, expansions: list[tuple[str, ...]]) -> list[list[str]]:
    """The keys to walk, those a report has, as one or two drivers: of the pairs of query
    words (their expansions apart, at most PAIR_KEYS pairs), else of the single words,
    the two with the fewest reports as PostgreSQL's statistics of ``name_keys`` estimate
    them (its most common keys and their frequencies; any other key is rarer). Empty:
    nothing matches."""
    first = expansions[:6]
    candidates = [
        [pair_key(a, b) for a in one for b in other]
        for i, one in enumerate(first)
        for other in first[i + 1 :]
        if len(one) * len(other) <= PAIR_KEYS and not set(one) & set(other)
    ] or [list(e) for e in expansions]
    existing = set(
        session.scalars(
            text(
                "SELECT k FROM unnest(CAST(:keys AS text[])) AS k "
                "WHERE EXISTS (SELECT FROM name_keys WHERE key = k)"
            ),
            {"keys": sorted({key for keys in candidates for key in keys})},
        )
    )
    candidates = [[key for key in keys if key in existing] for keys in candidates]
    if not all(candidates):
        return []
    if len(candidates) == 1:
        return candidates
    common = session.execute(
        text(
            "SELECT most_common_vals::text::text[], most_common_freqs FROM pg_stats "
            "WHERE tablename = 'name_keys' AND attname = 'key'"
        )
    ).first()
    frequency = dict(zip(*common, strict=True)) if common and common[0] else {}
    rare = min(frequency.values(), default=1.0) / 2
    sizes = [sum(frequency.get(key, rare) for key in keys) for keys in candidates]
    ranked = sorted(zip(sizes, range(len(candidates)), candidates, strict=True))
    return [keys for _size, _place, keys in ranked[:2]]


def _starting(column, prefix: str):
    """``column`` starts with ``prefix``, as a range its (byte-ordered) index answers."""
    last = ord(prefix[-1])
    if last == sys.maxunicode:
        return column >= prefix
    return and_(column >= prefix, column < prefix[:-1] + chr(last + 1))


def _on_reports(session, query: Select, national_id, facility_code) -> Select:
    """``query`` (over reports, ``sources`` among them) narrowed to those with this
    national ID and facility, as distinct ordered ids."""
    if national_id:
        digest = keyed_hash(national_id, session.info["hash_key"], "national_id")
        query = query.where(Source.national_id_hash == digest)
    if facility_code:
        query = query.join(Facility, Facility.id == Source.facility_id).where(
            Facility.code == facility_code
        )
    return query.distinct().order_by(query.selected_columns[0])


def _hits(session: Session, principal: Principal, ids: list[int]) -> list[PersonHit]:
    """The page of persons found, in three queries whatever its length."""
    persons = {p.id: p for p in session.scalars(select(Person).where(Person.id.in_(ids)))}
    reports: dict[int, list] = {pid: [] for pid in ids}
    for row in session.execute(
        select(
            Tumour.person_id,
            Facility.code,
            Source.family_name,
            Source.middle_name,
            Source.given_name,
        )
        .join(Tumour, Tumour.id == Source.tumour_id)
        .join(Facility, Facility.id == Source.facility_id)
        .where(Tumour.person_id.in_(ids), visible_sources(principal))
        .order_by(Source.id)
    ):
        reports[row.person_id].append(row)
    tumours = dict(
        session.execute(
            select(Tumour.person_id, func.count())
            .where(Tumour.person_id.in_(ids), Tumour.status != RecordStatus.OBSOLETE)
            .group_by(Tumour.person_id)
        ).all()
    )
    return [
        PersonHit(
            id=pid,
            name=_hit_name(persons[pid], reports[pid], principal),
            sex=_value(persons[pid].sex),
            birth=_birth(persons[pid], principal),
            tumours=tumours.get(pid, 0),
            facilities=sorted({r.code for r in reports[pid]}),
        )
        for pid in ids
    ]


def _hit_name(person: Person, reports: list, principal: Principal) -> str | None:
    """The registry's name for roles that see it, else the name on the user's own report."""
    if may_read_person_identifiers(principal):
        return _name(person)
    if principal.can(Permission.READ_IDENTIFIERS) and reports:
        return _name(reports[0])
    return None


def _name(record) -> str | None:
    parts = [record.family_name, record.middle_name, record.given_name]
    text = " ".join(p for p in parts if p)
    return text or None


def _birth(record, principal: Principal) -> str | None:
    if record.birth_date is None:
        return None
    if principal.can(Permission.READ_IDENTIFIERS):
        precision = _value(record.birth_date_precision)
        iso = record.birth_date.isoformat()
        return {"year": iso[:4], "month": iso[:7]}.get(precision, iso)
    return str(record.birth_date.year)


def _value(value):
    return getattr(value, "value", value)


def person_timeline(store: Store, principal: Principal, person_id: int) -> Timeline:
    """One person: tumours with their reports (and check findings), follow-up, changes."""
    require(principal, Permission.READ_RECORDS)
    with store.session(actor=principal.username) as session:
        person = session.get(Person, person_id)
        sources = _visible_sources_of(session, principal, person_id)
        if person is None or not sources:
            raise NotFound(f"no person {person_id} that you may see")
        timeline = Timeline(person=_person_dict(person, principal))
        findings = _findings_of(session, [s.id for s, _ in sources])
        for tumour in sorted(person.tumours, key=lambda t: (t.sequence or 0, t.id)):
            own = [(s, code) for s, code in sources if s.tumour_id == tumour.id]
            if not own:
                continue
            entry = _tumour_dict(tumour)
            entry["sources"] = [
                _source_dict(s, code, principal, findings.get(s.id, [])) for s, code in own
            ]
            timeline.tumours.append(entry)
        timeline.follow_ups = [_follow_up_dict(f) for f in _follow_ups(session, person_id)]
        timeline.events = _events(session, person_id, [s.id for s, _ in sources])
        _audit_read(session, principal, "person", [person_id], "timeline")
        return timeline


def _visible_sources_of(session, principal, person_id):
    return session.execute(
        select(Source, Facility.code)
        .join(Facility, Facility.id == Source.facility_id)
        .join(Tumour, Tumour.id == Source.tumour_id)
        .where(Tumour.person_id == person_id, visible_sources(principal))
        .order_by(Source.diagnosis_date, Source.id)
    ).all()


def _person_dict(person: Person, principal: Principal) -> dict:
    shown = {
        "id": person.id,
        "sex": _value(person.sex),
        "birth": _birth(person, principal),
        "province_code": person.province_code,
        "status": _value(person.status),
    }
    if may_read_person_identifiers(principal):
        shown |= {
            "name": _name(person),
            "national_id": person.national_id,
            "insurance_number": person.insurance_number,
            "phone": person.phone,
            "address": person.address,
        }
    return shown


def _tumour_dict(tumour: Tumour) -> dict:
    return {
        "id": tumour.id,
        "sequence": tumour.sequence,
        "topography": tumour.topography,
        "morphology": tumour.morphology,
        "icd10": tumour.icd10,
        "basis": tumour.basis,
        "diagnosis_date": _iso(tumour.diagnosis_date),
        "stage": tumour.stage,
        "status": _value(tumour.status),
    }


def _source_dict(source: Source, code: str, principal: Principal, findings: list) -> dict:
    shown = {
        "id": source.id,
        "facility_code": code,
        "report_id": source.report_id,
        "tumour_id": source.tumour_id,
        "sex": _value(source.sex),
        "birth": _birth(source, principal),
        "age_at_diagnosis": source.age_at_diagnosis,
        **{name: _iso(getattr(source, name)) for name in EDITABLE if name not in {"sex"}},
        "status": _value(source.status),
        "findings": findings,
    }
    shown["birth_date"] = shown["birth"]
    if may_read_identifiers_of(principal, source.facility_id):
        shown |= {
            "name": _name(source),
            "national_id": source.national_id,
            "phone": source.phone,
            "address": source.address,
            "birth_date": _iso(source.birth_date),
        }
    return shown


def _iso(value):
    if isinstance(value, date):
        return value.isoformat()
    return _value(value)


def _findings_of(session, source_ids: list[int]) -> dict[int, list[dict]]:
    rows = session.scalars(select(CheckFinding).where(CheckFinding.source_id.in_(source_ids)))
    out: dict[int, list[dict]] = {}
    for f in rows:
        out.setdefault(f.source_id, []).append(
            {
                "rule_id": f.rule_id,
                "severity": f.severity,
                "field": f.field,
                "confirmed_by": f.confirmed_by,
                "confirmed_at": f.confirmed_at.isoformat() if f.confirmed_at else None,
            }
        )
    return out


def _follow_ups(session, person_id: int) -> list[FollowUp]:
    return list(
        session.scalars(
            select(FollowUp)
            .where(FollowUp.person_id == person_id, FollowUp.status != RecordStatus.OBSOLETE)
            .order_by(FollowUp.contact_date)
        )
    )


def _follow_up_dict(f: FollowUp) -> dict:
    return {
        "id": f.id,
        "contact_date": _iso(f.contact_date),
        "vital_status": _value(f.vital_status),
        "death_date": _iso(f.death_date),
        "cause_of_death": f.cause_of_death,
    }


def _events(session, person_id: int, source_ids: list[int]) -> list[dict]:
    """Changes to the person and their visible reports, newest first (no identifiers)."""
    query = (
        select(AuditEvent)
        .where(
            ((AuditEvent.entity == "persons") & (AuditEvent.entity_id == person_id))
            | ((AuditEvent.entity == "sources") & AuditEvent.entity_id.in_(source_ids))
        )
        .where(AuditEvent.action != AuditAction.READ)
        .order_by(AuditEvent.id.desc())
        .limit(50)
    )
    return [
        {
            "at": e.at.isoformat(),
            "actor": e.actor,
            "action": _value(e.action),
            "entity": e.entity,
            "entity_id": e.entity_id,
            "fields": sorted(set(e.changes or {}) | set(e.identifier_changes or {})),
        }
        for e in session.scalars(query)
    ]


def _audit_read(session, principal: Principal, entity: str, ids: list[int], how: str) -> None:
    """Record who read identifying data of which records (nothing when none was shown)."""
    if not principal.can(Permission.READ_IDENTIFIERS) or not ids:
        return
    rows = [
        {
            "at": utcnow(),
            "actor": principal.username,
            "action": AuditAction.READ,
            "entity": entity + "s",
            "entity_id": entity_id,
            "facility_id": principal.facility_id,
            "changes": {"read": how},
        }
        for entity_id in ids
    ]
    session.execute(insert(AuditEvent), rows)  # one statement for a page of hits


def source_view(store: Store, principal: Principal, source_id: int) -> dict:
    """One report as the principal may see it, with its check findings."""
    require(principal, Permission.READ_RECORDS)
    with store.session(actor=principal.username) as session:
        row = session.execute(
            select(Source, Facility.code)
            .join(Facility, Facility.id == Source.facility_id)
            .where(Source.id == source_id, visible_sources(principal))
        ).first()
        if row is None:
            raise NotFound(f"no report {source_id} that you may see")
        source, code = row
        shown = _source_dict(source, code, principal, _findings_of(session, [source.id]))
        if may_read_identifiers_of(principal, source.facility_id):
            _audit_read(session, principal, "source", [source.id], "report")
        return shown


def tumour_view(store: Store, principal: Principal, tumour_id: int) -> dict:
    """One tumour with its person's id and the reports of it the principal may see."""
    require(principal, Permission.READ_RECORDS)
    with store.session(actor=principal.username) as session:
        tumour = session.get(Tumour, tumour_id)
        rows = session.execute(
            select(Source, Facility.code)
            .join(Facility, Facility.id == Source.facility_id)
            .where(Source.tumour_id == tumour_id, visible_sources(principal))
            .order_by(Source.id)
        ).all()
        if tumour is None or not rows:
            raise NotFound(f"no tumour {tumour_id} that you may see")
        findings = _findings_of(session, [s.id for s, _ in rows])
        shown = _tumour_dict(tumour) | {"person_id": tumour.person_id}
        shown["sources"] = [
            _source_dict(s, code, principal, findings.get(s.id, [])) for s, code in rows
        ]
        _audit_read(session, principal, "tumour", [tumour_id], "tumour")
        return shown


def source_for_edit(session, principal: Principal, source_id: int) -> Source:
    source = session.scalar(
        select(Source).where(Source.id == source_id, visible_sources(principal))
    )
    if source is None:
        raise NotFound(f"no report {source_id} that you may see")
    return source


def parse_changes(changes: dict[str, object]) -> dict[str, object]:
    """Typed values of an edit; unknown or read-only fields are refused by name."""
    parsed: dict[str, object] = {}
    for name, raw in changes.items():
        if name not in EDITABLE:
            raise InputError(f"field {name!r} cannot be edited here", hint=", ".join(EDITABLE))
        text = None if raw is None else str(raw).strip() or None
        if text is not None and name in DATES:
            try:
                parsed[name] = date.fromisoformat(text)
            except ValueError:
                raise InputError(f"{name}: {text!r} is not a date (YYYY-MM-DD)") from None
        elif name == "vital_status" and text is not None:
            parsed[name] = VitalStatus(text) if text in {"1", "2", "9"} else text
        else:
            parsed[name] = text.upper() if text and name == "topography" else text
    return parsed


def check_edit(store: Store, principal: Principal, source_id: int, changes: dict) -> list[dict]:
    """The findings the report would have with ``changes`` applied (nothing is saved)."""
    require(principal, Permission.WRITE_RECORDS)
    parsed = parse_changes(changes)
    with store.session(actor=principal.username) as session:
        source = source_for_edit(session, principal, source_id)
        frame = _check_frame(session, source, parsed)
        confirmed = session.scalars(
            select(CheckFinding.rule_id).where(
                CheckFinding.source_id == source_id, CheckFinding.confirmed_at.is_not(None)
            )
        ).all()
    keys = frame.select("facility_code", "report_id").row(0)
    done = pl.DataFrame(
        [(*keys, rule) for rule in confirmed],
        schema={"facility_code": pl.String, "report_id": pl.String, "rule_id": pl.String},
        orient="row",
    )
    return run_checks(frame, confirmed=done).drop("facility_code", "report_id").to_dicts()


def _check_frame(session, source: Source, changes: dict) -> pl.DataFrame:
    row = session.execute(
        select(*[c.label(n) for n, c in COLUMNS.items()])
        .join(Facility, Facility.id == Source.facility_id)
        .where(Source.id == source.id)
    ).one()
    values = {name: _value(value) for name, value in row._mapping.items()}
    values |= {k: _value(v) for k, v in changes.items() if k in values}
    frame = pl.DataFrame([values], infer_schema_length=None)
    for name in ("birth_date", "diagnosis_date", "last_contact_date", "death_date"):
        frame = frame.with_columns(pl.col(name).cast(pl.Date))
    morph = pl.col("morphology").cast(pl.String)
    return frame.with_columns(morphology=morph.str.slice(0, 4), behaviour=morph.str.slice(5, 1))


def update_source(
    store: Store,
    principal: Principal,
    source_id: int,
    changes: dict,
    *,
    confirm: list[str] | tuple[str, ...] = (),
    reason: str | None = None,
) -> list[dict]:
    """Save an edit of a report. Errors block; each warning must be confirmed (its rule id
    in ``confirm``, with a reason). Returns the findings that remain."""
    findings = check_edit(store, principal, source_id, changes)
    errors = [f for f in findings if f["severity"] == "error"]
    if errors:
        raise InputError(
            "the report would fail " + ", ".join(f"{f['rule_id']} ({f['field']})" for f in errors),
            hint="correct the fields named",
        )
    unconfirmed = [
        f for f in findings if f["severity"] == "warning" and f["rule_id"] not in confirm
    ]
    if unconfirmed:
        raise InputError(
            "warnings need confirming: " + ", ".join(f["rule_id"] for f in unconfirmed),
            hint="confirm each warning with a reason",
        )
    if confirm and not (reason and reason.strip()):
        raise InputError("a confirmation needs a reason")
    parsed = parse_changes(changes)
    with store.session(actor=principal.username) as session:
        source = source_for_edit(session, principal, source_id)
        for name, value in parsed.items():
            setattr(source, name, value)
        _record_findings(session, principal, source, findings, confirm)
    return findings


def _record_findings(session, principal, source, findings, confirm) -> None:
    current = {
        f.rule_id: f
        for f in session.scalars(select(CheckFinding).where(CheckFinding.source_id == source.id))
    }
    for f in findings:
        if f["severity"] == "error":
            continue
        finding = current.get(f["rule_id"]) or CheckFinding(
            source_id=source.id, rule_id=f["rule_id"], severity=f["severity"], field=f["field"]
        )
        if f["rule_id"] in confirm and finding.confirmed_at is None:
            finding.confirmed_by, finding.confirmed_at = principal.username, utcnow()
        session.add(finding)


def add_follow_up(
    store: Store,
    principal: Principal,
    person_id: int,
    *,
    contact_date: str,
    vital_status: str,
    death_date: str | None = None,
    cause_of_death: str | None = None,
) -> dict:
    """Record a contact with a person (alive, dead with the date, or unknown)."""
    require(principal, Permission.WRITE_RECORDS)
    parsed = parse_changes({"last_contact_date": contact_date, "death_date": death_date})
    if parsed.get("last_contact_date") is None:
        raise InputError("contact_date is required (YYYY-MM-DD)")
    if vital_status not in {"1", "2", "9"}:
        raise InputError("vital_status is 1 (alive), 2 (dead) or 9 (unknown)")
    if vital_status == "2" and parsed.get("death_date") is None:
        raise InputError("a death needs death_date")
    if parsed["last_contact_date"] > date.today():
        raise InputError("contact_date is after today")
    with store.session(actor=principal.username) as session:
        if not _visible_sources_of(session, principal, person_id):
            raise NotFound(f"no person {person_id} that you may see")
        follow_up = FollowUp(
            person_id=person_id,
            facility_id=principal.facility_id,
            contact_date=parsed["last_contact_date"],
            vital_status=VitalStatus(vital_status),
            death_date=parsed.get("death_date"),
            cause_of_death=(cause_of_death or None),
        )
        session.add(follow_up)
        session.flush()
        return _follow_up_dict(follow_up)


__all__ = [
    "Page",
    "PersonHit",
    "Timeline",
    "add_follow_up",
    "check_edit",
    "person_timeline",
    "search_persons",
    "update_source",
]


def stored_findings(
    store: Store,
    principal: Principal,
    *,
    severity: str | None = None,
    open_only: bool = True,
    offset: int = 0,
    limit: int = PAGE,
) -> Page:
    """Warnings and info findings on stored reports this principal may see."""
    require(principal, Permission.READ_RECORDS)
    query = (
        select(CheckFinding, Facility.code, Source.report_id)
        .join(Source, Source.id == CheckFinding.source_id)
        .join(Facility, Facility.id == Source.facility_id)
        .where(visible_sources(principal))
    )
    if severity:
        query = query.where(CheckFinding.severity == severity)
    if open_only:
        query = query.where(CheckFinding.confirmed_at.is_(None))
    limit = max(1, min(limit, 500))
    with store.session() as session:
        count = session.scalar(select(func.count()).select_from(query.subquery()))
        rows = session.execute(
            query.order_by(CheckFinding.id).offset(max(offset, 0)).limit(limit)
        ).all()
        data = [
            {
                "source_id": f.source_id,
                "facility_code": code,
                "report_id": report_id,
                "rule_id": f.rule_id,
                "severity": f.severity,
                "field": f.field,
                "confirmed_by": f.confirmed_by,
                "confirmed_at": f.confirmed_at.isoformat() if f.confirmed_at else None,
            }
            for f, code, report_id in rows
        ]
        return Page(data, count, offset, limit)


def confirm_finding(
    store: Store,
    principal: Principal,
    facility_code: str,
    report_id: str,
    rule_id: str,
    reason: str,
) -> None:
    """Confirm a warning on a report this principal may see, with the reason (audited)."""
    from oncoreg.services.checking import confirm

    require(principal, Permission.CONFIRM)
    if not reason or not reason.strip():
        raise InputError("a confirmation needs a reason")
    with store.session() as session:
        source_id = session.scalar(
            select(Source.id)
            .join(Facility, Facility.id == Source.facility_id)
            .where(
                Facility.code == facility_code,
                Source.report_id == report_id,
                visible_sources(principal),
            )
        )
    if source_id is None:
        raise NotFound(f"no report {report_id} of {facility_code} that you may see")
    confirm(store, facility_code, report_id, rule_id, principal.username)
    with store.session(actor=principal.username) as session:
        session.add(
            AuditEvent(
                actor=principal.username,
                action=AuditAction.UPDATE,
                entity="check_findings",
                entity_id=source_id,
                facility_id=principal.facility_id,
                changes={"confirmed": {"old": None, "new": rule_id}, "reason": reason.strip()},
            )
        )
