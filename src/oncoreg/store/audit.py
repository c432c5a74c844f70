"""The audit trail and the rules every write obeys, as SQLAlchemy session events.

- Every insert, update and obsoletion of an audited record writes an AuditEvent in the
  same transaction (who, when, entity, id, changed fields with old and new values).
- Records are never deleted: a delete, or a bulk UPDATE/DELETE that would bypass the
  trail, is refused; a record is retired by setting its status to obsolete.
- Identifier hashes are recomputed whenever an identifier changes, with the registry
  secret held in ``session.info["hash_key"]``.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import Any

import polars as pl
from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Session

from oncoreg.errors import StoreError
from oncoreg.model import AuditAction, RecordStatus
from oncoreg.store.identifiers import keyed_hash
from oncoreg.store.tables import Audited, AuditEvent, Person, Source, utcnow

# identifier field -> (hash field, kind used to domain-separate the hash)
HASHED = {
    "national_id": ("national_id_hash", "national_id"),
    "insurance_number": ("insurance_hash", "insurance"),
}
SKIPPED = frozenset({"created_at", "updated_at"})


def install(session_class: type[Session] | Session) -> None:
    """Attach the audit and no-delete rules to a session class or session."""
    # A flag on the target, not event.contains(): SQLAlchemy's event registry is keyed by
    # id(), and a new sessionmaker may reuse the id of a collected one that had listeners.
    if getattr(session_class, "_oncoreg_audited", False):
        return
    event.listen(session_class, "before_flush", _before_flush)
    event.listen(session_class, "after_flush", _after_flush)
    event.listen(session_class, "do_orm_execute", _refuse_bulk_writes)
    session_class._oncoreg_audited = True


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    for obj in session.deleted:
        if isinstance(obj, Audited):
            raise StoreError(
                f"delete on table {obj.__tablename__} refused: records are never deleted",
                hint="set the record's status to obsolete instead",
            )
    for obj in list(session.new) + list(session.dirty):
        if isinstance(obj, Person | Source):
            _refresh_hashes(session, obj)


def _refresh_hashes(session: Session, obj: Person | Source) -> None:
    state = inspect(obj)
    for field, (hash_field, kind) in HASHED.items():
        if obj in session.new or state.attrs[field].history.has_changes():
            value = getattr(obj, field)
            setattr(obj, hash_field, keyed_hash(value, _hash_key(session, value), kind))


def _hash_key(session: Session, value: str | None) -> str:
    key = session.info.get("hash_key")
    if not key and value:
        raise StoreError(
            "cannot store an identifier: no registry secret to hash it with",
            hint="run `oncoreg init` or set ONCOREG_SECRET_KEY",
        )
    return key or ""


def _after_flush(session: Session, _context: Any) -> None:
    rows = [
        _event_row(session, obj, AuditAction.INSERT)
        for obj in session.new
        if isinstance(obj, Audited)
    ]
    for obj in session.dirty:
        if isinstance(obj, Audited) and session.is_modified(obj, include_collections=False):
            rows.append(_event_row(session, obj, None))
    rows = [r for r in rows if r is not None]
    if rows:
        session.connection().execute(insert(AuditEvent), rows)


def _event_row(session: Session, obj: Audited, action: AuditAction | None) -> dict | None:
    changes: dict[str, dict[str, Any]] = {}
    state = inspect(obj)
    for column in state.mapper.column_attrs:
        name = column.key
        if name in SKIPPED:
            continue
        hist = state.attrs[name].history
        if action is AuditAction.INSERT:
            new = getattr(obj, name)
            if new is not None and name != "id":
                changes[name] = {"old": None, "new": plain_value(new)}
        elif hist.has_changes():
            old = hist.deleted[0] if hist.deleted else None
            new = hist.added[0] if hist.added else None
            changes[name] = {"old": plain_value(old), "new": plain_value(new)}
    if not changes:
        return None
    identifying = obj.__identifying__
    return {
        "at": utcnow(),
        "actor": str(session.info.get("actor") or "system"),
        "action": action or _update_action(changes),
        "entity": obj.__tablename__,
        "entity_id": obj.id,
        "facility_id": obj.audit_scope(),
        "changes": {k: v for k, v in changes.items() if k not in identifying},
        "identifier_changes": {k: v for k, v in changes.items() if k in identifying} or None,
    }


def _update_action(changes: dict[str, dict[str, Any]]) -> AuditAction:
    status = changes.get("status")
    if status and status["new"] == RecordStatus.OBSOLETE.value:
        return AuditAction.OBSOLETE
    if status and status["old"] == RecordStatus.OBSOLETE.value:
        return AuditAction.RESTORE
    return AuditAction.UPDATE


def plain_value(value: Any) -> Any:
    """A value as the audit trail and the JSON views keep it: enums by value, dates as
    ISO text."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _refuse_bulk_writes(orm_execute_state: Any) -> None:
    if not (orm_execute_state.is_update or orm_execute_state.is_delete):
        return
    mapper = orm_execute_state.bind_mapper
    if mapper is not None and issubclass(mapper.class_, Audited):
        verb = "update" if orm_execute_state.is_update else "delete"
        raise StoreError(
            f"bulk {verb} on table {mapper.class_.__tablename__} refused: it would bypass the "
            "audit trail",
            hint="load the records and change them one by one",
        )


