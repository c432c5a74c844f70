"""Shared fixtures: where the public reference files are, and clean settings."""

from __future__ import annotations

from pathlib import Path

import pytest

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
