"""Linkage runs: stored reports -> persons and tumours, in one transaction.

A run reads every current report, scores pairs with the Splink model (a full run trains
it; an incremental run scores only new or corrected reports, against each other and
against the linked ones, with the last run's model), clusters them with the registrar's
decisions first, consolidates each person's reports into tumours (IARC/IACR multiple-primary
rules) and writes persons, tumours, the links of reports and the review queue. Everything is
computed before the first write and written in one transaction: a failed run leaves the
previous persons untouched.

Registry ids are stable: a new person (tumour) takes the id of the old person (tumour) that
shares most of its reports; persons and tumours left with no report become obsolete, never
deleted. Every write is in the audit trail.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

import polars as pl
from sqlalchemy import JSON, Text, cast, delete, func, select

from oncoreg.codes.icd10 import to_icd10
from oncoreg.errors import InputError, OncoregError
from oncoreg.link import engine
from oncoreg.link.clusters import GUARD_FIELDS, cluster
from oncoreg.link.features import SOURCE_COLUMNS, linkage_frame
from oncoreg.link.multiple_primaries import consolidate
from oncoreg.link.person_values import PERSON_COLUMNS, person_values
from oncoreg.link.persons import MATCH_THRESHOLD, REVIEW_THRESHOLD
from oncoreg.model import RecordStatus
from oncoreg.services.stages import StageClock
from oncoreg.store import LinkRun, Person, ReviewItem, Source, Store, Tumour
from oncoreg.store.audit import audit_frame
from oncoreg.store.bulk import bulk_insert, bulk_update, read_frame
from oncoreg.store.tables import AuditEvent, utcnow

TUMOUR_COLUMNS = [
    "topography",
    "morphology",
    "basis",
    "diagnosis_date",
    "diagnosis_date_precision",
    "grade",
    "laterality",
    "stage",
]
READ_COLUMNS = sorted(
    set(SOURCE_COLUMNS)
    | set(PERSON_COLUMNS)
    | set(TUMOUR_COLUMNS)
    | {"tumour_id", "facility_id", "received_at", "updated_at"}
)
NO_NAME = "no name and no identifier: not linked automatically"
PAIR = ["unique_id_l", "unique_id_r"]
DELETE_CHUNK = 10_000  # ids per DELETE (SQLite's limit of bound parameters)


@dataclass
class LinkSummary:
    """What a linkage run did."""

    run_id: int
    mode: str
    backend: str
    reports: int = 0
    linked: int = 0
    unlinked: int = 0
    persons: int = 0
    tumours: int = 0
    review_open: int = 0
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def reports_per_tumour(self) -> float:
        return self.linked / self.tumours if self.tumours else 0.0


def link_registry(
    store: Store,
    *,
    actor: str,
    backend: str = "duckdb",
    match_threshold: float | None = None,
    review_threshold: float | None = None,
    since: date | None = None,
    full: bool = False,
    on_stage: Callable[[str, int], None] | None = None,
) -> LinkSummary:
    """Link the registry's reports into persons and tumours (see the module docstring).

    Args:
        store: The registry.
        actor: Who runs it (audit trail).
        backend: ``duckdb`` (default) or ``spark``.
        match_threshold: Match probability at or above which pairs link.
        review_threshold: Lower edge of the review band.
        since: Incremental run: reports received on or after this date count as new.
        full: Relink everything and retrain the model.
        on_stage: Called with each stage's name and the number of reports as the stage
            ends (read, score, cluster, consolidate, write).
    """
    match_threshold = MATCH_THRESHOLD if match_threshold is None else match_threshold
    review_threshold = REVIEW_THRESHOLD if review_threshold is None else review_threshold
    if not 0 < review_threshold <= match_threshold < 1:
        raise InputError(
            f"thresholds out of order: review {review_threshold}, match {match_threshold}",
            hint="use 0 < review threshold <= match threshold < 1",
        )
    clock = StageClock(on_stage)
    with store.session(actor=actor) as session:
        sources = _read_sources(session)
        previous = session.scalars(
            select(LinkRun).where(LinkRun.finished_at.is_not(None)).order_by(LinkRun.id.desc())
        ).first()
        decisions = _decisions(session)
        incremental = not full and previous is not None and previous.model is not None
        new_ids = None
        if incremental:
            new_ids = _new_reports(sources, previous, since)
            new_ids |= _reopened(session, sources, previous)
    clock.rows = sources.height
    clock.lap("read")
    plan = _Plan(sources, decisions, backend, match_threshold, review_threshold)
    plan.score(previous.model if incremental else None, new_ids)
    clock.lap("score")
    plan.cluster(existing=incremental)
    clock.lap("cluster")
    plan.consolidate()
    clock.lap("consolidate")
    with store.session(actor=actor) as session:
        summary = _write(session, plan, actor, "incremental" if incremental else "full")
    clock.lap("write")
    summary.seconds = {name: round(seconds, 3) for name, seconds in clock.laps.items()}
    return summary


def _read_sources(session) -> pl.DataFrame:
    columns = [getattr(Source, c) for c in READ_COLUMNS]
    query = (
        select(*columns, Tumour.person_id.label("person_id"))
        .outerjoin(Tumour, Source.tumour_id == Tumour.id)
        .where(Source.status != RecordStatus.OBSOLETE)
        .order_by(Source.id)
    )
    frame = read_frame(session.connection(), query)
    if frame.is_empty():
        return pl.DataFrame(
            schema={c: pl.String for c in [*READ_COLUMNS, "person_id"]}
        ).with_columns(
            pl.col("id", "tumour_id", "person_id", "age_at_diagnosis").cast(pl.Int64),
            pl.col("birth_date", "diagnosis_date").cast(pl.Date),
        )
    return frame.with_columns(
        _as_date(frame, "birth_date"),
        _as_date(frame, "diagnosis_date"),
        _as_datetime(frame, "received_at"),
        _as_datetime(frame, "updated_at"),
        pl.col("id", "tumour_id", "person_id").cast(pl.Int64),
        *(
            pl.col(c).cast(pl.String)
            for c in ("sex", "birth_date_precision", "diagnosis_date_precision")
        ),
    )


def _as_date(frame: pl.DataFrame, name: str) -> pl.Expr:
    if frame.schema[name] == pl.String:
        return pl.col(name).str.to_date("%Y-%m-%d", strict=False)
    return pl.col(name).cast(pl.Date)


def _as_datetime(frame: pl.DataFrame, name: str) -> pl.Expr:
    if frame.schema[name] == pl.String:
        return pl.col(name).str.slice(0, 19).str.to_datetime("%Y-%m-%d %H:%M:%S", strict=False)
    return pl.col(name).dt.replace_time_zone(None)


def _decisions(session) -> pl.DataFrame:
    rows = session.execute(
        select(
            ReviewItem.source_id, ReviewItem.other_source_id, ReviewItem.decision, ReviewItem.kind
        ).where(ReviewItem.decision.in_(["match", "non_match"]))
    ).all()
    return pl.DataFrame(
        rows,
        schema={
            "unique_id_l": pl.Int64,
            "unique_id_r": pl.Int64,
            "decision": pl.String,
            "kind": pl.String,
        },
        orient="row",
    )


def _new_reports(sources: pl.DataFrame, previous: LinkRun, since: date | None) -> set[int]:
    # the run's own writes (links of reports) come before it is marked finished
    finished = previous.finished_at.replace(tzinfo=None)
    new = pl.col("tumour_id").is_null() | (pl.col("updated_at") > finished)
    if since is not None:
        new = new | (pl.col("received_at") >= datetime.combine(since, datetime.min.time()))
    return set(sources.filter(new)["id"].to_list())


def _reopened(session, sources: pl.DataFrame, previous: LinkRun) -> set[int]:
    """Reports of the persons a registrar decided on since the last run: relinked."""
    decided = session.execute(
        select(ReviewItem.source_id, ReviewItem.other_source_id).where(
            ReviewItem.decided_at >= previous.started_at
        )
    ).all()
    touched = {i for pair in decided for i in pair if i is not None}
    if not touched:
        return set()
    persons = sources.filter(pl.col("id").is_in(list(touched)))["person_id"].drop_nulls()
    again = sources.filter(
        pl.col("person_id").is_in(persons.implode()) | pl.col("id").is_in(list(touched))
    )
    return set(again["id"].to_list())


class _Plan:
    """Everything a run computes before it writes."""

    def __init__(self, sources, decisions, backend, match_threshold, review_threshold):
        self.sources, self.decisions, self.backend = sources, decisions, backend
        self.match_threshold, self.review_threshold = match_threshold, review_threshold
        self.features = linkage_frame(sources)
        # a report the model cannot link is linked once a registrar has decided on it
        own = decisions.filter(pl.col("kind") == "report")
        self.identified = self.features.filter(
            pl.col("identified") | pl.col("unique_id").is_in(own["unique_id_l"].implode())
        )
        self.model: dict | None = None
        self.pairs = pl.DataFrame(schema={c: pl.Float64 for c in engine.PAIR_COLUMNS})

    def score(self, model: dict | None, new_ids: set[int] | None) -> None:
        self.new_ids = new_ids
        reports = self.identified
        if reports.height < 2:
            self.model = model
            return
        if model is None:
            self.pairs, self.model = engine.train_and_predict(
                reports, self.backend, self.review_threshold
            )
            return
        self.model = model
        is_new = pl.col("unique_id").is_in(list(new_ids or ()))
        new = reports.filter(is_new)
        if new.height:
            self.pairs = engine.predict_new(
                reports.filter(~is_new), new, model, self.backend, self.review_threshold
            )

    def cluster(self, existing: bool) -> None:
        pair_decisions = self.decisions.filter(pl.col("unique_id_r").is_not_null())
        fixed = pair_decisions.filter(pl.col("decision") == "match").select(
            "unique_id_l", "unique_id_r"
        )
        if existing:
            held = self.sources.filter(~pl.col("id").is_in(list(self.new_ids or ())))
            fixed = pl.concat([fixed, _person_links(held)])
        refused = pair_decisions.filter(pl.col("decision") == "non_match").select(
            "unique_id_l", "unique_id_r"
        )
        pairs = self.pairs.select(engine.PAIR_COLUMNS).with_columns(
            pl.col("unique_id_l", "unique_id_r").cast(pl.Int64)
        )
        self.clustering = cluster(
            self.identified.select(GUARD_FIELDS),
            pairs,
            match_threshold=self.match_threshold,
            review_threshold=self.review_threshold,
            fixed=fixed,
            refused=refused,
        )

    def consolidate(self) -> None:
        keyed = self.clustering.persons.rename({"unique_id": "id"})
        linked = self.sources.join(keyed, on="id").join(
            self.features.select(pl.col("unique_id").alias("id"), "name", "has_marks"), on="id"
        )
        self.linked = linked
        assignment, self.tumours = consolidate(linked.rename({"id": "source_id"}))
        self.assignment = assignment.rename({"source_id": "id"})
        self.persons = person_values(linked)


def _person_links(sources: pl.DataFrame) -> pl.DataFrame:
    """Star links holding each existing person's reports together."""
    held = sources.filter(pl.col("person_id").is_not_null())
    return held.select(
        pl.col("id").min().over("person_id").alias("unique_id_l"), pl.col("id").alias("unique_id_r")
    ).filter(pl.col("unique_id_l") != pl.col("unique_id_r"))


