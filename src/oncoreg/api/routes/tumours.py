"""Tumours: one tumour with the reports of it the user may see."""

from __future__ import annotations

from fastapi import APIRouter

from oncoreg.api.deps import PrincipalDep, RecordId, StoreDep
from oncoreg.api.models import RecordPublic
from oncoreg.services import records

router = APIRouter(prefix="/api/v1/tumours", tags=["tumours"])


@router.get("/{tumour_id}", response_model=RecordPublic, operation_id="get_tumour")
def get_tumour(tumour_id: RecordId, principal: PrincipalDep, store: StoreDep) -> RecordPublic:
    return RecordPublic(record=records.tumour_view(store, principal, tumour_id))
