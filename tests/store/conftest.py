"""The same store tests run on SQLite and on PostgreSQL (``database_url`` in
tests/conftest.py)."""

from __future__ import annotations

import pytest

from oncoreg.store import Store, upgrade

SECRET = "test-secret-" + "x" * 40


@pytest.fixture
def store(database_url):
    """A migrated, empty registry store on each backend."""
    s = Store(database_url, SECRET)
    upgrade(s)
    yield s
    s.dispose()