def stable_ids(members: pl.DataFrame, key: str, old: str, next_id: int) -> pl.DataFrame:
    """Registry ids for new groups: the old id sharing most members, else a new one.

    Args:
        members: One row per member with the new group ``key`` and its ``old`` id (null
            for members not in any group before).
        next_id: The first id to hand out.

    Returns:
        ``key`` -> ``registry_id`` and ``reused`` (an old id kept).
    """
    overlap = (
        members.filter(pl.col(old).is_not_null())
        .group_by(key, old)
        .len()
        .sort(["len", old, key], descending=[True, False, False])
    )
    taken_old: set[int] = set()
    chosen: dict[int, int] = {}
    for group, previous, _ in overlap.iter_rows():
        if group not in chosen and previous not in taken_old:
            chosen[group] = previous
            taken_old.add(previous)
    keys = members[key].unique().sort().to_list()
    out, reused = [], []
    for group in keys:
        if group in chosen:
            out.append(chosen[group])
            reused.append(True)
        else:
            out.append(next_id)
            reused.append(False)
            next_id += 1
    return pl.DataFrame(
        {key: keys, "registry_id": out, "reused": reused},
        schema_overrides={key: pl.Int64, "registry_id": pl.Int64},
    )


def _write(session, plan: _Plan, actor: str, mode: str) -> LinkSummary:
    run = LinkRun(
        actor=actor,
        backend=plan.backend,
        mode=mode,
        match_threshold=plan.match_threshold,
        review_threshold=plan.review_threshold,
        model=plan.model,
    )
    session.add(run)
    session.flush()
    connection = session.connection()
    person_ids = _write_persons(session, plan, actor)
    tumour_ids = _write_tumours(session, plan, person_ids, actor)
    _write_links(connection, plan, tumour_ids, actor)
    review = _write_review(session, plan, run.id)
    summary = LinkSummary(
        run_id=run.id,
        mode=mode,
        backend=plan.backend,
        reports=plan.sources.height,
        linked=plan.assignment.height,
        unlinked=plan.sources.height - plan.assignment.height,
        persons=person_ids.height,
        tumours=tumour_ids.height,
        review_open=review,
    )
    run.figures = {
        "reports": summary.reports,
        "linked": summary.linked,
        "persons": summary.persons,
        "tumours": summary.tumours,
        "review_open": review,
        "pairs_scored": plan.pairs.height,
    }
    run.finished_at = utcnow()
    return summary


