"""Every format the generator writes round-trips through a parser, and no report is lost."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import polars as pl
import pytest
from fhir.resources.R4B.bundle import Bundle
from lxml import etree

from oncoreg.ingest.profiles import load_profile, shipped_profiles
from oncoreg.synth import generate

NAACCR_NS = "{http://naaccr.org/naaccrxml}"


@pytest.fixture(scope="module")
def registry(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("formats") / "registry"
    generate(
        persons=1500,
        years="2021-2024",
        facilities=24,
        seed=5,
        out=out,
        formats=("csv", "xlsx", "fhir", "naaccr"),
    )
    return out


def _manifest(root: Path) -> dict:
    return json.loads((root / "manifest.json").read_text(encoding="utf-8"))


def test_each_report_is_in_exactly_one_file(registry):
    files = _manifest(registry)["files"]
    assert set(files) == {"csv", "xlsx", "fhir", "naaccr"} and all(files.values())
    truth = pl.read_csv(registry / "truth" / "reports.csv", infer_schema=False)
    assert sum(files.values()) == truth.height
    csv_rows = sum(
        pl.read_csv(f, infer_schema=False).height
        for f in (registry / "reports" / "csv").glob("*.csv")
    )
    assert csv_rows == files["csv"]


def test_fhir_bundles_validate_and_carry_every_report(registry):
    paths = sorted((registry / "reports" / "fhir").rglob("*.json"))
    conditions = 0
    for path in paths:
        bundle = Bundle.model_validate_json(path.read_text(encoding="utf-8"))
        kinds = [entry.resource.get_resource_type() for entry in bundle.entry]
        assert kinds.count("Patient") == 1
        conditions += kinds.count("Condition")
    assert conditions == _manifest(registry)["files"]["fhir"]


def test_naaccr_files_are_well_formed_with_dictionary_items(registry, reference_dir):
    with (reference_dir / "naaccr" / "naaccr-dictionary-250-items.csv").open() as handle:
        known = {row["naaccrId"] for row in csv.DictReader(handle)}
    tumours = 0
    for path in sorted((registry / "reports" / "naaccr").glob("*.xml")):
        root = etree.parse(str(path)).getroot()
        assert root.tag == f"{NAACCR_NS}NaaccrData"
        used = {item.get("naaccrId") for item in root.iter(f"{NAACCR_NS}Item")}
        assert used <= known
        tumours += len(root.findall(f".//{NAACCR_NS}Tumor"))
    assert tumours == _manifest(registry)["files"]["naaccr"]


def test_workbooks_read_back_through_their_profile(registry):
    headers = {n: [header for header, _ in load_profile(n).columns] for n in shipped_profiles()}
    rows = 0
    for path in sorted((registry / "reports" / "xlsx").glob("*.xlsx")):
        sheet = pl.read_excel(path, engine="calamine", sheet_id=1, infer_schema_length=0)
        assert sheet.columns in list(headers.values())
        rows += sheet.height
    assert rows == _manifest(registry)["files"]["xlsx"]
