"""Reading the audit trail: who changed or read which record, when (admins only).

The events never show identifying values: only the names of the fields that changed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from oncoreg.model import AuditAction
from oncoreg.services.access import Permission, Principal, require
from oncoreg.services.records import Page
from oncoreg.store import AuditEvent, Store


def audit_events(
    store: Store,
    principal: Principal,
    *,
    entity: str | None = None,
    entity_id: int | None = None,
    actor: str | None = None,
    action: str | None = None,
    since: datetime | None = None,
    offset: int = 0,
    limit: int = 100,
) -> Page:
    """Audit events, newest first, filtered by record, actor, action and time."""
    require(principal, Permission.AUDIT)
    query = select(AuditEvent)
    if entity:
        query = query.where(AuditEvent.entity == entity)
    if entity_id is not None:
        query = query.where(AuditEvent.entity_id == entity_id)
    if actor:
        query = query.where(AuditEvent.actor == actor)
    if action:
        query = query.where(AuditEvent.action == AuditAction(action))
    if since is not None:
        query = query.where(AuditEvent.at >= since)
    limit = max(1, min(limit, 1000))
    with store.session() as session:
        count = session.scalar(select(func.count()).select_from(query.subquery()))
        rows = session.scalars(
            query.order_by(AuditEvent.id.desc()).offset(max(offset, 0)).limit(limit)
        ).all()
        return Page([_event(e) for e in rows], count, offset, limit)


def _event(event: AuditEvent) -> dict:
    return {
        "id": event.id,
        "at": event.at.isoformat(),
        "actor": event.actor,
        "action": getattr(event.action, "value", event.action),
        "entity": event.entity,
        "entity_id": event.entity_id,
        "facility_id": event.facility_id,
        "fields": sorted(set(event.changes or {}) | set(event.identifier_changes or {})),
    }
