"""Facilities of the network."""

from __future__ import annotations

from fastapi import APIRouter

from oncoreg.api.deps import StoreDep, allowed
from oncoreg.api.models import FacilitiesPublic
from oncoreg.services.access import Permission, Principal
from oncoreg.services.facilities import list_facilities

router = APIRouter(prefix="/api/v1/facilities", tags=["facilities"])
Reader = allowed(Permission.FACILITIES)


@router.get("", response_model=FacilitiesPublic, operation_id="list_facilities")
def facilities(store: StoreDep, principal: Principal = Reader) -> FacilitiesPublic:
    return FacilitiesPublic(data=[vars(f) for f in list_facilities(store)])
