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


@pytest.fixture(scope="session")
def yearly_files(registry_dir, tmp_path_factory) -> tuple[Path, Path]:
    """The reports of 2020-2023 in one file and those of 2024 in another (one import batch
    each, quicker than a batch per facility and year)."""
    folder = tmp_path_factory.mktemp("link-files")
    files = report_files(registry_dir)
    out = []
    for name, late in (("2020-2023.csv", False), ("2024.csv", True)):
        chosen = [f for f in files if f.stem.endswith("2024") == late]
        frames = [pl.read_csv(f, infer_schema=False) for f in chosen]
        pl.concat(frames, how="diagonal").write_csv(folder / name)
        out.append(folder / name)
    return out[0], out[1]


@pytest.fixture
def store(empty_store, yearly_files) -> Store:
    """The registry with every report of 2020-2023 imported (2024 is left for later)."""
    import_file(empty_store, yearly_files[0])
    return empty_store


@pytest.fixture(scope="session")
def truth(registry_dir) -> pl.DataFrame:
    return pl.read_csv(registry_dir / "truth" / "reports.csv", infer_schema=False)
