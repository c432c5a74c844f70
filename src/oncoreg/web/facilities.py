"""Pages: facilities of the network and where a treatment is available."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from oncoreg.api.deps import AuthDep, PrincipalDep, StoreDep
from oncoreg.codes.provinces import ERA_2025, provinces
from oncoreg.errors import InputError
from oncoreg.model import FacilityLevel
from oncoreg.network.capacity import EQUIPMENT, SERVICES, SPECIALTIES
from oncoreg.network.where import where_available
from oncoreg.services.access import Permission, require
from oncoreg.services.facilities import (
    MAX_UPLOAD,
    facility_detail,
    facility_listing,
    facility_tree,
    import_upload,
)
from oncoreg.web.render import render

router = APIRouter(include_in_schema=False)


def _twin(path: str, **params: str | None) -> str:
    given = {k: v for k, v in params.items() if v}
    return f"{path}?{urlencode(given)}" if given else path


def _vocabulary() -> dict:
    return {
        "provinces": provinces(ERA_2025),
        "province_names": {p.code: p.short_name_vi for p in provinces(ERA_2025)},
        "levels": [level.value for level in FacilityLevel],
        "services": SERVICES,
        "equipment_labels": EQUIPMENT,
        "specialty_labels": SPECIALTIES,
    }


def _list_context(store, principal, province: str, level: str) -> dict:
    rows = facility_listing(store, principal, level=level or None, province_code=province or None)
    return {"tree": facility_tree(rows), "count": len(rows), "province": province, "level": level}


@router.get("/facilities")
def facilities_page(
    request: Request,
    auth: AuthDep,
    principal: PrincipalDep,
    store: StoreDep,
    province: str = Query("", max_length=8),
    level: str = Query("", max_length=16),
) -> Response:
    context = _list_context(store, principal, province, level) | _vocabulary()
    twin = _twin("/api/v1/facilities", province_code=province, level=level)
    return render(request, "facilities.html", context, auth, twin=twin)


@router.post("/facilities/import")
def import_facilities_form(
    request: Request, auth: AuthDep, principal: PrincipalDep, store: StoreDep, file: UploadFile
) -> Response:
    require(principal, Permission.MANAGE_FACILITIES)
    try:
        content = file.file.read(MAX_UPLOAD + 1)
        result = import_upload(store, principal, file.filename or "", content)
    except InputError as err:
        context = _list_context(store, principal, "", "") | _vocabulary()
        context |= {"message": err.message, "problems": [str(p) for p in err.problems[:200]]}
        return render(request, "facilities.html", context, auth, status_code=422)
    done = {"read": result.read, "added": result.inserted, "updated": result.updated}
    return RedirectResponse(f"/facilities?{urlencode(done)}", status_code=303)


@router.get("/facilities/where")
def where_page(
    request: Request,
    auth: AuthDep,
    principal: PrincipalDep,
    store: StoreDep,
    service: str = Query("", max_length=32),
    province: str = Query("", max_length=8),
    limit: int = Query(20, ge=1, le=500),
) -> Response:
    require(principal, Permission.FACILITIES)
    rows = None
    if service:
        origin = province or None
        rows = where_available(store, principal, service, province_code=origin, limit=limit)
    context = {"rows": rows, "service": service, "province": province} | _vocabulary()
    twin = _twin("/api/v1/facilities/where", service=service or "radiotherapy", province=province)
    return render(request, "facilities_where.html", context, auth, twin=twin)


@router.get("/facilities/{facility_code}")
def facility_page(
    request: Request,
    auth: AuthDep,
    principal: PrincipalDep,
    store: StoreDep,
    facility_code: str = Path(min_length=1, max_length=32),
) -> Response:
    detail = facility_detail(store, principal, facility_code)
    context = {"detail": detail, "f": detail.facility} | _vocabulary()
    twin = f"/api/v1/facilities/{facility_code}"
    return render(request, "facilities_detail.html", context, auth, twin=twin)
