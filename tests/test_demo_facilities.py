"""The demo facility list (oncoreg/demo/facilities.csv) is consistent."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from importlib import resources

import pytest

from oncoreg.codes.provinces import ERA_2025, provinces
from oncoreg.network.capacity import offers, read_equipment, read_specialties

COLUMNS = [
    "code",
    "name_vi",
    "name_en",
    "province_code",
    "level",
    "type",
    "parent_code",
    "beds",
    "specialties",
    "equipment",
    "latitude",
    "longitude",
]
LEVELS = {"central", "provincial", "district", "commune"}
TYPES = {"hospital", "lab", "registry", "death-registration"}
DEMO_CODE = re.compile(r"^[A-Z]+(?:-[A-Z0-9]+)+$")


@pytest.fixture
def text() -> str:
    return resources.files("oncoreg.demo").joinpath("facilities.csv").read_text("utf-8")


@pytest.fixture
def rows(text: str) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(text))
    assert reader.fieldnames == COLUMNS
    return list(reader)


def test_size_and_encoding(text: str, rows: list[dict[str, str]]) -> None:
    assert text == unicodedata.normalize("NFC", text)
    assert 25 <= len(rows) <= 35
    assert all(len(row) == len(COLUMNS) and None not in row.values() for row in rows)


def test_levels_and_types_are_known(rows: list[dict[str, str]]) -> None:
    assert {row["level"] for row in rows} <= LEVELS
    assert {row["type"] for row in rows} == TYPES


def test_province_codes_are_2025_codes(rows: list[dict[str, str]]) -> None:
    known = {p.code for p in provinces(ERA_2025)}
    for row in rows:
        assert row["province_code"] in known, row["code"]


def test_codes_are_unique_demo_codes(rows: list[dict[str, str]]) -> None:
    codes = [row["code"] for row in rows]
    assert len(codes) == len(set(codes))
    assert all(DEMO_CODE.match(code) for code in codes), codes


def test_names_are_filled(rows: list[dict[str, str]]) -> None:
    for row in rows:
        assert row["name_vi"].strip() == row["name_vi"] != ""
        assert row["name_en"].isascii() and row["name_en"].strip() == row["name_en"] != ""


def test_parents_exist_and_come_first(rows: list[dict[str, str]]) -> None:
    seen: set[str] = set()
    for row in rows:
        parent = row["parent_code"]
        assert parent == "" or parent in seen, f"{row['code']}: parent {parent} not listed before"
        seen.add(row["code"])


def test_network_has_each_kind_of_member(rows: list[dict[str, str]]) -> None:
    def count(**match: str) -> int:
        return sum(all(row[k] == v for k, v in match.items()) for row in rows)

    assert count(type="lab") >= 2
    assert count(type="registry", level="central") >= 1
    assert count(type="registry", level="provincial") >= 1
    assert count(type="death-registration") >= 1
    assert count(type="hospital", level="district") >= 2
    by_code = {row["code"]: row for row in rows}
    for row in rows:
        if row["level"] == "district":
            assert by_code[row["parent_code"]]["level"] == "provincial", row["code"]


def test_capacity_cells_are_valid(rows: list[dict[str, str]]) -> None:
    for row in rows:
        read_specialties(row["specialties"])  # raises on an unknown name
        read_equipment(row["equipment"])
        assert row["beds"] == "" or 0 < int(row["beds"]) <= 5000, row["code"]
        assert (row["latitude"] == "") == (row["longitude"] == ""), row["code"]
        if row["latitude"]:
            assert 8.0 <= float(row["latitude"]) <= 23.5, row["code"]
            assert 102.0 <= float(row["longitude"]) <= 110.0, row["code"]


def test_capacity_is_plausible(rows: list[dict[str, str]]) -> None:
    def capacity(code: str):
        row = next(r for r in rows if r["code"] == code)
        return read_specialties(row["specialties"]), read_equipment(row["equipment"])

    for code in ("VN-K", "VN-BM", "VN-CR", "HCM-UB"):
        for service in ("radiotherapy", "brachytherapy", "pet-ct"):
            assert offers(*capacity(code), service), (code, service)
    for row in rows:
        specialties, equipment = capacity(row["code"])
        if row["type"] == "lab":
            assert specialties == ["pathology"] and equipment == {}, row["code"]
        if row["type"] in ("registry", "death-registration"):
            assert specialties is None and equipment is None, row["code"]
        if row["level"] == "district":
            assert not offers(specialties, equipment, "radiotherapy"), row["code"]
