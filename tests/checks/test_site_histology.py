"""IARC site/histology rule over morphological families (oncoreg.checks.site_histology).

Hand cases follow the family/site profiles of the IARC/IACR check program (Ferlay et al.,
IARC Technical Report 42, 2005); the oracle test compares the package tables with CanReg5's
lookup tables MorphFam.txt, Must.txt and MustNot.txt (public reference files, read by the
tests only).
"""

from __future__ import annotations

import unicodedata
from functools import cache
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oncoreg.checks.engine import Severity, rules, run
from oncoreg.checks.site_histology import RULE_ID, families, family_of
from oncoreg.codes.morphology import morphology_table
from oncoreg.codes.topography import topography_table


def warned(cases: list[tuple[str | None, str | None]]) -> list[bool]:
    """Whether CONS-SITE-HISTOLOGY fires for each (topography, morphology) case."""
    frame = pl.DataFrame(
        {
            "report_id": [str(i) for i in range(len(cases))],
            "topography": [c[0] for c in cases],
            "morphology": [c[1] for c in cases],
        },
        schema={"report_id": pl.String, "topography": pl.String, "morphology": pl.String},
    )
    fired = set(run(frame, selected=[RULE_ID])["report_id"])
    return [str(i) in fired for i in range(len(cases))]


# (topography, morphology, warns)
HAND_CASES = [
    ("C50.9", "8561", True),  # salivary gland family (Warthin tumour) in the breast
    ("C07.9", "8561", False),  # ... in the parotid gland
    ("C08.0", "8974", False),  # sialoblastoma of the submandibular gland
    ("C44.5", "8720", False),  # melanoma of the skin
    ("C51.0", "8720", False),  # melanoma of the vulva
    ("C69.4", "8720", False),  # melanoma of the eye
    ("C16.9", "8720", True),  # melanoma of the stomach: not a listed site of the family
    ("C69.3", "8773", False),  # spindle cell melanoma of the choroid
    ("C44.3", "8773", True),  # ... a uveal melanoma type in the skin
    ("C22.0", "8170", False),  # hepatocellular carcinoma of the liver
    ("C34.1", "8170", True),  # ... of the lung
    ("C38.4", "9050", False),  # pleural mesothelioma
    ("C48.2", "9050", False),  # peritoneal mesothelioma
    ("C50.9", "9050", True),  # ... of the breast
    ("C42.1", "9861", False),  # acute myeloid leukaemia of the bone marrow
    ("C77.0", "9861", True),  # ... of a lymph node (haematopoietic family: C42 only)
    ("C42.1", "9680", False),  # diffuse large B-cell lymphoma: any site
    ("C16.9", "9680", False),
    ("C42.1", "9170", True),  # lymphangiosarcoma: never haematopoietic
    ("C49.1", "9170", False),
    ("C71.0", "8070", True),  # squamous cell carcinoma of the brain
    ("C34.1", "8070", False),
    ("C80.9", "8140", False),  # adenocarcinoma of unknown primary site
    ("C44.5", "9140", False),  # Kaposi sarcoma of the skin
    ("C50.9", "9140", True),  # ... of the breast
    ("C41.2", "9734", True),  # extramedullary plasmacytoma of bone
    ("C30.0", "9734", False),
    ("C64.9", "8960", False),  # Wilms tumour of the kidney
    ("C22.0", "8960", True),
    ("C69.2", "9510", False),  # retinoblastoma of the retina
    ("C71.6", "9470", False),  # medulloblastoma of the cerebellum
    ("C71.0", "9470", True),  # ... of the frontal lobe
]


@pytest.mark.parametrize(("topography", "morphology", "expected"), HAND_CASES)
def test_hand_cases(topography, morphology, expected) -> None:
    assert warned([(topography, morphology)]) == [expected]


