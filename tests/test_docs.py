"""Documentation in step with the code."""

from __future__ import annotations

import csv
from pathlib import Path

from oncoreg.ingest.canonical import COLUMNS, NAMES

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_report_csv_doc_lists_every_column_in_order():
    text = (DOCS / "report-csv.md").read_text(encoding="utf-8")
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    assert [row.split("`")[1] for row in rows] == list(NAMES)
    for column, row in zip(COLUMNS, rows, strict=True):
        assert column.description in row


def test_example_file_follows_the_contract():
    with (DOCS / "examples" / "reports-example.csv").open(encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
    assert reader.fieldnames == list(NAMES)
    assert len(rows) >= 5
    assert all(row["report_id"] and row["facility_code"] for row in rows)


def test_links_doc_lists_the_export_columns(tmp_path):
    text = (DOCS / "links-csv.md").read_text(encoding="utf-8")
    rows = [line.split("`")[1] for line in text.splitlines() if line.startswith("| `")]
    assert rows == ["facility_code", "report_id", "person_id", "tumour_id"]
