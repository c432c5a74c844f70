"""Access-matrix rows of the network's referrals routes (merged by test_access_matrix).

The referral the rows use is between two facilities other than the hospital user's, so
the hospital role is answered 404 on it. Steps may be refused as not allowed from the
referral's state (422) once an earlier role has moved it on: that still shows the role
passed the access check.
"""

from __future__ import annotations

from sqlalchemy import select

from oncoreg.network.referrals import refer
from oncoreg.services.access import SYSTEM
from oncoreg.store import Facility
from tests.web.roles import ADMIN, ALL, PARTNER, PUBLIC, RECORDS, REGISTRY, STAFF  # noqa: F401

API = "/api/v1/referrals"
ONE = API + "/{referral_id}"
STEP = {"json": {"note": "matrix", "date": "2020-01-01"}}
ROWS: dict[tuple[str, str], tuple[object, dict]] = {
    ("GET", API): (STAFF, {"params": {"state": "sent"}}),
    # an incomplete body: 422 for those who may refer, 403 for the others
    ("POST", API): (STAFF, {"json": {"person_id": "{person_id}"}}),
    ("GET", API + "/waiting-times"): (STAFF, {}),
    ("GET", ONE): (REGISTRY, {}),
    ("POST", ONE + "/accept"): (REGISTRY, STEP),
    ("POST", ONE + "/decline"): (REGISTRY, STEP),
    ("POST", ONE + "/first-visit"): (REGISTRY, STEP),
    ("POST", ONE + "/complete"): (REGISTRY, STEP),
    ("POST", ONE + "/cancel"): (REGISTRY, STEP),
    # pages
    ("GET", "/referrals"): (STAFF, {}),
    ("GET", "/referrals/new"): (STAFF, {}),
    ("POST", "/referrals/new"): (STAFF, {"data": {"reason": "matrix"}}),
    ("GET", "/referrals/waiting-times"): (STAFF, {}),
    ("GET", "/referrals/{referral_id}"): (REGISTRY, {}),
    ("POST", "/referrals/{referral_id}/{action}"): (
        REGISTRY,
        {"path": {"action": "accept"}, "data": {"note": "matrix"}},
    ),
}


def make_ids(store, ids: dict, hospital_code: str) -> dict:
    """Records of *another* facility than the hospital user's, for the rows' paths: a
    referral of ``ids["person_id"]`` from ``ids["facility"]`` to a third facility."""
    sender = ids["facility"]
    with store.session() as session:
        receiver = session.scalar(
            select(Facility.code)
            .where(Facility.code.not_in((sender, hospital_code)))
            .order_by(Facility.code)
        )
    view = refer(
        store,
        SYSTEM,
        person_id=ids["person_id"],
        from_facility=sender,
        to_facility=receiver,
        reason="access matrix",
        urgency="routine",
    )
    return {"referral_id": view.id}
