"""Tests of the report readers, and helpers they share.

:func:`synth_registry` runs ``oncoreg.synth.generate`` and keeps, for every file it
writes, the canonical frame the writer was given: the round-trip tests read each file
back and compare it field by field with that frame.
"""

from __future__ import annotations

import importlib
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest

from oncoreg.errors import Problem
from oncoreg.ingest.canonical import NAMES
from oncoreg.ingest.readers import ReadResult


@dataclass
class Written:
    """One file (or, for FHIR, one folder) of the synthetic registry and its frame."""

    format: str
    path: Path
    frame: pl.DataFrame


def synth_registry(out: Path) -> tuple[Path, list[Written]]:
    """Generate the synthetic registry of the task (300 persons, 12 facilities, all four
    formats) into ``out``, capturing the frame behind every file written (CSV files are
    cut from one CSV text a year: ``CsvLines.write``; the other formats: ``_writer``)."""
    # the module (``oncoreg.synth.generate`` as an attribute is the re-exported function)
    generate_module = importlib.import_module("oncoreg.synth.generate")
    written: list[Written] = []
    original = generate_module._writer
    partial = out.with_name(out.name + ".partial")

    def capturing(fmt: str):
        write = original(fmt)

        def wrapper(folder: Path, code: str, part: pl.DataFrame) -> None:
            write(folder, code, part)
            final = out / folder.relative_to(partial)
            target = {
                "csv": final / f"{code}.csv",
                "xlsx": final / f"{code}.xlsx",
                "naaccr": final / f"{code}.xml",
                "fhir": final / code.rpartition("-")[2],
            }[fmt]
            written.append(Written(fmt, target, part.select(NAMES)))

        return wrapper

    csv_write = generate_module.CsvLines.write

    def capturing_csv(lines, path: Path, rows: int) -> None:
        part = lines.frame.slice(lines.next_row, rows)
        csv_write(lines, path, rows)
        written.append(Written("csv", out / path.relative_to(partial), part.select(NAMES)))

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(generate_module, "_writer", capturing)
        patch.setattr(generate_module.CsvLines, "write", capturing_csv)
        generate_module.generate(
            persons=300,
            years="2023-2024",
            facilities=12,
            seed=3,
            out=out,
            formats=("csv", "xlsx", "fhir", "naaccr"),
        )
    return out, written


def nfc(frame: pl.DataFrame) -> pl.DataFrame:
    """Canonical columns as the readers keep text: NFC, trimmed, empty as null."""
    return frame.select(
        pl.col(name).cast(pl.String).str.normalize("NFC").str.strip_chars().replace("", None)
        for name in NAMES
    )


def norm(value: str | None) -> str | None:
    """One value as the readers keep it."""
    if value is None:
        return None
    return " ".join(unicodedata.normalize("NFC", value).split()) or None


def assert_accounted(result: ReadResult) -> None:
    """Every record is a row or a problem, and every problem says where."""
    assert result.records == result.frame.height + len(result.problems)
    assert list(result.frame.columns[: len(NAMES)]) == list(NAMES)
    assert result.frame.columns[len(NAMES) :] == ["_file", "_row", "_raw"]
    assert all(dtype == pl.String for dtype in result.frame.select(NAMES).dtypes)
    for problem in result.problems:
        assert isinstance(problem, Problem) and problem.file


def differences(expected: list[dict], actual: list[dict], fields) -> list[tuple]:
    """``(row index, field, expected, actual)`` for every value that differs."""
    assert len(expected) == len(actual)
    return [
        (index, name, want[name], got[name])
        for index, (want, got) in enumerate(zip(expected, actual, strict=True))
        for name in fields
        if want[name] != got[name]
    ]
