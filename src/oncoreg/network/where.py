"""Where a service is available: the facilities whose recorded capacity has what it
needs, nearest first.

Distances are great-circle kilometres (haversine, mean Earth radius 6,371.0088 km) from
the administrative centre of a province (``data/province_centres.csv``, see
``data/SOURCES.md``) to the facility's own coordinates, or, for a facility without them,
to its province's centre (the distance is then marked ``approx``).
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from functools import cache
from importlib import resources

from sqlalchemy import select

from oncoreg.codes.provinces import ERA_2004, ERA_2025
from oncoreg.errors import InputError
from oncoreg.model import FacilityLevel, RecordStatus
from oncoreg.network.capacity import SERVICES, offers, service
from oncoreg.services.access import Permission, Principal, require
from oncoreg.store import Facility, Store
from oncoreg.text import fold_vietnamese

EARTH_RADIUS_KM = 6371.0088
CENTRES_FILE = "province_centres.csv"
LEVEL_RANK = {level: rank for rank, level in enumerate(FacilityLevel)}
MAX_LIMIT = 500


@dataclass(frozen=True)
class Centre:
    """The administrative centre of a province of one era."""

    era: str
    code: str
    name: str
    latitude: float
    longitude: float


@dataclass(frozen=True)
class Availability:
    """A facility that has the capacity for a service, and how far it is."""

    code: str
    name_vi: str
    name_en: str | None
    level: str
    type: str
    province_code: str
    beds: int | None
    equipment: dict[str, int]
    needed_equipment: dict[str, int]
    latitude: float
    longitude: float
    approx: bool
    distance_km: float | None


@cache
def province_centres() -> dict[tuple[str, str], Centre]:
    """Every province centre of the package's table, by (era, code)."""
    ref = resources.files("oncoreg.network").joinpath("data", CENTRES_FILE)
    rows = csv.DictReader(io.StringIO(ref.read_text(encoding="utf-8")))
    centres = [
        Centre(r["era"], r["code"], r["centre"], float(r["latitude"]), float(r["longitude"]))
        for r in rows
    ]
    return {(c.era, c.code): c for c in centres}


def province_centre(code: str, era: str | None = None) -> Centre:
    """The centre of the province ``code`` (2025 unit first, then a pre-2025 province).

    Raises:
        InputError: no province of that code has a centre in the table.
    """
    eras = (era,) if era else (ERA_2025, ERA_2004)
    key = code.strip().zfill(2)
    for e in eras:
        found = province_centres().get((e, key))
        if found is not None:
            return found
    raise InputError(
        f"{code!r} is not a province code with a known centre",
        hint="a 2-digit GSO province code, e.g. 01 (Hà Nội) or 79 (TP Hồ Chí Minh)",
    )


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The great-circle distance in km between two WGS84 points (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def where_available(
    store: Store,
    principal: Principal,
    service_name: str,
    province_code: str | None = None,
    limit: int = 20,
) -> list[Availability]:
    """Facilities whose recorded capacity has all that a service needs.

    With ``province_code`` they are ordered nearest first from that province's centre;
    without, by level (central first) then name. Facilities whose capacity was never
    recorded are not listed.

    Args:
        store: The registry.
        principal: The user asking (needs Permission.FACILITIES).
        service_name: A name of :data:`~oncoreg.network.capacity.SERVICES`.
        province_code: A 2025 or pre-2025 province code, or None.
        limit: At most this many facilities (1-500).

    Raises:
        Forbidden: the role may not read facilities.
        InputError: unknown service or province, or a limit out of range.
    """
    require(principal, Permission.FACILITIES)
    name = service(service_name).name
    origin = province_centre(province_code) if province_code else None
    if not 1 <= limit <= MAX_LIMIT:
        raise InputError(f"limit must be from 1 to {MAX_LIMIT}")
    with store.session() as session:
        facilities = session.scalars(
            select(Facility).where(Facility.status != RecordStatus.OBSOLETE)
        ).all()
        found = [_availability(f, name, origin) for f in facilities if _offers(f, name)]
    return sorted(found, key=_order_key)[:limit]


def _offers(facility: Facility, name: str) -> bool:
    return offers(facility.specialties, facility.equipment, name)


def _availability(f: Facility, name: str, origin: Centre | None) -> Availability:
    approx = f.latitude is None or f.longitude is None
    if approx:
        centre = province_centre(f.province_code)
        lat, lon = centre.latitude, centre.longitude
    else:
        lat, lon = f.latitude, f.longitude
    distance = None
    if origin is not None:
        distance = round(great_circle_km(origin.latitude, origin.longitude, lat, lon), 1)
    equipment = dict(f.equipment or {})
    return Availability(
        code=f.code,
        name_vi=f.name_vi,
        name_en=f.name_en,
        level=f.level.value,
        type=f.type.value,
        province_code=f.province_code,
        beds=f.beds,
        equipment=equipment,
        needed_equipment={e: equipment.get(e, 0) for e in SERVICES[name].equipment},
        latitude=lat,
        longitude=lon,
        approx=approx,
        distance_km=distance,
    )


def _order_key(a: Availability) -> tuple:
    rank = LEVEL_RANK[FacilityLevel(a.level)]
    name = fold_vietnamese(a.name_vi)
    if a.distance_km is None:
        return (rank, name, a.code)
    return (a.distance_km, rank, name, a.code)