def _next_id(session, table) -> int:
    return int(session.scalar(select(func.coalesce(func.max(table.id), 0)))) + 1


def _write_persons(session, plan: _Plan, actor: str) -> pl.DataFrame:
    members = plan.linked.select("person_key", pl.col("person_id").alias("old"))
    ids = stable_ids(members, "person_key", "old", _next_id(session, Person))
    after = (
        plan.persons.join(ids, on="person_key")
        .rename({"registry_id": "id"})
        .with_columns(
            pl.col("birth_date_precision").fill_null("unknown"),
            pl.lit(RecordStatus.PENDING.value).alias("status"),
        )
    )
    _apply(session, Person, after.drop("person_key", "reused"), actor)
    return ids.select("person_key", pl.col("registry_id").alias("person_id"))


def _write_tumours(session, plan: _Plan, person_ids: pl.DataFrame, actor: str) -> pl.DataFrame:
    old = plan.linked.select("id", pl.col("tumour_id").alias("old"))
    members = plan.assignment.join(old, on="id")
    ids = stable_ids(members, "tumour_key", "old", _next_id(session, Tumour))
    sex = plan.persons.select("person_key", "sex")
    tumours = (
        plan.tumours.join(ids, on="tumour_key")
        .join(person_ids, on="person_key")
        .join(sex, on="person_key")
    )
    after = tumours.with_columns(pl.col("diagnosis_date_precision").fill_null("unknown")).select(
        pl.col("registry_id").alias("id"),
        "person_id",
        *TUMOUR_COLUMNS,
        pl.col("sequence").cast(pl.Int64),
        _icd10(tumours).alias("icd10"),
        "provenance",
        pl.lit(RecordStatus.PENDING.value).alias("status"),
    )
    _apply(session, Tumour, after, actor)
    return ids.select("tumour_key", pl.col("registry_id").alias("tumour_id"))


