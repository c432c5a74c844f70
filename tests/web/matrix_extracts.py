"""Access-matrix rows of the network's extracts routes (merged by test_access_matrix).

Partners request extracts and read their own; only administrators record agreements and
approve or refuse. The rows use an agreement naming ``partner-user``, a request of theirs
(``extract_id``, which the administrator's calls approve) and a released extract of theirs
(``released_id``) for the download.
"""

from __future__ import annotations

from datetime import date, timedelta

from oncoreg.model import Role
from oncoreg.network import extracts
from oncoreg.services.access import SYSTEM, Principal
from tests.web.roles import ADMIN, ALL, PARTNER, PUBLIC, RECORDS, REGISTRY, STAFF  # noqa: F401

AGREEMENT = "MATRIX-DSA"
REQUEST = {"variables": ["sex", "vital_status"], "years": "2019-2024", "purpose": "matrix"}
NEW_AGREEMENT = {
    "code": "M-{new_user}",
    "organisation": "Matrix University",
    "title": "matrix",
    "signed_on": "2025-01-01",
    "variables": ["sex"],
    "members": ["partner-user"],
}

ROWS: dict[tuple[str, str], tuple[object, dict]] = {
    ("GET", "/api/v1/extracts/agreements"): (PARTNER, {}),
    ("POST", "/api/v1/extracts/agreements"): (ADMIN, {"json": NEW_AGREEMENT}),
    ("GET", "/api/v1/extracts/variables"): (PARTNER, {}),
    ("GET", "/api/v1/extracts"): (PARTNER, {}),
    ("POST", "/api/v1/extracts"): (PARTNER, {"json": {"agreement": AGREEMENT, **REQUEST}}),
    ("GET", "/api/v1/extracts/{extract_id}"): (PARTNER, {}),
    ("POST", "/api/v1/extracts/{extract_id}/approve"): (ADMIN, {"json": {"note": "matrix"}}),
    ("POST", "/api/v1/extracts/{extract_id}/refuse"): (ADMIN, {"json": {"reason": "matrix"}}),
    ("GET", "/api/v1/extracts/{extract_id}/files/{name}"): (
        PARTNER,
        {"path": {"extract_id": "{released_id}", "name": "data-dictionary.csv"}},
    ),
    # pages
    ("GET", "/extracts"): (PARTNER, {}),
    ("POST", "/extracts"): (
        PARTNER,
        {"data": {"agreement": AGREEMENT, "variables": "sex", "years": "2020", "purpose": "m"}},
    ),
    ("POST", "/extracts/agreements"): (
        ADMIN,
        {"data": {**NEW_AGREEMENT, "code": "P-{new_user}", "variables": "sex", "members": ""}},
    ),
    ("GET", "/extracts/{extract_id}"): (PARTNER, {}),
    ("POST", "/extracts/{extract_id}/approve"): (ADMIN, {"data": {"note": "matrix"}}),
    ("POST", "/extracts/{extract_id}/refuse"): (ADMIN, {"data": {"reason": "matrix"}}),
}


def make_ids(store, ids: dict, hospital_code: str) -> dict:
    """An agreement naming ``partner-user``, a pending request of theirs and a released
    one (extracts belong to no facility: the hospital role is refused by its role)."""
    partner = Principal(username="partner-user", role=Role.PARTNER)
    extracts.record_agreement(
        store,
        SYSTEM,
        code=AGREEMENT,
        organisation="Matrix University",
        title="access matrix",
        signed_on=date.today() - timedelta(days=30),
        variables=["sex", "age_group", "diagnosis_year", "vital_status"],
        members=["partner-user"],
    )
    pending = extracts.request_extract(store, partner, AGREEMENT, **REQUEST)
    released = extracts.request_extract(store, partner, AGREEMENT, **REQUEST)
    view = extracts.approve(store, SYSTEM, released.id)
    assert view.state == "released", view.decision_note
    return {"extract_id": pending.id, "released_id": released.id}
