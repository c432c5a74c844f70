"""The audit trail (administrators only)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Query

from oncoreg.api.deps import MAX_ID, PrincipalDep, StoreDep
from oncoreg.api.models import AuditEventsPublic
from oncoreg.services.audit_trail import audit_events

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])


@router.get("", response_model=AuditEventsPublic, operation_id="list_audit_events")
def list_audit_events(
    principal: PrincipalDep,
    store: StoreDep,
    entity: str | None = Query(None, max_length=32),
    entity_id: int | None = Query(None, ge=0, le=2**31 - 1),
    actor: str | None = Query(None, max_length=100),
    action: str | None = Query(None, pattern="^(insert|update|obsolete|restore|read)$"),
    since: datetime | None = None,
    offset: int = Query(0, ge=0, le=MAX_ID),
    limit: int = Query(100, ge=1, le=1000),
) -> AuditEventsPublic:
    page = audit_events(
        store,
        principal,
        entity=entity,
        entity_id=entity_id,
        actor=actor,
        action=action,
        since=since,
        offset=offset,
        limit=limit,
    )
    return AuditEventsPublic(data=page.data, count=page.count, offset=offset, limit=page.limit)