def audit_frame(
    entity: type[Audited],
    before: pl.DataFrame | None,
    after: pl.DataFrame,
    *,
    actor: str,
    scope: str | None = None,
) -> pl.DataFrame:
    """Audit events for rows written in bulk, one per row that changed.

    ``after`` holds the written rows (``id`` and the columns written); ``before`` the same
    columns as they were for the rows that existed (None or missing ids: inserts). Changes
    are recorded as the ORM records them (old and new values; identifying fields apart).
    ``scope`` names the column of ``after`` holding the facility of each event.

    Returns:
        Rows for ``audit_events``, ready for :func:`oncoreg.store.bulk.bulk_insert`.
    """
    fields = [c for c in after.columns if c not in ("id", scope) and c not in SKIPPED]
    old = (before if before is not None else after.clear()).select("id", *fields)
    both = after.join(old, on="id", how="left", suffix="__old").with_columns(
        pl.col("id").is_in(old["id"].implode()).not_().alias("__new")
    )
    identifying = entity.__identifying__
    plain = [f for f in fields if f not in identifying]
    secret = [f for f in fields if f in identifying]
    both = both.with_columns(
        _changes_json(plain).alias("__changes"), _changes_json(secret).alias("__ids")
    ).filter(pl.col("__changes").is_not_null() | pl.col("__ids").is_not_null())
    action = _bulk_action(fields)
    return both.select(
        pl.lit(utcnow()).alias("at"),
        pl.lit(actor).alias("actor"),
        action.alias("action"),
        pl.lit(entity.__tablename__).alias("entity"),
        pl.col("id").alias("entity_id"),
        (pl.col(scope) if scope else pl.lit(None, pl.Int64)).alias("facility_id"),
        pl.col("__changes").fill_null("{}").alias("changes"),
        pl.col("__ids").alias("identifier_changes"),
    )


def _changed(field: str) -> pl.Expr:
    return pl.col("__new") | pl.col(field).ne_missing(pl.col(f"{field}__old"))


def _changes_json(fields: list[str]) -> pl.Expr:
    parts = [
        pl.when(_changed(f) & ~(pl.col("__new") & pl.col(f).is_null())).then(
            pl.lit(f'"{f}": ')
            + pl.struct(
                pl.when(~pl.col("__new")).then(pl.col(f"{f}__old")).alias("old"),
                pl.col(f).alias("new"),
            ).struct.json_encode()
        )
        for f in fields
    ]
    if not parts:
        return pl.lit(None, pl.String)
    joined = pl.concat_list(parts).list.drop_nulls().list.join(", ")
    return pl.when(joined != "").then(pl.lit("{") + joined + pl.lit("}"))


def _bulk_action(fields: list[str]) -> pl.Expr:
    action = pl.when(pl.col("__new")).then(pl.lit(AuditAction.INSERT.value))
    if "status" in fields:
        status, was = pl.col("status"), pl.col("status__old")
        obsolete = RecordStatus.OBSOLETE.value
        action = action.when((status == obsolete) & (was != obsolete)).then(
            pl.lit(AuditAction.OBSOLETE.value)
        )
        action = action.when((was == obsolete) & (status != obsolete)).then(
            pl.lit(AuditAction.RESTORE.value)
        )
    return action.otherwise(pl.lit(AuditAction.UPDATE.value))
