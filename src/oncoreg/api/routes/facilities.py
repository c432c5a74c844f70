"""Facilities of the network: the list with capacity, one facility, where a service is
available, the service vocabulary, and CSV export/import."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel

from oncoreg.api.deps import StoreDep, allowed
from oncoreg.network.capacity import service_catalogue
from oncoreg.network.where import Availability, where_available
from oncoreg.services.access import Permission, Principal
from oncoreg.services.facilities import (
    MAX_UPLOAD,
    FacilityDetail,
    FacilityListing,
    export_facilities,
    facility_detail,
    facility_listing,
    import_upload,
)

router = APIRouter(prefix="/api/v1/facilities", tags=["facilities"])
Reader = allowed(Permission.FACILITIES)
Manager = allowed(Permission.MANAGE_FACILITIES)
FacilityCode = Annotated[str, Path(min_length=1, max_length=32, description="a facility code")]


class FacilitiesCapacityPublic(BaseModel):
    data: list[FacilityListing]
    count: int


class AvailabilitiesPublic(BaseModel):
    service: str
    province: str | None
    data: list[Availability]
    count: int


class NeedPublic(BaseModel):
    name: str
    label: str


class ServicePublic(BaseModel):
    name: str
    label: str
    specialties: list[NeedPublic]
    equipment: list[NeedPublic]


class ServicesPublic(BaseModel):
    data: list[ServicePublic]
    count: int


class FacilityImportPublic(BaseModel):
    file: str
    read: int
    inserted: int
    updated: int
    unchanged: int


@router.get("", response_model=FacilitiesCapacityPublic, operation_id="list_facilities")
def facilities(
    store: StoreDep,
    principal: Principal = Reader,
    level: str | None = Query(None, max_length=16),
    province_code: str | None = Query(None, max_length=8),
) -> FacilitiesCapacityPublic:
    """The facilities with their capacity, filtered by level and province."""
    rows = facility_listing(store, principal, level=level, province_code=province_code)
    return FacilitiesCapacityPublic(data=rows, count=len(rows))


@router.get("/where", response_model=AvailabilitiesPublic, operation_id="where_available")
def where(
    store: StoreDep,
    principal: Principal = Reader,
    service: str = Query(..., max_length=32),
    province: str | None = Query(None, max_length=8),
    limit: int = Query(20, ge=1, le=500),
) -> AvailabilitiesPublic:
    """Facilities that have the capacity for a service, nearest first from a province."""
    rows = where_available(store, principal, service, province_code=province, limit=limit)
    return AvailabilitiesPublic(service=service, province=province, data=rows, count=len(rows))


@router.get("/services", response_model=ServicesPublic, operation_id="list_facility_services")
def services(principal: Principal = Reader) -> ServicesPublic:
    """The services a facility may offer, and the specialties and equipment each needs."""
    data = service_catalogue()
    return ServicesPublic(data=data, count=len(data))


@router.get(
    "/export.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
    operation_id="export_facilities",
)
def export(store: StoreDep, principal: Principal = Reader) -> Response:
    """The facilities as a CSV of the import contract (a download)."""
    return Response(
        export_facilities(store, principal),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="facilities.csv"'},
    )


@router.post("/import", response_model=FacilityImportPublic, operation_id="import_facilities")
def import_file(
    file: UploadFile, store: StoreDep, principal: Principal = Manager
) -> FacilityImportPublic:
    """Import a facility CSV, all or nothing: 422 with every problem when a row is bad."""
    content = file.file.read(MAX_UPLOAD + 1)
    result = import_upload(store, principal, file.filename or "", content)
    return FacilityImportPublic(
        file=result.path.name,
        read=result.read,
        inserted=result.inserted,
        updated=result.updated,
        unchanged=result.unchanged,
    )


@router.get("/{facility_code}", response_model=FacilityDetail, operation_id="get_facility")
def facility(
    facility_code: FacilityCode, store: StoreDep, principal: Principal = Reader
) -> FacilityDetail:
    """One facility: capacity, the services it offers, its parent and its children."""
    return facility_detail(store, principal, facility_code)
