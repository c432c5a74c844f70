"""The same store tests run on SQLite and on PostgreSQL.

PostgreSQL is the server at ONCOREG_TEST_POSTGRES_URL (default: 127.0.0.1:5432, trust
auth, database ``test``); each test gets a database of its own, dropped afterwards. Where
no server answers, the PostgreSQL cases are skipped with that reason.
"""

from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from oncoreg.store import Store, upgrade

SECRET = "test-secret-" + "x" * 40
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _pg_admin_url() -> str:
    return os.environ.get("ONCOREG_TEST_POSTGRES_URL", DEFAULT_PG)


@pytest.fixture(scope="session")
def pg_admin():
    url = _pg_admin_url()
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text("select 1"))
    except Exception as err:  # noqa: BLE001 - any failure means: no server here
        engine.dispose()
        pytest.skip(f"no PostgreSQL server answers at {make_url(url).host}: {type(err).__name__}")
    yield engine
    engine.dispose()


@pytest.fixture
def pg_url(pg_admin):
    name = f"oncoreg_t_{uuid.uuid4().hex[:12]}"
    with pg_admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(_pg_admin_url()).set(database=name).render_as_string(hide_password=False)
    with pg_admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'registry.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def store(database_url):
    """A migrated, empty registry store on each backend."""
    s = Store(database_url, SECRET)
    upgrade(s)
    yield s
    s.dispose()
