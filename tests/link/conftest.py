"""A small synthetic registry imported into a store, with its ground truth, for linkage."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from oncoreg.services.facilities import import_facilities
from oncoreg.services.imports import import_file
from oncoreg.services.registry import seed_provinces
from oncoreg.store import Store, upgrade
from oncoreg.synth import generate

SECRET = "link-test-secret-" + "k" * 32


@pytest.fixture(scope="session")
def registry_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("link") / "synth"
    generate(persons=1500, years="2020-2024", facilities=12, seed=5, out=out, formats=("csv",))
    return out


def report_files(folder: Path) -> list[Path]:
    return sorted((folder / "reports" / "csv").glob("*.csv"))


@pytest.fixture
def empty_store(database_url, registry_dir) -> Store:
    s = Store(database_url, SECRET)
    upgrade(s)
    seed_provinces(s)
    import_facilities(s, registry_dir / "facilities.csv")
    yield s
    s.dispose()


@pytest.fixture
def store(empty_store, registry_dir) -> Store:
    """The registry with every report of 2020-2023 imported (2024 is left for later)."""
    for path in report_files(registry_dir):
        if not path.stem.endswith("2024"):
            import_file(empty_store, path)
    return empty_store


@pytest.fixture(scope="session")
def truth(registry_dir) -> pl.DataFrame:
    return pl.read_csv(registry_dir / "truth" / "reports.csv", infer_schema=False)
