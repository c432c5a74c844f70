"""Reports (sources): live checks of an edit, and the edit itself."""

from __future__ import annotations

from fastapi import APIRouter

from oncoreg.api.deps import PrincipalDep, RecordId, StoreDep
from oncoreg.api.models import FindingsPublic, SourceEdit
from oncoreg.services import records

router = APIRouter(prefix="/api/v1/sources", tags=["sources"])


@router.post("/{source_id}/check", response_model=FindingsPublic, operation_id="check_source")
def check_source(
    source_id: RecordId, body: SourceEdit, principal: PrincipalDep, store: StoreDep
) -> FindingsPublic:
    """The findings the report would have with the changes (nothing is saved)."""
    return FindingsPublic(data=records.check_edit(store, principal, source_id, body.changes))


@router.patch("/{source_id}", response_model=FindingsPublic, operation_id="update_source")
def update_source(
    source_id: RecordId, body: SourceEdit, principal: PrincipalDep, store: StoreDep
) -> FindingsPublic:
    """Save an edit; errors block, warnings must be confirmed with a reason."""
    findings = records.update_source(
        store, principal, source_id, body.changes, confirm=body.confirm, reason=body.reason
    )
    return FindingsPublic(data=findings)
