"""Fixtures shared by the reader tests: a synthetic registry in every format, and the
hand-made sample frame of the exporter tests."""

from __future__ import annotations

import polars as pl
import pytest

from tests.export.conftest import SAMPLE_ROWS, frame_of
from tests.ingest import synth_registry


@pytest.fixture(scope="module")
def synth(tmp_path_factory):
    return synth_registry(tmp_path_factory.mktemp("synth") / "registry")


@pytest.fixture
def reports() -> pl.DataFrame:
    return frame_of(SAMPLE_ROWS)
