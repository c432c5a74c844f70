"""Access-matrix rows of the network's trials routes (merged by test_access_matrix)."""

from __future__ import annotations

from tests.web.roles import ADMIN, ALL, PARTNER, PUBLIC, RECORDS, REGISTRY, STAFF  # noqa: F401

READERS = RECORDS  # admin, registrar, hospital, analyst: everyone but partners reads trials
MATCHERS = REGISTRY | {"analyst"}  # the person is another facility's: hospital gets 404
BAD_TOML = b"[[trial]]\ncode = 'MATRIX-BAD'\n"  # no title: 422 for whoever may import
ENROL = {"person_id": "{person_id}", "facility": "{facility}"}

ROWS: dict[tuple[str, str], tuple[object, dict]] = {
    ("GET", "/api/v1/trials"): (READERS, {"params": {"state": "open"}}),
    ("POST", "/api/v1/trials/import"): (REGISTRY, {"files": {"file": ("t.toml", BAD_TOML)}}),
    ("GET", "/api/v1/trials/match/{person_id}"): (MATCHERS, {}),
    ("GET", "/api/v1/trials/{trial_code}"): (READERS, {}),
    ("POST", "/api/v1/trials/{trial_code}/state"): (REGISTRY, {"json": {"state": "open"}}),
    ("GET", "/api/v1/trials/{trial_code}/eligible-persons"): (READERS, {"params": {"limit": 5}}),
    ("GET", "/api/v1/trials/{trial_code}/accrual"): (READERS, {}),
    ("POST", "/api/v1/trials/{trial_code}/enrolments"): (REGISTRY, {"json": ENROL}),
    ("GET", "/trials"): (READERS, {}),
    ("GET", "/trials/match/{person_id}"): (MATCHERS, {}),
    ("GET", "/trials/{trial_code}"): (READERS, {}),
    ("POST", "/trials/{trial_code}/enrolments"): (REGISTRY, {"data": ENROL}),
}


def make_ids(store, ids: dict, hospital_code: str) -> dict:
    """An open trial whose only site is another facility than the hospital user's (the
    person of ``ids["person_id"]`` is that facility's, so the hospital user sees neither)."""
    from oncoreg.network.trials import import_trials
    from oncoreg.services.access import SYSTEM

    text = (
        "[[trial]]\n"
        'code = "MATRIX-TRIAL"\n'
        'title_vi = "Thử nghiệm của ma trận quyền"\n'
        'state = "open"\n'
        "target_accrual = 10\n"
        f'sites = [{{ facility = "{ids["facility"]}", target = 10 }}]\n'
        "eligibility = { age = { min = 18 } }\n"
    )
    import_trials(store, SYSTEM, text, name="matrix.toml")
    return {"trial_code": "MATRIX-TRIAL"}
