"""ICD-O-3 topography: the shipped table, normalisation, lookup, overrides, and a
comparison with three independent public reference lists (each difference documented)."""

from __future__ import annotations

import csv
import re
import unicodedata
from importlib import resources

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oncoreg.codes import _tables
from oncoreg.codes.topography import (
    Topography,
    is_valid_topography,
    normalise_topography,
    topography,
    topography_source,
    topography_table,
)
from oncoreg.errors import InputError, UnknownCode


def _shipped_lines() -> list[str]:
    text = resources.files("oncoreg.codes.data").joinpath("topography.tsv").read_text("utf-8")
    return text.splitlines()


# The shipped codes, read directly (not through a table a registry may override).
CODES = [line.split("\t", 1)[0] for line in _shipped_lines()[1:]]
SUBSITES = [c for c in CODES if len(c) == 5]

# --- the shipped table --------------------------------------------------------------


def test_shipped_table_shape():
    lines = _shipped_lines()
    assert lines[0] == "code\tlevel\tlabel_en\tlabel_vi"
    rows = [line.split("\t") for line in lines[1:]]
    assert all(len(row) == 4 for row in rows)
    codes = [row[0] for row in rows]
    assert codes == sorted(codes) and len(set(codes)) == 400
    assert sum(row[1] == "3" for row in rows) == 70
    assert sum(row[1] == "4" for row in rows) == 330
    assert all(row[1] == str(len(row[0].replace(".", ""))) for row in rows)
    assert "C14.1" not in codes


def test_shipped_table_categories_precede_their_subsites():
    seen: set[str] = set()
    for code in CODES:
        if len(code) == 5:
            assert code[:3] in seen, code
        seen.add(code)


def test_shipped_labels():
    table = topography_table()
    assert all(t.label_en and t.label_en == t.label_en.strip() for t in table.values())
    assert all(not t.label_en.isupper() for t in table.values())
    assert all(unicodedata.is_normalized("NFC", t.label_vi) for t in table.values())
    assert all(t.label_vi == "" for t in table.values() if not t.is_category)
    assert table["C50"].label_vi == "Vú"
    assert table["C22"].label_vi == "Gan và đường mật trong gan"


def test_known_entries():
    assert topography("C50.4") == Topography("C50.4", "Upper-outer quadrant of breast", "", "C50")
    assert topography("C34.1").label_en == "Upper lobe, lung"
    assert topography("C80.9").label_en == "Unknown primary site"
    assert topography("C50").is_category and not topography("C50.9").is_category
    assert topography("C50.9").category == "C50"


def test_source_is_recorded():
    source = topography_source()
    assert not source.overridden
    assert "ICD-O-3" in source.source and source.licence


# --- normalisation --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given_value", "expected"),
    [
        ("C50.9", "C50.9"),
        ("C509", "C50.9"),
        ("c50.9", "C50.9"),
        (" c 50.9 ", "C50.9"),
        ("509", "C50.9"),
        ("50.9", "C50.9"),
        ("C50", "C50"),
        ("50", "C50"),
        ("c00.0", "C00.0"),
        ("\tC80.9\n", "C80.9"),
    ],
)
def test_normalise(given_value, expected):
    assert normalise_topography(given_value) == expected
    assert is_valid_topography(given_value)


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "C",
        "C5",
        "5",
        "C5099",
        "C50.99",
        "C50,9",
        "C50-9",
        "C50.",
        "C.509",
        "CC50",
        "X50.9",
        "C5O.9",
        "C50 9",
        "C 5 0.9",
        "C50.9x",
        "breast",
        "٥٠٩",
    ],
)
def test_malformed_raises_input_error(bad):
    with pytest.raises(InputError) as info:
        normalise_topography(bad)
    assert not isinstance(info.value, UnknownCode)
    assert repr(bad) in info.value.message
    assert "C50.9" in (info.value.hint or "")
    assert not is_valid_topography(bad)


def test_unknown_code_suggests_same_category_first():
    with pytest.raises(UnknownCode) as info:
        normalise_topography("C14.1")
    assert info.value.table == "topography"
    assert info.value.suggestions[:3] == ["C14.0", "C14.2", "C14.8"]
    assert len(info.value.suggestions) == 5
    assert "C14.0" in str(info.value)


def test_unknown_code_past_the_end():
    with pytest.raises(UnknownCode) as info:
        topography("C81.0")
    assert info.value.suggestions[:2] == ["C80.9", "C80"]
    assert len(info.value.suggestions) == 5


def test_unknown_category():
    with pytest.raises(UnknownCode) as info:
        topography("C43")
    assert set(info.value.suggestions) <= set(CODES)
    assert not is_valid_topography("C43")


def _spellings(code: str) -> list[str]:
    digits = code[1:].replace(".", "")
    return [
        code,
        code.lower(),
        digits,
        code[1:],
        code.replace(".", ""),
        f" {code} ",
        f" c {code[1:]} ",
    ]


@pytest.mark.parametrize("code", CODES)
def test_every_code_every_spelling(code):
    for spelling in _spellings(code):
        assert normalise_topography(spelling) == code


@given(st.sampled_from(CODES), st.integers(0, 6), st.sampled_from(["", " ", "\t", "  "]))
def test_property_spellings_normalise_back(code, which, pad):
    spelling = _spellings(code)[which]
    assert normalise_topography(f"{pad}{spelling}{pad}") == code


@given(st.sampled_from(CODES))
def test_property_idempotent(code):
    once = normalise_topography(code)
    assert normalise_topography(once) == once
    assert topography(once).code == once


