"""A registry with the synthetic facilities, and synthetic report files to import."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from oncoreg.services.facilities import import_facilities
from oncoreg.services.registry import seed_provinces
from oncoreg.store import Store, upgrade
from oncoreg.synth import generate

SECRET = "import-test-secret-" + "k" * 30


@pytest.fixture(scope="session")
def synth_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("imports") / "synth"
    generate(
        persons=800,
        years="2022-2024",
        facilities=12,
        seed=21,
        out=out,
        formats=("csv", "xlsx", "fhir", "naaccr"),
    )
    return out


@pytest.fixture
def store(database_url, synth_dir) -> Store:
    """A registry with the synthetic facilities, on SQLite and on PostgreSQL."""
    s = Store(database_url, SECRET)
    upgrade(s)
    seed_provinces(s)
    import_facilities(s, synth_dir / "facilities.csv")
    yield s
    s.dispose()


@pytest.fixture
def one_csv(tmp_path, synth_dir) -> Path:
    """All canonical CSV reports of the synthetic registry in one file (a copy)."""
    files = sorted((synth_dir / "reports" / "csv").glob("*.csv"))
    frame = pl.concat([pl.read_csv(f, infer_schema=False) for f in files])
    path = tmp_path / "reports.csv"
    frame.write_csv(path)
    return path
