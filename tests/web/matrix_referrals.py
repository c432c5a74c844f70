"""Access-matrix rows of the network's referrals routes (merged by test_access_matrix)."""

from __future__ import annotations

from tests.web.roles import ADMIN, ALL, PARTNER, PUBLIC, RECORDS, REGISTRY, STAFF  # noqa: F401

ROWS: dict[tuple[str, str], tuple[object, dict]] = {}


def make_ids(store, ids: dict, hospital_code: str) -> dict:
    """Records of *another* facility than the hospital user's, for the rows' paths."""
    return {}