@given(st.one_of(st.text(max_size=12), st.from_regex(r"\A[Cc ]?[0-9]{1,4}[.,]?[0-9]?\Z")))
def test_property_junk_normalises_or_raises_input_error(junk):
    try:
        code = normalise_topography(junk)
    except InputError:
        assert not is_valid_topography(junk)
    else:
        assert code in topography_table()
        assert normalise_topography(code) == code


# --- a registry's own table -----------------------------------------------------------


def test_registry_override_wins(tmp_path, monkeypatch):
    (tmp_path / "topography.tsv").write_text(
        "code\tlevel\tlabel_en\tlabel_vi\n"
        "C50\t3\tBreast (registry)\tVú\n"
        "C50.9\t4\tBreast, NOS (registry)\t\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("ONCOREG_CODES_DIR", str(tmp_path))
    _tables.clear_caches()
    assert topography("509").label_en == "Breast, NOS (registry)"
    assert topography_source().overridden
    assert set(topography_table()) == {"C50", "C50.9"}
    with pytest.raises(UnknownCode) as info:
        topography("C34.1")
    assert info.value.suggestions == ["C50", "C50.9"]
    monkeypatch.delenv("ONCOREG_CODES_DIR")
    _tables.clear_caches()
    assert topography("C50.9").label_en == "Breast, NOS"


def test_registry_override_with_bad_code(tmp_path, monkeypatch):
    (tmp_path / "topography.tsv").write_text(
        "code\tlevel\tlabel_en\tlabel_vi\nC509\t4\tBreast, NOS\t\n", encoding="utf-8"
    )
    monkeypatch.setenv("ONCOREG_CODES_DIR", str(tmp_path))
    _tables.clear_caches()
    with pytest.raises(InputError, match="C509"):
        topography_table()


# --- comparison with public reference files -------------------------------------------

# WHO ICD-O-3 machine-readable file: codes whose title differs from ours after
# normalising case, whitespace and punctuation.
WHO_LABEL_DIFFERENCES = {
    "C17.8": "WHO file typo 'smallintestine' (missing space)",
    "C24.8": "WHO file keeps a dangling 'Note:' from the printed book's note",
    "C47.2": "WHO file typo 'lower limband hip' (missing space)",
    "C63.8": "WHO file keeps a dangling 'Note:' from the printed book's note",
}

# CanReg5 dictionary: codes present in only one of the two lists.
CANREG5_CODE_DIFFERENCES = {
    "C14.1": "CanReg5 keeps ICD-O-2's 'Laryngopharynx (OLD CODE)'; ICD-O-3 codes it to C13.9",
}

# SEER site/histology list: codes that SEER's ranges span but that are not ICD-O-3 codes,
# and subsites of ours that no SEER range covers.
SEER_RANGE_GAPS = {
    "C69.7": "SEER range C695-C698 spans the unused code C69.7",
    "C76.6": "SEER range C760-C768 spans the unused code C76.6",
}
SEER_UNCOVERED: dict[str, str] = {}


def _simplified(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", label.lower()).strip()


def _who_titles(reference_dir) -> dict[str, tuple[str, str]]:
    path = reference_dir / "icdo3" / "who-icdo3" / "Topoenglish.txt"
    with path.open(encoding="latin-1", newline="") as handle:
        rows = csv.DictReader(handle, delimiter="\t")
        return {r["Kode"]: (r["Lvl"], r["Title"]) for r in rows if r["Lvl"] in ("3", "4")}


def test_codes_match_who(reference_dir):
    who = _who_titles(reference_dir)
    assert sum(level == "3" for level, _ in who.values()) == 70
    assert sum(level == "4" for level, _ in who.values()) == 330
    assert set(who) == set(CODES)
    assert all(level == ("3" if len(code) == 3 else "4") for code, (level, _) in who.items())


def test_labels_match_who(reference_dir):
    who = _who_titles(reference_dir)
    table = topography_table()
    differ = {
        code
        for code, (_, title) in who.items()
        if _simplified(title) != _simplified(table[code].label_en)
    }
    assert differ == set(WHO_LABEL_DIFFERENCES)


def test_codes_match_canreg5(reference_dir):
    path = reference_dir / "icdo3" / "canreg5" / "dictionaries" / "topography.tsv"
    raw = [line.split("\t")[0] for line in path.read_text("utf-8").splitlines() if line]
    theirs = {f"C{k}" if len(k) == 2 else f"C{k[:2]}.{k[2]}" for k in raw}
    assert theirs ^ set(CODES) == set(CANREG5_CODE_DIFFERENCES)
    assert set(CANREG5_CODE_DIFFERENCES) <= theirs


def _seer_codes(reference_dir) -> set[str]:
    path = reference_dir / "icdo3" / "seer" / "sitetype.icdo3.d20150918.csv"
    with path.open(encoding="latin-1", newline="") as handle:
        ranges = {row["Site recode"] for row in csv.DictReader(handle)}
    codes = set()
    for part in (p.strip() for r in ranges for p in r.split(",")):
        low, _, high = part.partition("-")
        for number in range(int(low[1:]), int((high or low)[1:]) + 1):
            codes.add(f"C{number // 10:02d}.{number % 10}")
    return codes


def test_codes_match_seer(reference_dir):
    seer = _seer_codes(reference_dir)
    assert seer - set(CODES) == set(SEER_RANGE_GAPS)
    assert set(SUBSITES) - seer == set(SEER_UNCOVERED)