def _icd10(tumours: pl.DataFrame) -> pl.Series:
    combos = tumours.select("topography", "morphology", "sex").unique()
    table = {}
    for topo, morph, sex in combos.iter_rows():
        if topo and morph:
            try:
                table[(topo, morph, sex)] = to_icd10(topo, morph, int(sex) if sex else None).code
            except OncoregError:  # an unconvertible combination stays without ICD-10
                table[(topo, morph, sex)] = None
    return pl.Series(
        [table.get(k) for k in tumours.select("topography", "morphology", "sex").iter_rows()],
        dtype=pl.String,
    )


def _apply(session, entity, after: pl.DataFrame, actor: str) -> None:
    """Insert new rows, update changed ones, obsolete the ones no longer produced; each
    change with its audit event."""
    table = entity.__table__
    columns = [c for c in after.columns if c != "id"]
    connection = session.connection()
    json_columns = [c for c in columns if isinstance(table.c[c].type, JSON)]
    read = [cast(table.c[c], Text).label(c) if c in json_columns else table.c[c] for c in columns]
    query = select(table.c.id, *read).where(table.c.status != RecordStatus.OBSOLETE.value)
    after = after.with_columns(_canonical_json(c) for c in json_columns)
    before = _typed(read_frame(connection, query), after, json_columns)
    now = utcnow()
    new = after.join(before.select("id"), on="id", how="anti")
    bulk_insert(
        connection,
        table,
        new.with_columns(pl.lit(now).alias("created_at"), pl.lit(now).alias("updated_at")),
    )
    kept = after.join(before.select("id"), on="id", how="semi")
    changed = _changed_rows(kept, before)
    gone = before.join(after.select("id"), on="id", how="anti").with_columns(
        pl.lit(RecordStatus.OBSOLETE.value).alias("status")
    )
    updates = pl.concat([changed, gone.select(changed.columns)], how="vertical_relaxed")
    bulk_update(connection, table, updates.with_columns(pl.lit(now).alias("updated_at")))
    events = pl.concat(
        [
            audit_frame(entity, None, new, actor=actor),
            audit_frame(entity, before, updates, actor=actor),
        ]
    )
    bulk_insert(connection, AuditEvent.__table__, events)


