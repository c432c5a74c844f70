"""Shared fixtures: where the public reference files are, clean settings, and the two
database backends; and a guard failing any test in which a web route reaches the
database from the event loop.

PostgreSQL is the server at ONCOREG_TEST_POSTGRES_URL (default: 127.0.0.1:5432, trust
auth, database ``test``); each test gets a database of its own, dropped afterwards. Where
no server answers, the PostgreSQL cases are skipped with that reason.
"""

from __future__ import annotations

import asyncio
import os
import threading
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
REPO_ROOT = Path(__file__).resolve().parents[1]
REFERENCE_DIR = REPO_ROOT.parent / "shared" / "reference"


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """The public reference files in ../shared/reference (test oracles only)."""
    if not REFERENCE_DIR.is_dir():
        pytest.skip(f"reference files not found at {REFERENCE_DIR}")
    return REFERENCE_DIR


@pytest.fixture(autouse=True)
def _isolated_settings(monkeypatch, tmp_path):
    """Each test starts with default settings and no ONCOREG_ variables of the caller."""
    import os

    from oncoreg.codes._tables import clear_caches

    for name in list(os.environ):
        if name.startswith("ONCOREG_"):
            monkeypatch.delenv(name)
    clear_caches()
    yield
    clear_caches()


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


def _not_on_the_event_loop(connection, *_args) -> None:
    """A database call from the event loop's thread (an ``async`` route or dependency
    calling the blocking store) would stall every request of the worker while it waits.
    The servers of the tests run their loops off the main thread; the main thread is the
    tests' own (Playwright's sync API keeps a loop running there)."""
    if threading.current_thread() is threading.main_thread():
        return
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return  # a worker thread: where blocking calls belong
    raise AssertionError("the database was reached from the event loop (async code blocking)")


@pytest.fixture(scope="session", autouse=True)
def no_database_on_the_event_loop():
    """Every test fails if a web route reaches the database on the event loop."""
    event.listen(Engine, "engine_connect", _not_on_the_event_loop)
    yield
    event.remove(Engine, "engine_connect", _not_on_the_event_loop)
