"""Every route of the application against every role: allowed, or refused with 403/404.

The routes are enumerated from the app itself, and the test fails for a route that has no
row in :data:`MATRIX`, so a new route cannot be forgotten. Each row names the roles that
may use the route (``PUBLIC`` when no sign-in is needed) and how to call it. Record routes
are called on a person, report and import job of *another* facility than the hospital
user's, so the hospital role must be refused there (404: the record's existence is not
disclosed), while the same call on its own facility's records is allowed (see
test_api.py). "Allowed" means neither 401, 403 nor 404; a 422 for a deliberately
incomplete body still shows that the role passed the access check.

The matrix runs on its own copy of the registry, since allowed calls change records.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from oncoreg.api import create_app
from oncoreg.api.app import all_routes
from oncoreg.services.access import SYSTEM
from oncoreg.settings import Settings
from oncoreg.store import CheckFinding, Facility, ReviewItem, Source, Store, Tumour
from tests.web import (
    matrix_boards,
    matrix_extracts,
    matrix_facilities,
    matrix_referrals,
    matrix_trials,
)
from tests.web.conftest import ROLES, SECRET, copy_registry, sign_in
from tests.web.roles import ADMIN, ALL, PUBLIC, RECORDS, REGISTRY, STAFF, STATS

# the oncology network's routes: each area keeps its rows, and makes the records they use
NETWORK_AREAS = (matrix_facilities, matrix_referrals, matrix_boards, matrix_trials, matrix_extracts)


# (method, path template) -> (who may, request). Path values come from ``ids``.
MATRIX: dict[tuple[str, str], tuple[object, dict]] = {
    ("GET", "/openapi.json"): (PUBLIC, {}),
    ("GET", "/api/docs"): (PUBLIC, {}),
    ("GET", "/docs/oauth2-redirect"): (PUBLIC, {}),
    ("POST", "/api/v1/session"): (PUBLIC, {"json": {"username": "nobody", "password": "x"}}),
    ("DELETE", "/api/v1/session"): (ALL, {"keep_session": False}),
    ("GET", "/api/v1/me"): (ALL, {}),
    ("POST", "/api/v1/me/password"): (
        ALL,
        {"json": {"current_password": "wrong", "new_password": "short"}},
    ),
    ("GET", "/api/v1/persons"): (RECORDS, {"params": {"birth_year": 1960}}),
    ("GET", "/api/v1/persons/{person_id}"): (REGISTRY | {"analyst"}, {}),
    ("POST", "/api/v1/persons/{person_id}/follow-ups"): (
        REGISTRY,
        {"json": {"contact_date": "2025-01-02", "vital_status": "1"}},
    ),
    ("GET", "/api/v1/tumours/{tumour_id}"): (REGISTRY | {"analyst"}, {}),
    ("GET", "/api/v1/sources/{source_id}"): (REGISTRY | {"analyst"}, {}),
    ("POST", "/api/v1/sources"): (
        REGISTRY,  # the hospital user may enter its own facility's reports only
        {"json": {"fields": {"report_id": "M-{new_user}", "facility_code": "{facility}"}}},
    ),
    ("POST", "/api/v1/sources/{source_id}/obsolete"): (REGISTRY, {"json": {"reason": "x"}}),
    ("POST", "/api/v1/sources/{source_id}/restore"): (REGISTRY, {"json": {"reason": "x"}}),
    ("POST", "/api/v1/sources/{source_id}/check"): (REGISTRY, {"json": {"changes": {}}}),
    ("PATCH", "/api/v1/sources/{source_id}"): (REGISTRY, {"json": {"changes": {}}}),
    ("GET", "/api/v1/checks"): (RECORDS, {}),
    ("POST", "/api/v1/checks/confirmations"): (
        REGISTRY,
        {
            "json": {
                "facility_code": "{facility}",
                "report_id": "{report}",
                "rule_id": "{rule}",
                "reason": "matrix",
            }
        },
    ),
    ("GET", "/api/v1/review"): (REGISTRY, {}),
    ("GET", "/api/v1/review/{item_id}"): (REGISTRY, {}),
    ("POST", "/api/v1/review/{item_id}/decision"): (
        REGISTRY,
        {"json": {"decision": "unsure", "note": "matrix"}},
    ),
    ("POST", "/api/v1/imports"): (STAFF, {"files": {"file": ("empty.csv", b"")}}),
    ("GET", "/api/v1/imports"): (STAFF, {}),
    ("GET", "/api/v1/imports/{job_id}"): (REGISTRY, {}),
    ("GET", "/api/v1/imports/{job_id}/rejects"): (REGISTRY, {}),
    ("GET", "/api/v1/facilities"): (RECORDS, {}),
    ("GET", "/api/v1/users"): (ADMIN, {}),
    ("POST", "/api/v1/users"): (ADMIN, {"json": {"username": "{new_user}", "role": "analyst"}}),
    ("POST", "/api/v1/users/{username}/deactivate"): (ADMIN, {"path": {"username": "{new_user}"}}),
    ("GET", "/api/v1/audit"): (ADMIN, {}),
    ("GET", "/api/v1/stats/incidence"): (STATS, {"params": {"years": "2020-2023"}}),
    ("GET", "/api/v1/stats/age-specific"): (STATS, {"params": {"years": "2020-2023"}}),
    ("GET", "/api/v1/stats/trend"): (STATS, {"params": {"years": "2019-2023"}}),
    ("GET", "/api/v1/stats/survival"): (STATS, {"params": {"years": "2019-2023", "sites": 2}}),
    ("GET", "/api/v1/stats/quality"): (STATS, {"params": {"years": "2020-2023"}}),
    # pages
    ("GET", "/login"): (PUBLIC, {}),
    ("POST", "/login"): (PUBLIC, {"data": {"username": "nobody", "password": "x"}}),
    ("POST", "/logout"): (ALL, {"keep_session": False}),
    ("GET", "/lang/{code}"): (PUBLIC, {"path": {"code": "en"}}),
    ("GET", "/account/password"): (ALL, {}),
    ("POST", "/account/password"): (ALL, {"data": {"current_password": "x"}}),
    ("GET", "/"): (RECORDS, {"params": {"birth_year": 1960}}),
    ("GET", "/persons/{person_id}"): (REGISTRY | {"analyst"}, {}),
    ("POST", "/persons/{person_id}/follow-ups"): (
        REGISTRY,
        {"data": {"contact_date": "2025-01-02", "vital_status": "1"}},
    ),
    ("POST", "/sources/{source_id}/check"): (REGISTRY, {"data": {"topography": "C34.9"}}),
    ("POST", "/sources/{source_id}"): (REGISTRY, {"data": {"topography": "C99.9"}}),
    ("GET", "/reports/new"): (STAFF, {}),
    ("POST", "/reports/new"): (
        REGISTRY,  # the form of another facility's report: the hospital user is refused
        {"data": {"report_id": "P-{new_user}", "facility_code": "{facility}"}},
    ),
    ("GET", "/checks"): (RECORDS, {}),
    ("POST", "/checks/confirm"): (
        REGISTRY,
        {
            "data": {
                "facility_code": "{facility}",
                "report_id": "{report}",
                "rule_id": "{rule}",
                "reason": "matrix",
            }
        },
    ),
    ("GET", "/review"): (REGISTRY, {}),
    ("GET", "/review/{item_id}"): (REGISTRY, {}),
    ("POST", "/review/{item_id}"): (REGISTRY, {"data": {"decision": "unsure"}}),
    ("GET", "/imports"): (STAFF, {}),
    ("POST", "/imports"): (STAFF, {"files": {"file": ("empty.csv", b"")}}),
    ("GET", "/imports/{job_id}"): (REGISTRY, {}),
    ("GET", "/users"): (ADMIN, {}),
    ("POST", "/users"): (ADMIN, {"data": {"username": "{new_user}", "role": "analyst"}}),
    ("GET", "/audit"): (ADMIN, {}),
    ("GET", "/dashboard"): (STATS, {"params": {"years": "2020-2023"}}),
    ("GET", "/charts/{name}.{fmt}"): (
        STATS,
        {"path": {"name": "top-sites", "fmt": "csv"}, "params": {"years": "2020-2023"}},
    ),
    ("GET", "/report"): (STATS, {}),
    ("GET", "/report/download"): (STATS, {"params": {"year": 2023, "format": "html"}}),
}
for _area in NETWORK_AREAS:
    MATRIX.update(_area.ROWS)
# Routes that are not part of the access model: static files.
NOT_ROUTES = {"/static"}


@pytest.fixture(scope="module")
def matrix_app(web_registry, tmp_path_factory, hospital_code):
    """The application on a copy of the session registry, with the ids the rows use."""
    store = copy_registry(web_registry, tmp_path_factory.mktemp("matrix"))
    app = create_app(store, Settings(database_url=store.url, secret_key=SECRET))
    ids = _other_facility_ids(store, hospital_code)
    for area in NETWORK_AREAS:
        ids.update(area.make_ids(store, dict(ids), hospital_code))
    admin = sign_in(app, "admin-user")
    job = admin.post(
        "/api/v1/imports", files={"file": ("reports.csv", _one_report(ids["facility"]))}
    )
    assert job.status_code == 202, job.text
    app.state.uploads.wait(SYSTEM, job.json()["id"])
    ids["job_id"] = job.json()["id"]
    yield app, ids
    store.dispose()


def _other_facility_ids(store: Store, hospital: str) -> dict:
    """A report with a warning, its person, and a review item, of a facility other than
    the hospital user's (whose user sees none of that person's reports)."""
    with store.session() as session:
        own = (
            select(Source.tumour_id)
            .join(Facility)
            .where(Facility.code == hospital, Source.tumour_id.is_not(None))
        )
        row = session.execute(
            select(
                Source.id,
                Source.report_id,
                Facility.code,
                Tumour.person_id,
                CheckFinding.rule_id,
                Source.tumour_id,
            )
            .join(Facility, Facility.id == Source.facility_id)
            .join(Tumour, Tumour.id == Source.tumour_id)
            .join(CheckFinding, CheckFinding.source_id == Source.id)
            .where(Facility.code != hospital, Source.tumour_id.not_in(own))
            .where(CheckFinding.severity == "warning")
            .order_by(Source.id)
        ).first()
        item = session.scalar(select(ReviewItem.id).order_by(ReviewItem.id))
    assert row is not None and item is not None
    return {
        "source_id": row.id,
        "report": row.report_id,
        "facility": row.code,
        "person_id": row.person_id,
        "item_id": item,
        "rule": row.rule_id,
        "tumour_id": row.tumour_id,
    }


def _one_report(facility: str) -> bytes:
    """A report with a bad sex code: the import rejects it and writes a rejects file."""
    header = "report_id,facility_code,family_name,given_name,sex,birth_date,topography,"
    header += "morphology,basis,diagnosis_date"
    row = f"MATRIX-1,{facility},Trần,Lan,7,1960-01-01,C50.9,8500/3,7,2024-03-01"
    return (header + "\n" + row + "\n").encode()


def _request(client: TestClient, method: str, path: str, spec: dict, ids: dict, role: str):
    values = {**ids, "new_user": f"made-by-{role}", **spec.get("path", {})}
    values = {k: (v.format(**values) if isinstance(v, str) else v) for k, v in values.items()}
    url = path.format(**values)
    kwargs = {}
    for key in ("json", "data"):
        if key in spec:
            kwargs[key] = {
                k: (v.format(**values) if isinstance(v, str) else v) for k, v in spec[key].items()
            }
    if "params" in spec:
        kwargs["params"] = spec["params"]
    if "files" in spec:
        kwargs["files"] = spec["files"]
    return client.request(method, url, follow_redirects=False, **kwargs)


def _rows(app) -> list[tuple[str, str]]:
    found = []
    for prefix, route in all_routes(app):
        path = prefix + route.path
        if path in NOT_ROUTES:
            continue
        for method in sorted(getattr(route, "methods", None) or []):
            if method != "HEAD":
                found.append((method, path))
    return found


def test_every_route_has_a_row_in_the_matrix(matrix_app):
    app, _ = matrix_app
    missing = [r for r in _rows(app) if r not in MATRIX]
    assert not missing, f"routes without an access rule in MATRIX: {missing}"
    stale = [r for r in MATRIX if r not in _rows(app)]
    assert not stale, f"MATRIX rows for routes that no longer exist: {stale}"


@pytest.mark.parametrize("role", ROLES)
def test_each_role_is_allowed_or_refused_as_the_matrix_says(matrix_app, role):
    app, ids = matrix_app
    wrong = []
    signed_in = sign_in(app, f"{role}-user")
    for (method, path), (who, spec) in MATRIX.items():
        if who == PUBLIC:
            continue
        ends_session = spec.get("keep_session", True) is False
        client = sign_in(app, f"{role}-user") if ends_session else signed_in
        answer = _request(client, method, path, spec, ids, role)
        allowed = role in who
        status = answer.status_code
        if status >= 500:
            wrong.append(f"{method} {path}: {status}")
        elif allowed and status in (401, 403, 404):
            wrong.append(f"{method} {path}: refused ({status}) but {role} may")
        elif not allowed and status not in (403, 404):
            wrong.append(f"{method} {path}: answered {status} but {role} may not")
    assert not wrong, "\n".join(wrong)


def test_public_routes_answer_without_sign_in_and_the_rest_ask_for_it(matrix_app):
    app, ids = matrix_app
    anonymous = TestClient(app, raise_server_exceptions=False)
    for (method, path), (who, spec) in MATRIX.items():
        answer = _request(anonymous, method, path, spec, ids, "anonymous")
        if who == PUBLIC:
            assert answer.status_code < 500, (method, path, answer.status_code)
            assert "not_signed_in" not in answer.text, (method, path)
        elif path.startswith("/api/"):
            assert answer.status_code == 401, (method, path, answer.status_code)
            assert answer.json()["error"] == "not_signed_in"
        else:
            assert answer.status_code in (303, 401), (method, path, answer.status_code)
            if answer.status_code == 303:
                assert answer.headers["location"].startswith("/login")