def _typed(before: pl.DataFrame, after: pl.DataFrame, json_columns: list[str]) -> pl.DataFrame:
    """The rows read back, in the column types of ``after`` (JSON as canonical text)."""
    if before.is_empty():
        return after.clear()
    out = []
    for name in after.columns:
        target = after.schema[name]
        column = pl.col(name)
        if target == pl.Date and before.schema[name] == pl.String:
            out.append(column.str.to_date("%Y-%m-%d", strict=False))
        elif name in json_columns:
            out.append(_canonical_json(name))
        else:
            out.append(column.cast(target, strict=False))
    return before.select(out)


def _canonical_json(name: str) -> pl.Expr:
    """JSON text in one form (sorted keys, compact), so that equal values compare equal."""
    return pl.col(name).map_elements(
        lambda text: json.dumps(json.loads(text), sort_keys=True, separators=(",", ":")),
        return_dtype=pl.String,
    )


def _changed_rows(kept: pl.DataFrame, before: pl.DataFrame) -> pl.DataFrame:
    both = kept.join(before, on="id", suffix="__old")
    differs = pl.any_horizontal(
        [pl.col(c).ne_missing(pl.col(f"{c}__old")) for c in kept.columns if c != "id"]
    )
    return both.filter(differs).select(kept.columns)


def _write_links(connection, plan: _Plan, tumour_ids: pl.DataFrame, actor: str) -> None:
    after = plan.assignment.join(tumour_ids, on="tumour_key").select("id", "tumour_id")
    current = plan.sources.select("id", "tumour_id", "facility_id")
    unlinked = current.join(after, on="id", how="anti").filter(pl.col("tumour_id").is_not_null())
    after = pl.concat([after, unlinked.select("id", pl.lit(None, pl.Int64).alias("tumour_id"))])
    changed = after.join(current, on="id", suffix="__old").filter(
        pl.col("tumour_id").ne_missing(pl.col("tumour_id__old"))
    )
    bulk_update(connection, Source.__table__, changed.select("id", "tumour_id"))
    before = current.join(changed.select("id"), on="id", how="semi").select("id", "tumour_id")
    events = audit_frame(
        Source,
        before,
        changed.select("id", "tumour_id", "facility_id"),
        actor=actor,
        scope="facility_id",
    )
    bulk_insert(connection, AuditEvent.__table__, events.drop_nulls("changes"))


