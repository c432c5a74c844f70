"""schemathesis against the OpenAPI schema: requests generated from the schema, signed in
as an administrator (who may call every operation), never get a 5xx answer.

Runs on its own copy of the registry. Signing out is left out so that the session lives
through the run (signing out is tested in test_auth.py).
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from oncoreg.api import create_app
from oncoreg.settings import Settings
from tests.web.conftest import PASSWORD, SECRET, copy_registry

schemathesis = pytest.importorskip("schemathesis")
from schemathesis.checks import not_a_server_error  # noqa: E402

EXAMPLES = 25


@pytest.fixture(scope="module")
def fuzz_app(web_registry, tmp_path_factory):
    store = copy_registry(web_registry, tmp_path_factory.mktemp("fuzz"))
    app = create_app(store, Settings(database_url=store.url, secret_key=SECRET))
    answer = TestClient(app).post(
        "/api/v1/session", json={"username": "admin-user", "password": PASSWORD}
    )
    app.state.fuzz_token = answer.json()["token"]
    yield app
    store.dispose()


def _operations(app) -> list:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    return [op for op in operations if op.definition.raw.get("operationId") != "sign_out"]


def test_no_generated_request_gets_a_server_error(fuzz_app):
    """Each operation of the schema gets EXAMPLES generated requests (hypothesis drives
    schemathesis' strategies; its pytest plugin does not run under pytest 9)."""
    headers = {"Authorization": f"Bearer {fuzz_app.state.fuzz_token}"}
    operations = _operations(fuzz_app)
    assert len(operations) >= 20
    for operation in operations:

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        @given(case=operation.as_strategy())
        def call(case) -> None:
            response = case.call(headers=headers)
            case.validate_response(response, checks=(not_a_server_error,))

        call()
