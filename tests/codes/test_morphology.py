"""ICD-O-3.2 morphology table and lookups, checked against the published code lists.

Oracles (../shared/reference/icdo3, see its README): the ICD-O-3.2 release (NU copy of
IARC's ICD-O-3.2_MFin_17042019 spreadsheet), WHO's ICD-O-3 (2000) Morphenglish.txt, the
ICD-O-3.1 histology list, and CanReg5's morphology5.tsv dictionary.
"""

from __future__ import annotations

import csv

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oncoreg.codes.morphology import (
    behaviour,
    grade,
    is_valid_morphology,
    morphology,
    morphology_source,
    morphology_table,
    normalise_morphology,
    split_morphology,
)
from oncoreg.errors import InputError, UnknownCode

# Codes of older editions that ICD-O-3.2 no longer lists (kept as retired rows), by the
# newest edition that lists them. Examples of why: 9260/3 Ewing sarcoma became 9364/3;
# 9826/3 Burkitt cell leukaemia became 9687/3; 8240/1 carcinoid of uncertain malignant
# potential and the paragangliomas 8680-8693/1 became malignant (/3) in ICD-O-3.2; the
# pancreatic endocrine tumours 8150-8158 changed behaviour; 9728/3, 9729/3, 9836/3 were
# replaced by 9811-9818/3 in ICD-O-3.1.
RETIRED_IN_32 = 57
RETIRED_IN_31 = 9
NEW_SINCE_2000 = 172  # listed in ICD-O-3.2 but not in ICD-O-3 (2000)
NEW_SINCE_31 = 135  # listed in ICD-O-3.2 but not in the ICD-O-3.1 list


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("8500/3", "8500/3"),
        ("85003", "8500/3"),
        ("8500 3", "8500/3"),
        ("M-8500/3", "8500/3"),
        ("m8500/3", "8500/3"),
        (" 8070/3 ", "8070/3"),
        ("807033", "8070/3"),
    ],
)
def test_spellings_normalise(given, expected):
    assert normalise_morphology(given) == expected


def test_behaviour_given_apart_and_grade_in_sixth_digit():
    assert normalise_morphology("8500", behaviour=3) == "8500/3"
    assert split_morphology("850032") == ("8500", "3", "2")
    with pytest.raises(InputError, match="behaviour 3 but 2"):
        normalise_morphology("8500/3", behaviour="2")


@pytest.mark.parametrize("bad", ["", "850", "8500/4", "8500/", "abcd/3", "8500-3x", "8500"])
def test_malformed_codes_are_input_errors(bad):
    with pytest.raises(InputError):
        normalise_morphology(bad)


def test_unknown_histology_suggests_nearest_codes():
    with pytest.raises(UnknownCode) as info:
        normalise_morphology("8599/3")
    assert info.value.suggestions[0] == "8600/3"
    assert len(info.value.suggestions) <= 5


def test_lookup_terms_and_flags():
    assert morphology("8500/3").term_en == "Infiltrating duct carcinoma, NOS"
    assert morphology("8170/3").term_en == "Hepatocellular carcinoma, NOS"
    assert morphology("8042/3").obsolete  # oat cell carcinoma: [obs] in ICD-O-3.2
    assert not morphology("8070/3").obsolete
    assert morphology("8500/3").is_malignant and not morphology("8500/2").is_malignant


def test_matrix_principle_gives_unlisted_but_valid_codes():
    m = morphology("8170/2")
    assert m.code == "8170/2" and not m.listed
    assert m.term_en == "Hepatocellular carcinoma, NOS"
    assert is_valid_morphology("8170/2")


def test_codes_of_older_editions_are_readable_and_obsolete():
    ewing = morphology("9260/3")
    assert ewing.retired and ewing.obsolete and ewing.edition == "3.1"
    assert morphology("9364/3").edition == "3.2"


def test_grade_and_behaviour_tables():
    assert grade(3).label_vi == "Độ III: biệt hóa kém"
    assert behaviour("6").label_en == "Malignant, metastatic site"
    with pytest.raises(UnknownCode):
        grade(0)
    with pytest.raises(UnknownCode):
        behaviour(4)


@given(st.sampled_from(sorted(morphology_table())))
def test_every_code_round_trips_in_every_spelling(code):
    digits = code.replace("/", "")
    for spelling in (code, digits, f"M-{code}", f" {code[:4]} {code[5]} ", code.lower()):
        assert normalise_morphology(spelling) == code
    assert normalise_morphology(normalise_morphology(code)) == code


@given(st.text(max_size=12))
def test_junk_is_a_code_or_an_input_error(text):
    try:
        code = normalise_morphology(text)
    except InputError:
        return
    assert code[:4] in {c[:4] for c in morphology_table()}


def _icdo32(reference_dir):
    path = reference_dir / "icdo3" / "icdo3.2" / "ICD-O-3.2.csv"
    with path.open(encoding="utf-8") as handle:
        return {r["ICDO3.2"]: r for r in csv.DictReader(handle) if r["Level"] == "Preferred"}


def test_current_codes_equal_the_icdo32_release(reference_dir):
    release = _icdo32(reference_dir)
    current = {c: m for c, m in morphology_table().items() if not m.retired}
    assert set(current) == set(release)
    assert len(current) == 1143
    for code, row in release.items():
        assert current[code].term_en == " ".join(row["Term"].split()), code
        assert current[code].obsolete == bool(row["obs"].strip()), code


def test_older_editions_are_all_readable(reference_dir):
    m2000 = _titles(reference_dir / "icdo3" / "who-icdo3" / "Morphenglish.txt")
    path = reference_dir / "icdo3" / "icdo3.1" / "icd_o_31_histologies.csv"
    with path.open(encoding="utf-8") as handle:
        m31 = {r["icdo3_histology_code"] for r in csv.DictReader(handle)}
    table = morphology_table()
    assert set(m2000) | m31 <= set(table)
    retired = [m for m in table.values() if m.retired]
    assert sum(m.edition == "3.1" for m in retired) == RETIRED_IN_32
    assert sum(m.edition == "3.0" for m in retired) == RETIRED_IN_31
    current = {c for c, m in table.items() if not m.retired}
    assert len(current - set(m2000)) == NEW_SINCE_2000
    assert len(current - m31) == NEW_SINCE_31


def _titles(path):
    with path.open(encoding="latin-1", newline="") as handle:
        rows = csv.DictReader(handle, delimiter="\t")
        return {r["Code"]: r["Label"] for r in rows if r["Struct"] == "title"}


def test_canreg5_dictionary_is_a_subset(reference_dir):
    """CanReg5 ships ICD-O-3.1 (1080 codes): all are readable here; 123 ICD-O-3.2 codes
    (and the ICD-O-3.2 behaviour changes) are missing from CanReg5."""
    path = reference_dir / "icdo3" / "canreg5" / "dictionaries" / "morphology5.tsv"
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()[1:]
    canreg = {f"{line[:4]}/{line[4]}" for line in lines if line.strip()}
    assert len(canreg) == 1080
    table = morphology_table()
    assert canreg <= set(table)
    assert len({c for c, m in table.items() if not m.retired} - canreg) == 123


def test_provenance_is_recorded():
    source = morphology_source()
    assert source.version == "ICD-O-3.2 (2019)" and not source.overridden
