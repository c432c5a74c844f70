"""Basis of diagnosis and standard populations, against the reference files."""

from __future__ import annotations

import csv

import pytest

from oncoreg.codes.basis import basis, basis_table, is_microscopically_verified
from oncoreg.codes.morphology import behaviour_table, grade_table
from oncoreg.codes.standard_populations import (
    parse_age_group,
    standard_population,
    standard_populations,
    weights_for,
)
from oncoreg.errors import InputError, UnknownCode

FIVE_YEAR_18 = [f"{a}-{a + 4}" for a in range(0, 85, 5)] + ["85+"]


def _canreg_dictionary(reference_dir, name):
    path = reference_dir / "icdo3" / "canreg5" / "dictionaries" / name
    rows = path.read_text(encoding="utf-8").splitlines()
    return dict(line.split("\t", 1) for line in rows if line.strip())


def test_basis_codes_are_iarcs():
    assert list(basis_table()) == ["0", "1", "2", "4", "5", "6", "7", "9"]
    assert [c for c in basis_table() if is_microscopically_verified(c)] == ["5", "6", "7"]
    assert basis(0).label_en == "Death certificate only"
    with pytest.raises(UnknownCode):
        basis(3)


def test_basis_against_canreg5(reference_dir):
    """CanReg5 also lists 3 Surgery/Autopsy and 8 Autopsy/Histology, which are not IARC
    basis codes (IARC Technical Report 42): the only difference."""
    canreg = _canreg_dictionary(reference_dir, "basis.tsv")
    assert set(canreg) - set(basis_table()) == {"3", "8"}
    assert set(basis_table()) <= set(canreg)


def test_grade_and_behaviour_against_canreg5(reference_dir):
    """Grades agree; CanReg5 lists behaviours 0-3 only, we add 6 and 9 of ICD-O-3."""
    assert set(_canreg_dictionary(reference_dir, "grade.tsv")) == set(grade_table())
    canreg_behaviour = set(_canreg_dictionary(reference_dir, "behaviour.tsv"))
    assert set(behaviour_table()) - canreg_behaviour == {"6", "9"}


REFERENCE_FILES = {
    "world-segi": "segi_1960_world_18.csv",
    "world-who-2000": "who_2000_2025_world_18.csv",
    "world-who-2000-21": "who_2000_2025_world_21.csv",
    "europe-2013": "european_2013_19.csv",
    "europe-1976": "european_1976_19.csv",
}


@pytest.mark.parametrize("name", sorted(REFERENCE_FILES))
def test_standard_populations_equal_the_reference(reference_dir, name):
    path = reference_dir / "standard-populations" / REFERENCE_FILES[name]
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    std = standard_population(name)
    assert [g.label for g in std.groups] == [r["age_group"] for r in rows]
    assert list(std.weights) == [float(r["weight_per_100000"]) for r in rows]


def test_standard_totals():
    """WHO's published percentages add to 100.035%; the others to exactly 100,000."""
    totals = {name: std.total for name, std in standard_populations().items()}
    assert totals == {
        "world-segi": 100000,
        "world-who-2000": 100035,
        "world-who-2000-21": 100035,
        "europe-2013": 100000,
        "europe-1976": 100000,
    }
    assert len(standard_population("world-segi").groups) == 18
    assert len(standard_population("europe-2013").groups) == 19


def test_weights_for_merges_to_the_data_groups():
    segi = weights_for("world-segi", FIVE_YEAR_18)
    assert segi["0-4"] == 12000 and segi["85+"] == 500
    europe76 = weights_for("europe-1976", FIVE_YEAR_18)
    assert europe76["0-4"] == 8000
    who = weights_for("world-who-2000-21", FIVE_YEAR_18)
    assert who["85+"] == 635
    europe13 = weights_for("europe-2013", FIVE_YEAR_18)
    assert europe13["85+"] == 2500
    assert sum(europe13.values()) == 100000


def test_weights_for_refuses_groups_that_split_a_standard_group():
    with pytest.raises(InputError, match="does not fall within exactly one"):
        weights_for("world-segi", ["0-2", "3-84", "85+"])
    with pytest.raises(UnknownCode):
        weights_for("world-segi-1966", FIVE_YEAR_18)


@pytest.mark.parametrize(
    ("label", "start", "end"), [("0-4", 0, 4), ("85+", 85, None), ("0", 0, 0), ("85–89", 85, 89)]
)
def test_parse_age_group(label, start, end):
    group = parse_age_group(label)
    assert (group.start, group.end) == (start, end)


@pytest.mark.parametrize("bad", ["", "a-b", "10-5", "old"])
def test_parse_age_group_errors(bad):
    with pytest.raises(InputError):
        parse_age_group(bad)
