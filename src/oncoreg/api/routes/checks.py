"""Check findings on stored reports, and their confirmation by registrars."""

from __future__ import annotations

from fastapi import APIRouter, Query

from oncoreg.api.deps import MAX_ID, PrincipalDep, StoreDep
from oncoreg.api.models import Confirmation, StoredFindingsPublic
from oncoreg.services import records

router = APIRouter(prefix="/api/v1/checks", tags=["checks"])


@router.get("", response_model=StoredFindingsPublic, operation_id="list_findings")
def list_findings(
    principal: PrincipalDep,
    store: StoreDep,
    severity: str | None = Query(None, pattern="^(warning|info)$"),
    open_only: bool = Query(True, description="only findings nobody has confirmed"),
    offset: int = Query(0, ge=0, le=MAX_ID),
    limit: int = Query(50, ge=1, le=500),
) -> StoredFindingsPublic:
    page = records.stored_findings(
        store, principal, severity=severity, open_only=open_only, offset=offset, limit=limit
    )
    return StoredFindingsPublic(data=page.data, count=page.count, offset=offset, limit=page.limit)


@router.post("/confirmations", status_code=204, operation_id="confirm_finding")
def confirm_finding(body: Confirmation, principal: PrincipalDep, store: StoreDep) -> None:
    """Confirm a warning (recorded with who, when and why); it then no longer blocks."""
    records.confirm_finding(
        store, principal, body.facility_code, body.report_id, body.rule_id, body.reason
    )