@pytest.mark.parametrize(
    "case",
    [
        (None, "8561"),
        ("C50.9", None),
        (None, None),
        ("C99.9", "8561"),  # invalid topography
        ("C50", "8561"),  # a category, not a subsite
        ("C50.9", "9999"),  # not an ICD-O-3 histology
        ("C50.9", "85x1"),
        ("", ""),
    ],
)
def test_missing_or_invalid_values_never_warn(case) -> None:
    assert warned([case]) == [False]


def test_rule_is_a_warning_with_both_messages() -> None:
    found = rules()[RULE_ID]
    assert found.severity is Severity.WARNING
    assert found.fields == ("topography", "morphology")
    for text in (found.message_en, found.message_vi):
        assert text and unicodedata.is_normalized("NFC", text)


def test_family_lookup() -> None:
    salivary = family_of(8561)
    assert salivary is not None and salivary.number == 1 and salivary.profile == "+"
    assert salivary.name_en == "Salivary gland tumours"
    assert salivary.allows("C079") and not salivary.allows("C509")
    carcinoma = family_of("8070")
    assert carcinoma is not None and carcinoma.profile == "-" and not carcinoma.allows("C710")
    assert family_of(9680) is None  # lymphomas: any site (group 1)


def test_family_tables_are_complete_and_disjoint() -> None:
    table = families()
    assert sorted(table) == list(range(1, 71))
    assert [f.profile for f in table.values()].count("+") == 63
    for family in table.values():
        assert family.histologies and family.sites
        for text in (family.name_en, family.name_vi):
            assert text and unicodedata.is_normalized("NFC", text)
    codes = [c for f in table.values() for c in f.histologies]
    assert len(codes) == len(set(codes))


@cache
def _valid_sites() -> frozenset[str]:
    return frozenset(c.replace(".", "") for c in topography_table() if len(c) == 5)


@cache
def _valid_histologies() -> frozenset[int]:
    return frozenset(int(c[:4]) for c in morphology_table())


TOPOGRAPHIES = st.one_of(
    st.none(),
    st.sampled_from(sorted(c for c in topography_table() if len(c) == 5)),
    st.sampled_from(["C99.9", "C50", "", "x", "c50.9"]),
)
MORPHOLOGIES = st.one_of(
    st.none(),
    st.sampled_from(sorted({c[:4] for c in morphology_table()})),
    st.sampled_from(["9999", "0000", "85x1", "", "85610"]),
)


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.lists(st.tuples(TOPOGRAPHIES, MORPHOLOGIES), max_size=40))
def test_random_frames_never_raise_and_match_the_reference(cases) -> None:
    """``run`` never raises, and the rule agrees with ``Family.allows`` row by row."""
    for (topography, morphology), fired in zip(cases, warned(cases), strict=True):
        site4 = topography.replace(".", "") if topography else None
        hist = int(morphology) if morphology and morphology.isdigit() else None
        family = family_of(hist) if hist in _valid_histologies() else None
        expected = family is not None and site4 in _valid_sites() and not family.allows(site4)
        assert fired == expected


# ----------------------------------------------------------------------------------------
# Oracle: CanReg5's IARC family lookup tables (MorphFam.txt, Must.txt, MustNot.txt).

LOOKUP = "icdo3/canreg5/lookup"
MUST_NOT_OFFSET = 63  # CanReg5 numbers the inverse-profile families 01-07; IARC 64-70

# Histologies whose family differs from CanReg5's (none).
EXPECTED_FAMILY_DIFFERENCES: dict[str, tuple[int | None, int | None]] = {}

# (family, site) -> combinations (histologies x subsites) on which the rule and CanReg5
# disagree: "oracle" = only CanReg5 warns, "package" = only the package warns.
EXPECTED_SITE_DIFFERENCES = {
    ("oracle", 20, "C76"): 40,
    ("oracle", 43, "C57"): 1,
}

DIFFERENCE_REASONS = {
    ("oracle", 20, "C76"): "CanReg5 lists family 20 at C79 (not an ICD-O-3 site); the IARC "
    "rule gives C76, as for family 19",
    ("oracle", 43, "C57"): "CanReg5 lists 43C578 twice and omits C57.9, which the IARC rule "
    "gives with C57.8",
}


