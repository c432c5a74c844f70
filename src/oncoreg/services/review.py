"""The review queue: pairs of reports a registrar decides on, and the links export.

A decision (``match``, ``non_match``, ``unsure``) is recorded with who and when, written to
the audit trail, and wins over the model in every later linkage run (a match links the two
reports' persons, a non-match keeps them apart). A report the model could not link (no
name and no identifier) is decided with ``match`` and the report it belongs with, or with
``non_match``: a person of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl
from sqlalchemy import select

from oncoreg.errors import InputError, NotFound
from oncoreg.model import AuditAction
from oncoreg.store import AuditEvent, Facility, ReviewItem, Source, Store, Tumour
from oncoreg.store.audit import plain_value
from oncoreg.store.bulk import read_frame
from oncoreg.store.tables import utcnow

DECISIONS = ("match", "non_match", "unsure")
SHOWN = [
    "family_name",
    "middle_name",
    "given_name",
    "sex",
    "birth_date",
    "birth_date_precision",
    "age_at_diagnosis",
    "province_code",
    "phone",
    "address",
    "topography",
    "morphology",
    "diagnosis_date",
    "basis",
]


@dataclass(frozen=True)
class ReviewRow:
    id: int
    kind: str
    left: str
    right: str | None
    match_probability: float | None
    reason: str
    decision: str | None


def review_list(store: Store, *, include_decided: bool = False, limit: int = 50) -> list[ReviewRow]:
    """Open review items (and decided ones if asked), most probable pairs first."""
    with store.session() as session:
        query = select(ReviewItem).order_by(
            ReviewItem.match_probability.desc().nulls_last(), ReviewItem.id
        )
        if not include_decided:
            query = query.where(ReviewItem.decision.is_(None) | (ReviewItem.decision == "unsure"))
        items = session.scalars(query.limit(limit)).all()
        keys = _report_keys(
            session, {i.source_id for i in items} | {i.other_source_id for i in items}
        )
        return [
            ReviewRow(
                id=i.id,
                kind=i.kind,
                left=keys.get(i.source_id, "?"),
                right=keys.get(i.other_source_id) if i.other_source_id else None,
                match_probability=i.match_probability,
                reason=i.reason,
                decision=i.decision,
            )
            for i in items
        ]


def review_count(store: Store) -> int:
    with store.session() as session:
        query = select(ReviewItem.id).where(
            ReviewItem.decision.is_(None) | (ReviewItem.decision == "unsure")
        )
        return len(session.scalars(query).all())


def review_pair(store: Store, item_id: int) -> dict:
    """One item side by side: each field of both reports, whether they agree, and the
    model's weight per comparison."""
    with store.session() as session:
        item = _item(session, item_id)
        left = _report(session, item.source_id)
        right = _report(session, item.other_source_id) if item.other_source_id else None
        fields = [
            {
                "field": name,
                "left": left.get(name),
                "right": right.get(name) if right else None,
                "agree": right is not None and left.get(name) == right.get(name),
            }
            for name in SHOWN
        ]
        return {
            "id": item.id,
            "kind": item.kind,
            "left": left["report"],
            "right": right["report"] if right else None,
            "match_probability": item.match_probability,
            "match_weight": item.match_weight,
            "reason": item.reason,
            "decision": item.decision,
            "fields": fields,
            "weights": item.detail or {},
        }


def decide(
    store: Store,
    item_id: int,
    decision: str,
    *,
    actor: str,
    note: str | None = None,
    with_report: tuple[str, str] | None = None,
) -> None:
    """Record a registrar's decision on a review item (audited).

    Args:
        item_id: The review item.
        decision: ``match``, ``non_match`` or ``unsure``.
        actor: The registrar.
        note: Why (kept with the decision).
        with_report: For a single-report item decided ``match``: the (facility code,
            report id) of the report it belongs with.
    """
    if decision not in DECISIONS:
        raise InputError(f"unknown decision {decision!r}", hint="use match, non_match or unsure")
    with store.session(actor=actor) as session:
        item = _item(session, item_id)
        if item.kind == "report" and decision == "match":
            if with_report is None:
                raise InputError(
                    f"review item {item_id} is a single report: say which report it matches",
                    hint="add --with FACILITY REPORT_ID",
                )
            item.other_source_id = _source_id(session, *with_report)
        old = {"decision": item.decision, "note": item.note}
        item.decision, item.note = decision, note
        item.decided_by, item.decided_at = actor, utcnow()
        session.add(
            AuditEvent(
                actor=actor,
                action=AuditAction.UPDATE,
                entity="review_items",
                entity_id=item.id,
                changes={
                    "decision": {"old": old["decision"], "new": decision},
                    "note": {"old": old["note"], "new": note},
                    "other_source_id": {"old": None, "new": item.other_source_id},
                },
            )
        )


def export_links(store: Store, out: Path) -> int:
    """Write LINKS.csv: one row per current report with ``facility_code``, ``report_id``,
    ``person_id``, ``tumour_id`` (empty where the report is not linked). Returns rows."""
    with store.session() as session:
        query = (
            select(
                Facility.code.label("facility_code"),
                Source.report_id,
                Tumour.person_id,
                Source.tumour_id,
            )
            .join(Facility, Facility.id == Source.facility_id)
            .outerjoin(Tumour, Tumour.id == Source.tumour_id)
            .where(Source.status != "obsolete")
            .order_by(Facility.code, Source.report_id)
        )
        frame = read_frame(session.connection(), query)
    frame = frame.with_columns(pl.col("person_id", "tumour_id").cast(pl.Int64))
    tmp = out.with_name(out.name + ".tmp")  # atomically: a reader never sees half a file
    frame.write_csv(tmp)
    tmp.replace(out)
    return frame.height


def _item(session, item_id: int) -> ReviewItem:
    item = session.get(ReviewItem, item_id)
    if item is None:
        raise NotFound(f"no review item {item_id}", hint="see `oncoreg review list`")
    return item


def _source_id(session, facility: str, report_id: str) -> int:
    found = session.scalar(
        select(Source.id)
        .join(Facility, Facility.id == Source.facility_id)
        .where(Facility.code == facility, Source.report_id == report_id)
    )
    if found is None:
        raise NotFound(f"no report {report_id} from facility {facility}")
    return found


def _report_keys(session, ids: set[int | None]) -> dict[int, str]:
    wanted = [i for i in ids if i is not None]
    rows = session.execute(
        select(Source.id, Facility.code, Source.report_id)
        .join(Facility, Facility.id == Source.facility_id)
        .where(Source.id.in_(wanted))
    ).all()
    return {sid: f"{code}/{rid}" for sid, code, rid in rows}


def _report(session, source_id: int) -> dict:
    source = session.get(Source, source_id)
    values = {name: plain_value(getattr(source, name)) for name in SHOWN}
    precision = values["birth_date_precision"]
    if values["birth_date"] and precision in ("year", "month"):  # as known, not 1 January
        values["birth_date"] = values["birth_date"][: 4 if precision == "year" else 7]
    values["report"] = _report_keys(session, {source_id})[source_id]
    return values
