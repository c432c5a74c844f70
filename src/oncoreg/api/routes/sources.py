"""Reports (sources): live checks of an edit, and the edit itself."""

from __future__ import annotations

from fastapi import APIRouter

from oncoreg.api.deps import PrincipalDep, RecordId, StoreDep
from oncoreg.api.models import (
    EntryPublic,
    FindingsPublic,
    Reason,
    RecordPublic,
    ReportEntry,
    SourceEdit,
    StatusPublic,
)
from oncoreg.services import entry, records

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


@router.post("", response_model=EntryPublic, status_code=201, operation_id="enter_report")
def enter_report(body: ReportEntry, principal: PrincipalDep, store: StoreDep) -> EntryPublic:
    """Enter one report (the canonical report fields); it is imported and checked exactly
    as a row of a hospital file. Rejected reports answer 422 with every reason."""
    return EntryPublic(**entry.enter_report(store, principal, body.fields))


@router.get("/{source_id}", response_model=RecordPublic, operation_id="get_source")
def get_source(source_id: RecordId, principal: PrincipalDep, store: StoreDep) -> RecordPublic:
    return RecordPublic(record=records.source_view(store, principal, source_id))


@router.post("/{source_id}/obsolete", response_model=StatusPublic, operation_id="retire_source")
def retire_source(
    source_id: RecordId, body: Reason, principal: PrincipalDep, store: StoreDep
) -> StatusPublic:
    """Retire a report (status obsolete; nothing is deleted), with the reason."""
    return StatusPublic(**entry.retire_report(store, principal, source_id, body.reason))


@router.post("/{source_id}/restore", response_model=StatusPublic, operation_id="restore_source")
def restore_source(
    source_id: RecordId, body: Reason, principal: PrincipalDep, store: StoreDep
) -> StatusPublic:
    return StatusPublic(
        **entry.retire_report(store, principal, source_id, body.reason, restore=True)
    )