def _lines(reference_dir: Path, name: str) -> list[str]:
    text = (reference_dir / LOOKUP / name).read_text(encoding="latin-1")
    return [line.strip() for line in text.splitlines() if line.strip()]


def _oracle_families(reference_dir: Path) -> dict[str, int | None]:
    """CanReg5's family of each histology: ``+NN`` -> NN, ``-NN`` -> 63 + NN, ``*`` -> None."""
    out: dict[str, int | None] = {}
    for line in _lines(reference_dir, "MorphFam.txt"):
        code, value = line[:4], line[4:]
        offset = 0 if value[0] == "+" else MUST_NOT_OFFSET
        out[code] = None if value[0] == "*" else int(value[1:3]) + offset
    return out


def _oracle_sites(reference_dir: Path) -> pl.DataFrame:
    """(family, site4) listed in Must.txt (``+`` families) and MustNot.txt (``-`` ones).

    A key ``FFCtt*`` is every subsite of category Ctt; ``FFCttd`` the subsite Ctt.d.
    """
    rows = []
    for name, offset in (("Must.txt", 0), ("MustNot.txt", MUST_NOT_OFFSET)):
        for key in _lines(reference_dir, name):
            family, category, last = int(key[:2]) + offset, key[2:5], key[5]
            digits = range(10) if last == "*" else [int(last)]
            rows += [{"family": family, "site4": f"{category}{d}"} for d in digits]
    return pl.DataFrame(rows).unique()


def test_families_agree_with_canreg5(reference_dir: Path) -> None:
    differences = {}
    for code, oracle in _oracle_families(reference_dir).items():
        family = family_of(code)
        mine = family.number if family else None
        if mine != oracle:
            differences[code] = (oracle, mine)
    assert differences == EXPECTED_FAMILY_DIFFERENCES


def test_site_profiles_agree_with_canreg5(reference_dir: Path) -> None:
    """Every CanReg5 histology at every ICD-O-3 subsite: the rule against the lookup tables."""
    oracle_family = _oracle_families(reference_dir)
    subsites = sorted(c for c in topography_table() if len(c) == 5)
    universe = (
        pl.DataFrame(
            {"morphology": list(oracle_family), "family": list(oracle_family.values())},
            schema={"morphology": pl.String, "family": pl.Int64},
        )
        .join(pl.DataFrame({"topography": subsites}), how="cross")
        .with_row_index("i")
        .with_columns(
            report_id=pl.col("i").cast(pl.String),
            site4=pl.col("topography").str.replace(".", "", literal=True),
        )
    )
    listed = _oracle_sites(reference_dir).with_columns(listed=pl.lit(True))
    universe = universe.join(listed, on=["family", "site4"], how="left")
    profile = pl.when(pl.col("family") > MUST_NOT_OFFSET).then(pl.lit("-")).otherwise(pl.lit("+"))
    listed_flag = pl.col("listed").fill_null(False)
    oracle = pl.col("family").is_not_null() & ((profile == "+") != listed_flag)
    fired = set(run(universe, selected=[RULE_ID])["report_id"])
    compared = universe.with_columns(
        oracle=oracle, mine=pl.col("report_id").is_in(sorted(fired))
    ).filter(pl.col("oracle") != pl.col("mine"))
    side = pl.when(pl.col("oracle")).then(pl.lit("oracle")).otherwise(pl.lit("package"))
    counts = compared.group_by(side.alias("side"), "family", pl.col("site4").str.slice(0, 3)).len()
    differences = {(s, f, c): n for s, f, c, n in counts.iter_rows()}
    assert differences == EXPECTED_SITE_DIFFERENCES
    assert set(DIFFERENCE_REASONS) == set(EXPECTED_SITE_DIFFERENCES)
    assert universe.height == 807 * 330
