"""Access-matrix rows of the network's facilities routes (merged by test_access_matrix).

Facilities are a directory: every role with Permission.FACILITIES (admin, registrar,
hospital, analyst) reads every facility; only admins import. GET /api/v1/facilities is
in MATRIX itself.
"""

from __future__ import annotations

from tests.web.roles import ADMIN, ALL, PARTNER, PUBLIC, RECORDS, REGISTRY, STAFF  # noqa: F401

EMPTY_CSV = {"file": ("empty.csv", b"")}

ROWS: dict[tuple[str, str], tuple[object, dict]] = {
    ("GET", "/api/v1/facilities/where"): (RECORDS, {"params": {"service": "ct"}}),
    ("GET", "/api/v1/facilities/services"): (RECORDS, {}),
    ("GET", "/api/v1/facilities/export.csv"): (RECORDS, {}),
    ("POST", "/api/v1/facilities/import"): (ADMIN, {"files": EMPTY_CSV}),
    ("GET", "/api/v1/facilities/{facility_code}"): (RECORDS, {}),
    # pages
    ("GET", "/facilities"): (RECORDS, {"params": {"level": "provincial"}}),
    ("POST", "/facilities/import"): (ADMIN, {"files": EMPTY_CSV}),
    ("GET", "/facilities/where"): (RECORDS, {"params": {"service": "ct", "province": "01"}}),
    ("GET", "/facilities/{facility_code}"): (RECORDS, {}),
}


def make_ids(store, ids: dict, hospital_code: str) -> dict:
    """A facility other than the hospital user's (facilities are readable by every role
    with Permission.FACILITIES, the hospital role included)."""
    return {"facility_code": ids["facility"]}
