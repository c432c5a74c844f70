"""Access-matrix rows of the network's boards routes (merged by test_access_matrix).

The board is hosted by, and its case presented by, facilities other than the hospital
user's: the hospital user reads the board and its meetings (boards are known to the whole
network) but may not act for the host (403) and does not see the case (404).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from oncoreg.network import boards
from oncoreg.services.access import SYSTEM
from oncoreg.store import Facility
from tests.web.roles import ADMIN, ALL, PARTNER, PUBLIC, RECORDS, REGISTRY, STAFF  # noqa: F401

API = "/api/v1/boards"
SUBMIT = {
    "board": "{board_id}",
    "person_id": "{person_id}",
    "question": "matrix question",
    "presenting_facility": "{facility}",
}
ROWS: dict[tuple[str, str], tuple[object, dict]] = {
    ("GET", API): (STAFF, {}),
    ("POST", API): (
        REGISTRY,
        {"json": {"code": "{new_user}", "name": "Matrix board", "host": "{facility}"}},
    ),
    ("GET", API + "/{board_id}"): (STAFF, {}),
    ("POST", API + "/{board_id}/members"): (
        REGISTRY,
        {"json": {"name": "Matrix member", "specialty": "pathology"}},
    ),
    ("POST", API + "/{board_id}/members/{member_id}/retire"): (REGISTRY, {}),
    ("POST", API + "/{board_id}/meetings"): (
        REGISTRY,  # the hospital user's facility does not host the board
        {"json": {"starts_at": "2031-01-07T14:00:00", "location": "room 3"}},
    ),
    ("GET", API + "/meetings/{meeting_id}"): (STAFF, {}),
    ("POST", API + "/meetings/{meeting_id}/held"): (
        REGISTRY,
        {"json": {"attendees": [], "minutes": "matrix minutes"}},
    ),
    ("POST", API + "/meetings/{meeting_id}/cancel"): (REGISTRY, {}),
    ("GET", API + "/meetings/{meeting_id}/agenda.pdf"): (STAFF, {"params": {"lang": "en"}}),
    ("GET", API + "/meetings/{meeting_id}/minutes.pdf"): (STAFF, {}),
    ("GET", API + "/cases"): (STAFF, {"params": {"state": "submitted"}}),
    ("POST", API + "/cases"): (REGISTRY, {"json": SUBMIT}),
    ("GET", API + "/cases/{case_id}"): (REGISTRY, {}),
    ("POST", API + "/cases/{case_id}/schedule"): (
        REGISTRY,
        {"json": {"meeting_id": "{meeting_id}"}},
    ),
    ("POST", API + "/cases/{case_id}/withdraw"): (REGISTRY, {}),
    ("POST", API + "/cases/{case_id}/recommendation"): (
        REGISTRY,
        {"json": {"recommendation": "matrix recommendation"}},
    ),
    # pages
    ("GET", "/boards"): (STAFF, {}),
    ("POST", "/boards"): (
        REGISTRY,
        {"data": {"code": "p-{new_user}", "name": "Matrix board", "host": "{facility}"}},
    ),
    ("GET", "/boards/{board_id}"): (STAFF, {}),
    ("POST", "/boards/{board_id}/members"): (
        REGISTRY,
        {"data": {"name": "Matrix member", "specialty": "radiology"}},
    ),
    ("POST", "/boards/{board_id}/meetings"): (
        REGISTRY,
        {"data": {"starts_at": "2031-01-14T14:00", "location": "room 3"}},
    ),
    ("GET", "/boards/meetings/{meeting_id}"): (STAFF, {}),
    ("POST", "/boards/meetings/{meeting_id}/held"): (REGISTRY, {"data": {"minutes": "m"}}),
    ("POST", "/boards/meetings/{meeting_id}/cancel"): (REGISTRY, {}),
    ("GET", "/boards/cases/new"): (STAFF, {"params": {"person_id": 1}}),
    ("POST", "/boards/cases/new"): (REGISTRY, {"data": SUBMIT}),
    ("GET", "/boards/cases/{case_id}"): (REGISTRY, {}),
    ("POST", "/boards/cases/{case_id}/schedule"): (
        REGISTRY,
        {"data": {"meeting_id": "{meeting_id}"}},
    ),
    ("POST", "/boards/cases/{case_id}/withdraw"): (REGISTRY, {}),
    ("POST", "/boards/cases/{case_id}/recommendation"): (
        REGISTRY,
        {"data": {"recommendation": "matrix recommendation"}},
    ),
}


def make_ids(store, ids: dict, hospital_code: str) -> dict:
    """Records of *another* facility than the hospital user's, for the rows' paths: a
    board hosted by another facility with a member and a planned meeting, and a case
    presented by the facility of ``ids["person_id"]`` (a person the hospital user cannot
    see)."""
    with store.session() as session:
        host = session.scalar(
            select(Facility.code)
            .where(Facility.code.not_in([hospital_code, ids["facility"]]))
            .order_by(Facility.code)
        )
    board = boards.create_board(store, SYSTEM, code="MATRIX-MDT", name="Matrix board", host=host)
    member = boards.add_member(store, SYSTEM, board["id"], name="Dr Matrix", specialty="surgery")
    meeting = boards.schedule_meeting(store, SYSTEM, board["id"], starts_at=datetime(2031, 1, 1))
    case = boards.submit_case(
        store,
        SYSTEM,
        board=board["id"],
        person_id=ids["person_id"],
        question="matrix question",
        presenting_facility=ids["facility"],
    )
    return {
        "board_id": board["id"],
        "member_id": member["id"],
        "meeting_id": meeting["id"],
        "case_id": case["id"],
    }
