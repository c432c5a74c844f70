"""GLOBOCAN 2022 and CI5 site groups: partition of ICD-10, and the published GLOBOCAN list.

The reference files are IARC Global Cancer Observatory exports for Viet Nam in
``../shared/reference/globocan`` (see its README): the 2022 by-site table (33 sites and
all cancers but NMSC, with GCO's ICD-10 ranges), the 2020 fact sheet (short site names)
and a derived 2022 sex split (same site names as the 2022 export).
"""

from __future__ import annotations

import csv
import unicodedata
from pathlib import Path

import pytest

from oncoreg.codes.sitegroups import (
    SiteGroup,
    groups_for_icd10,
    parse_ranges,
    site_group,
    site_groups,
)
from oncoreg.errors import InputError, UnknownCode

# Three-character ICD-10 categories of malignant neoplasms, C00-C97 (C27-C29, C35-C36,
# C42, C59, C87 and C89 do not exist in ICD-10).
ICD10_MALIGNANT = sorted(
    f"C{n:02d}" for n in range(98) if n not in (27, 28, 29, 35, 36, 42, 59, 87, 89)
)

AGGREGATES = {
    "globocan": {"colorectum", "all-sites", "all-excl-nmsc"},
    "ci5": {"colorectum", "leukaemia", "all-sites", "all-excl-nmsc"},
}

# Categories in no site group but the all-cancers groups. GLOBOCAN 2022 estimates 36
# cancers; everything else is its residual "other and unspecified" (never published as a
# site). CI5 lists every primary site; secondaries (C77-C79) and "multiple independent
# primaries" (C97) are not registered as sites.
RESIDUAL = {
    "globocan": {
        "C14", "C17", "C24", "C26", "C30", "C31", "C37", "C38", "C39", "C40", "C41",
        "C47", "C48", "C49", "C55", "C57", "C58", "C63", "C65", "C66", "C68", "C69",
        "C74", "C75", "C76", "C77", "C78", "C79", "C80", "C96", "C97",
    },
    "ci5": {"C77", "C78", "C79", "C97"},
}  # fmt: skip

# Where our table says otherwise than the reference file, and why.
SEX_DIFFERENCES = {"breast": ("female", "", "men get breast cancer; GLOBOCAN reports women")}

# The 2020 fact sheet's short site names -> our groups (None: not a site group).
FACT_SHEET_NAMES = {
    "All cancers": "all-sites",
    "Breast": "breast",
    "Colorectum": "colorectum",
    "Liver": "liver",
    "Lung": "lung",
    "Prostate": "prostate",
    "Stomach": "stomach",
    "Other cancers": None,  # all cancers but the top five of the sheet
}


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def globocan_dir(reference_dir: Path) -> Path:
    folder = reference_dir / "globocan"
    if not folder.is_dir():
        pytest.skip(f"GLOBOCAN reference files not found at {folder}")
    return folder


def _site_groups_holding(category: str, scheme: str) -> list[str]:
    ids = groups_for_icd10(category, scheme)
    return [i for i in ids if i not in AGGREGATES[scheme]]


@pytest.mark.parametrize("scheme", ["globocan", "ci5"])
def test_site_groups_partition_c00_c97(scheme: str) -> None:
    """Every malignant category is in exactly one site group, or in the residual."""
    placed = {c: _site_groups_holding(c, scheme) for c in ICD10_MALIGNANT}
    residual = {c for c, ids in placed.items() if not ids}
    overlapping = {c: ids for c, ids in placed.items() if len(ids) > 1}
    assert residual == RESIDUAL[scheme]
    assert overlapping == {}
    for category in ICD10_MALIGNANT:
        assert "all-sites" in groups_for_icd10(category, scheme)


def test_globocan_has_its_36_cancers_and_aggregates() -> None:
    ids = [g.id for g in site_groups("globocan")]
    assert len(set(ids) - AGGREGATES["globocan"]) == 36
    assert ids[-3:] == ["colorectum", "all-sites", "all-excl-nmsc"]


def test_every_globocan_2022_site_maps_to_one_group(globocan_dir: Path) -> None:
    """Each site of the GCO 2022 export has one of our groups, same ICD-10, same name."""
    rows = _read_csv(globocan_dir / "vn_globocan2022_by_site_both_sexes.csv")
    by_categories = {g.categories: g for g in site_groups("globocan")}
    for row in rows:
        group = by_categories.get(parse_ranges(row["icd10"]))
        assert group is not None, f"no group for {row['site']} ({row['icd10']})"
        assert group.label_en == row["site"]
        expected_sex = {"female": "F", "male": "M", "": ""}[row["sex_specific"]]
        if group.id in SEX_DIFFERENCES:
            assert (row["sex_specific"], group.sex) == SEX_DIFFERENCES[group.id][:2]
        else:
            assert group.sex == expected_sex, row["site"]
    assert len(rows) == 34