def _write_review(session, plan: _Plan, run_id: int) -> int:
    """Replace the open review items this run has new evidence on; returns the open count.

    A full run replaces the pairs; an incremental run replaces those about the reports it
    relinked and keeps the others, which it has not looked at again. An item about a single
    report stays while the report cannot be linked. Items whose two reports now belong to
    one person are closed either way.
    """
    open_items = _open_items(session)
    keep = open_items
    if plan.new_ids is None:
        keep = keep.filter(pl.col("kind") == "report")
    else:
        relinked = pl.Series(list(plan.new_ids), dtype=pl.Int64)
        keep = keep.filter(
            (pl.col("kind") == "report")
            | (
                ~pl.col("unique_id_l").is_in(relinked.implode())
                & ~pl.col("unique_id_r").is_in(relinked.implode()).fill_null(False)
            )
        )
    # a single report waits for its registrar as long as it cannot be linked
    unlinkable = plan.features.filter(~pl.col("identified"))["unique_id"].implode()
    keep = keep.filter((pl.col("kind") == "pair") | pl.col("unique_id_l").is_in(unlinkable))
    keep = _apart(keep, plan.clustering.persons)
    gone = open_items.join(keep.select("id"), on="id", how="anti")["id"].to_list()
    for start in range(0, len(gone), DELETE_CHUNK):
        chunk = gone[start : start + DELETE_CHUNK]
        session.execute(delete(ReviewItem).where(ReviewItem.id.in_(chunk)))
    known = pl.concat(
        [_decisions(session).select(PAIR), keep.filter(pl.col("kind") == "pair").select(PAIR)]
    )
    pairs = plan.clustering.review.join(known, on=PAIR, how="anti")
    detail = _details(plan, pairs)
    rows = [
        {
            "run_id": run_id,
            "kind": "pair",
            "source_id": left,
            "other_source_id": right,
            "match_probability": probability,
            "match_weight": weight,
            "reason": reason,
            "detail": detail.get((left, right)),
        }
        for left, right, probability, weight, reason in pairs.iter_rows()
    ]
    waiting = set(plan.decisions.filter(pl.col("kind") == "report")["unique_id_l"].to_list())
    waiting |= set(keep.filter(pl.col("kind") == "report")["unique_id_l"].to_list())
    lonely = plan.features.filter(~pl.col("identified") & ~pl.col("unique_id").is_in(list(waiting)))
    rows += [
        {"run_id": run_id, "kind": "report", "source_id": sid, "reason": NO_NAME}
        for sid in lonely["unique_id"].to_list()
    ]
    if rows:
        session.execute(ReviewItem.__table__.insert(), [_complete(r) for r in rows])
    return len(rows) + keep.height


def _open_items(session) -> pl.DataFrame:
    rows = session.execute(
        select(
            ReviewItem.id, ReviewItem.kind, ReviewItem.source_id, ReviewItem.other_source_id
        ).where(ReviewItem.decision.is_(None))
    ).all()
    schema = {"id": pl.Int64, "kind": pl.String, "unique_id_l": pl.Int64, "unique_id_r": pl.Int64}
    return pl.DataFrame(rows, schema=schema, orient="row")


def _apart(items: pl.DataFrame, persons: pl.DataFrame) -> pl.DataFrame:
    """The items that are not pairs of reports now in one person."""
    keyed = persons.select("unique_id", "person_key")
    both = items.join(
        keyed.rename({"unique_id": "unique_id_l", "person_key": "p_l"}),
        on="unique_id_l",
        how="left",
    ).join(
        keyed.rename({"unique_id": "unique_id_r", "person_key": "p_r"}),
        on="unique_id_r",
        how="left",
    )
    same = (pl.col("kind") == "pair") & (pl.col("p_l") == pl.col("p_r")).fill_null(False)
    return both.filter(~same).select(items.columns)


def _complete(row: dict) -> dict:
    base = {
        "other_source_id": None,
        "match_probability": None,
        "match_weight": None,
        "detail": None,
    }
    return base | row


def _details(plan: _Plan, pairs: pl.DataFrame) -> dict:
    """Per pair: each comparison's level and its match weight (frequency adjustment
    included)."""
    if pairs.is_empty() or plan.model is None or plan.pairs.is_empty():
        return {}
    levels = engine.level_weights(plan.model)
    scored = plan.pairs.join(
        pairs.select("unique_id_l", "unique_id_r"), on=["unique_id_l", "unique_id_r"]
    )
    out = {}
    for row in scored.iter_rows(named=True):
        parts = {}
        for name, options in levels.items():
            weight = row.get(f"mw_{name}")
            if weight is None:
                continue
            total = weight + (row.get(f"mw_tf_adj_{name}") or 0.0)
            parts[name] = {"level": engine.level_of(options, weight), "weight": round(total, 2)}
        out[(row["unique_id_l"], row["unique_id_r"])] = parts
    return out