def test_fact_sheet_and_derived_site_names_map_to_groups(globocan_dir: Path) -> None:
    sheet = _read_csv(globocan_dir / "vn_globocan2020_factsheet_by_sex.csv")
    names = {row["site"] for row in sheet if row["site"]}
    assert names == set(FACT_SHEET_NAMES)
    for group_id in filter(None, FACT_SHEET_NAMES.values()):
        assert "globocan" in site_group(group_id).schemes
    labels = {g.label_en: g for g in site_groups("globocan")}
    for row in _read_csv(globocan_dir / "vn_globocan2022_approx_sex_split_DERIVED.csv"):
        group = labels[row["site"]]
        if row["icd10"]:
            assert group.categories == parse_ranges(row["icd10"])


@pytest.mark.parametrize(
    ("code", "scheme", "expected"),
    [
        ("C18.7", "globocan", ["colon", "colorectum", "all-sites", "all-excl-nmsc"]),
        ("C44.3", "globocan", ["nmsc", "all-sites"]),  # NMSC is not in all-excl-nmsc
        ("C20", "globocan", ["rectum", "colorectum", "all-sites", "all-excl-nmsc"]),
        ("C61", "globocan", ["prostate", "all-sites", "all-excl-nmsc"]),
        ("C34.1", "ci5", ["lung", "all-sites", "all-excl-nmsc"]),
        ("C88.4", "globocan", ["nhl", "all-sites", "all-excl-nmsc"]),  # GLOBOCAN 2022
        ("C88.4", "ci5", ["immunoproliferative", "all-sites", "all-excl-nmsc"]),
        ("C96.2", "globocan", ["all-sites", "all-excl-nmsc"]),  # residual
        ("C96.2", "ci5", ["nhl-ci5", "all-sites", "all-excl-nmsc"]),
        ("C92.0", "ci5", ["myeloid-leukaemia", "leukaemia", "all-sites", "all-excl-nmsc"]),
        ("C187", "globocan", ["colon", "colorectum", "all-sites", "all-excl-nmsc"]),
        ("D05.1", "globocan", []),  # in situ: no cancer site group
    ],
)
def test_groups_for_icd10(code: str, scheme: str, expected: list[str]) -> None:
    assert groups_for_icd10(code, scheme) == expected


def test_site_group_contains() -> None:
    colorectum = site_group("colorectum")
    assert isinstance(colorectum, SiteGroup)
    assert colorectum.icd10 == "C18-C21"
    assert colorectum.contains("C18.7") and colorectum.contains("c21")
    assert not colorectum.contains("C22.0")
    assert not site_group("all-excl-nmsc").contains("C44.3")
    assert site_group("all-excl-nmsc").contains("C43.5")


def test_unknown_group_suggests_nearest_ids() -> None:
    with pytest.raises(UnknownCode) as caught:
        site_group("colorectal")
    assert caught.value.suggestions[0] == "colorectum"
    assert caught.value.table == "site group"


@pytest.mark.parametrize(("code", "scheme"), [("18.7", "globocan"), ("C18.7", "seer")])
def test_rejects_bad_input(code: str, scheme: str) -> None:
    with pytest.raises(InputError):
        groups_for_icd10(code, scheme)


def test_vietnamese_labels() -> None:
    """Labels are NFC; the common sites carry the usual Vietnamese medical terms."""
    expected = {
        "liver": "Gan",
        "lung": "Phổi",
        "breast": "Vú",
        "stomach": "Dạ dày",
        "colorectum": "Đại trực tràng",
        "nasopharynx": "Vòm họng",
        "cervix-uteri": "Cổ tử cung",
        "thyroid": "Tuyến giáp",
        "prostate": "Tuyến tiền liệt",
        "leukaemia": "Bệnh bạch cầu",
    }
    for group_id, label in expected.items():
        assert site_group(group_id).label_vi == unicodedata.normalize("NFC", label)
    for scheme in ("globocan", "ci5"):
        for group in site_groups(scheme):
            assert unicodedata.is_normalized("NFC", group.label_vi), group.id


def test_parse_ranges_spellings() -> None:
    assert parse_ranges("C00-97/C44") == parse_ranges("C00-C97 excl. C44")
    assert parse_ranges("C82-86+C88") == parse_ranges("C82-C86,C88")
    with pytest.raises(InputError):
        parse_ranges("C86-C82")
