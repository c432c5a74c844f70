"""IARC age/site/histology rules (oncoreg.checks.age_site_histology).

Hand cases follow the rules of the IARC/IACR check program (Ferlay et al., IARC Technical
Report 42, 2005); the oracle test compares the rules with the Rwanda DHIS2 expansion of the
IACR/CanReg5 age checks (public reference files, read by the tests only).
"""

from __future__ import annotations

import csv
import datetime
import unicodedata
from functools import cache
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oncoreg.checks.age_site_histology import age_rules
from oncoreg.checks.engine import Severity, rules, run
from oncoreg.checks.site_histology import histology_codes, site_codes
from oncoreg.codes.morphology import morphology_table
from oncoreg.codes.topography import topography_table

IDS = [f"AGE-SITE-HIST-{n:02d}" for n in range(1, 26)]


def findings(cases: list[tuple]) -> list[set[str]]:
    """The age/site/histology rule ids fired for each (age, topography, morphology) case."""
    frame = pl.DataFrame(
        {
            "report_id": [str(i) for i in range(len(cases))],
            "age_at_diagnosis": [c[0] for c in cases],
            "topography": [c[1] for c in cases],
            "morphology": [c[2] for c in cases],
        },
        schema_overrides={
            "age_at_diagnosis": pl.Int64,
            "topography": pl.String,
            "morphology": pl.String,
        },
    )
    found = run(frame, selected=IDS)
    return [set(found.filter(pl.col("report_id") == str(i))["rule_id"]) for i in range(len(cases))]


# (age, topography, morphology, rule numbers expected to fire)
HAND_CASES = [
    (40, "C22.0", "8970", {24}),  # hepatoblastoma in an adult
    (8, "C22.0", "8970", {6}),  # hepatoblastoma at 6-14
    (2, "C22.0", "8970", set()),  # hepatoblastoma in an infant
    (30, "C69.2", "9510", {24}),  # retinoblastoma at 30
    (7, "C69.2", "9510", {3}),
    (3, "C69.2", "9510", set()),
    (35, "C64.9", "8960", {24}),  # Wilms tumour in an adult
    (10, "C64.9", "8960", {4}),
    (3, "C64.9", "8960", set()),
    (12, "C74.9", "9500", {2}),  # neuroblastoma at 10-14
    (40, "C74.9", "9500", {24}),
    (1, "C74.9", "9500", set()),
    (2, "C77.0", "9650", {1}),  # Hodgkin lymphoma before 3
    (30, "C77.0", "9650", set()),
    (5, "C64.9", "8312", {5}),  # renal cell carcinoma in a young child
    (4, "C22.0", "8170", {7}),  # hepatocellular carcinoma before 9
    (30, "C22.0", "8170", set()),
    (3, "C40.2", "9180", {8}),  # osteosarcoma before 6
    (15, "C40.2", "9180", set()),
    (4, "C41.4", "9220", {9}),  # chondrosarcoma of bone before 6
    (2, "C49.2", "9260", {10}),  # Ewing sarcoma before 4
    (10, "C38.1", "9080", {11}),  # mediastinal teratoma at 8-14
    (10, "C62.9", "9080", set()),  # gonadal germ cell tumour
    (3, "C56.9", "8140", {12}),  # gonadal carcinoma before 5
    (3, "C73.9", "8260", {13}),  # thyroid carcinoma before 6
    (4, "C11.9", "8070", {14}),  # nasopharyngeal carcinoma before 6
    (3, "C44.3", "8090", {15}),  # basal cell carcinoma before 5
    (2, "C16.9", "8140", {16}),  # carcinoma of the stomach before 5
    (10, "C48.2", "9050", {17}),  # peritoneal mesothelioma in a child
    (30, "C61.9", "8140", {18}),  # prostate adenocarcinoma before 40
    (65, "C61.9", "8140", set()),
    (18, "C50.9", "8500", {19}),  # breast cancer before 20
    (18, "C50.9", None, {19}),  # the site-only rule needs no morphology
    (45, "C50.9", "8500", set()),
    (15, "C17.0", "8140", {20}),  # adenocarcinoma of the small intestine before 20
    (10, "C17.0", "9687", set()),  # Burkitt lymphoma of the small intestine
    (15, "C18.7", "8140", {21}),  # colon adenocarcinoma before 20
    (15, "C18.1", "8240", set()),  # carcinoid of the appendix
    (50, "C58.9", "9100", {22}),  # placental choriocarcinoma after 45
    (25, "C58.9", "9100", set()),
    (20, "C42.1", "9732", {23}),  # myeloma before 26
    (60, "C42.1", "9732", set()),
    (10, "C42.1", "9724", {25}),
]


@pytest.mark.parametrize(("age", "topography", "morphology", "expected"), HAND_CASES)
def test_hand_cases(age, topography, morphology, expected) -> None:
    (got,) = findings([(age, topography, morphology)])
    assert got == {f"AGE-SITE-HIST-{n:02d}" for n in expected}


@pytest.mark.parametrize(
    "case",
    [
        (None, "C22.0", "8970"),  # no age
        (999, "C22.0", "8970"),  # an unknown-age code, out of range
        (-1, "C22.0", "8970"),
        (40, "C22.0", None),
        (40, None, None),
        (15, "C99.9", "8140"),  # invalid topography: site rules stay silent
        (15, "C18.7", "81x0"),  # invalid morphology
        (None, None, None),
    ],
)
def test_missing_or_invalid_values_never_warn(case) -> None:
    assert findings([case]) == [set()]


def test_age_from_dates_is_used_when_no_age_is_given() -> None:
    frame = pl.DataFrame(
        {
            "report_id": ["1"],
            "birth_date": [datetime.date(1980, 5, 1)],
            "birth_date_precision": ["day"],
            "diagnosis_date": [datetime.date(2020, 6, 1)],
            "diagnosis_date_precision": ["day"],
            "topography": ["C22.0"],
            "morphology": ["8970"],
        }
    )
    assert run(frame, selected=IDS)["rule_id"].to_list() == ["AGE-SITE-HIST-24"]


def test_every_table_rule_is_registered_as_a_warning_with_both_messages() -> None:
    registered = rules()
    assert [r.id for r in age_rules()] == IDS
    for age_rule in age_rules():
        found = registered[age_rule.id]
        assert found.severity is Severity.WARNING
        assert found.fields[0] == "age_at_diagnosis"
        for text in (found.message_en, found.message_vi):
            assert text and unicodedata.is_normalized("NFC", text)
        assert f"rule {age_rule.number}:" in found.message_en
        assert f"số {age_rule.number}:" in found.message_vi


def test_site_only_and_histology_only_rules_read_only_their_fields() -> None:
    fields = {r.id: r.fields for r in age_rules()}
    assert fields["AGE-SITE-HIST-19"] == ("age_at_diagnosis", "topography")
    assert fields["AGE-SITE-HIST-24"] == ("age_at_diagnosis", "morphology")
    assert fields["AGE-SITE-HIST-05"] == ("age_at_diagnosis", "topography", "morphology")


def test_code_list_parsers() -> None:
    assert histology_codes("8010-8012,8082") == {8010, 8011, 8012, 8082}
    assert site_codes("C07-C08") == {f"C0{c}{d}" for c in (7, 8) for d in range(10)}
    assert site_codes("C76.2-C76.3,C80.9") == {"C762", "C763", "C809"}
    for bad in ("801", "8012-8010", "C8010"):
        with pytest.raises(ValueError):
            histology_codes(bad)
    for bad in ("C7", "C76.2-C77.3", "C76.3-C76.2", "C40.1-C41", "C41-C40", "76"):
        with pytest.raises(ValueError):
            site_codes(bad)


AGES = st.one_of(st.none(), st.integers(-5, 130), st.sampled_from([999, 2, 5, 15, 19, 40, 46]))
TOPOGRAPHIES = st.one_of(
    st.none(),
    st.sampled_from(["C22.0", "C69.2", "C64.9", "C50.9", "C61.9", "C17.0", "C18.7", "C58.9"]),
    st.sampled_from(["C44.3", "C11.9", "C73.9", "C56.9", "C40.2", "C99.9", "", "C50", "x"]),
)
MORPHOLOGIES = st.one_of(
    st.none(),
    st.sampled_from(["8970", "9510", "8960", "8140", "8500", "9100", "9732", "9650", "8240"]),
    st.sampled_from(["9687", "8070", "9180", "9050", "9724", "0000", "81x0", "", "99999"]),
)


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.lists(st.tuples(AGES, TOPOGRAPHIES, MORPHOLOGIES), max_size=25))
def test_random_frames_never_raise_and_match_the_reference(cases) -> None:
    """``run`` never raises, and the vectorised rules agree with ``AgeRule.matches``."""
    got = findings(cases)
    for (age, topography, morphology), fired in zip(cases, got, strict=True):
        site4 = topography.replace(".", "") if topography else None
        hist = int(morphology) if morphology and morphology.isdigit() else None
        site4 = site4 if site4 in _valid_sites() else None
        hist = hist if hist in _valid_histologies() else None
        expected = {r.id for r in age_rules() if age is not None and r.matches(age, site4, hist)}
        assert fired == expected


@cache
def _valid_sites() -> frozenset[str]:
    return frozenset(c.replace(".", "") for c in topography_table() if len(c) == 5)


@cache
def _valid_histologies() -> frozenset[int]:
    return frozenset(int(c[:4]) for c in morphology_table())


# ----------------------------------------------------------------------------------------
# Oracle: the Rwanda DHIS2 expansion of the IACR/CanReg5 age checks.

RWANDA = "icdo3/iacr-checks-dhis2-rwanda"

# Combinations (age, subsite, histology) of the test universe on which the package rules
# and the Rwanda files disagree, by label: "extra <rule ids>" = only the package warns;
# "missing <file> <age> <site>" = only the Rwanda files flag. Reasons in DIFFERENCE_REASONS.
EXPECTED_DIFFERENCES = {
    "extra AGE-SITE-HIST-01": 7072,
    "extra AGE-SITE-HIST-02": 1068,
    "extra AGE-SITE-HIST-03": 6300,
    "extra AGE-SITE-HIST-04": 1602,
    "extra AGE-SITE-HIST-05": 11260,
    "extra AGE-SITE-HIST-06": 1602,
    "extra AGE-SITE-HIST-07": 24492,
    "extra AGE-SITE-HIST-08": 1320,
    "extra AGE-SITE-HIST-09": 5544,
    "extra AGE-SITE-HIST-10": 798,
    "extra AGE-SITE-HIST-11": 19984,
    "extra AGE-SITE-HIST-12": 7648,
    "extra AGE-SITE-HIST-13": 20265,
    "extra AGE-SITE-HIST-14": 2610,
    "extra AGE-SITE-HIST-15": 2800,
    "extra AGE-SITE-HIST-16": 124848,
    "extra AGE-SITE-HIST-17": 11732,
    "extra AGE-SITE-HIST-23": 1206,
    "extra AGE-SITE-HIST-24": 12516,
    "missing AgeTopography 0-4 C619": 1535,
    "missing AgeTopographyMorphology 0-14 C58": 7,
}

DIFFERENCE_REASONS = {
    "extra AGE-SITE-HIST-01": "IARC rule 1 (Hodgkin lymphoma 0-2) is not in CanReg5/Rwanda",
    "extra AGE-SITE-HIST-02": "IARC rule 2 (neuroblastoma 10-14): Rwanda flags only from 15",
    "extra AGE-SITE-HIST-03": "IARC rules 3/24 flag retinoblastoma 9510-9514 at any site from "
    "6; Rwanda only 9510/9512 at C69",
    "extra AGE-SITE-HIST-04": "IARC rule 4 (Wilms 8959-8960 at 9-14) is not in CanReg5/Rwanda",
    "extra AGE-SITE-HIST-05": "IARC rule 5 (renal carcinoma 0-8, ICCC-3 VIb) is not in Rwanda",
    "extra AGE-SITE-HIST-06": "IARC rule 6 (hepatoblastoma 6-14): Rwanda flags only from 15",
    "extra AGE-SITE-HIST-07": "IARC rule 7 (hepatic carcinoma 0-8, ICCC-3 VIIb) is not in Rwanda",
    "extra AGE-SITE-HIST-08": "IARC rule 8 (osteosarcoma 0-5) is not in CanReg5/Rwanda",
    "extra AGE-SITE-HIST-09": "IARC rule 9 (chondrosarcoma 0-5) is not in CanReg5/Rwanda",
    "extra AGE-SITE-HIST-10": "IARC rule 10 (Ewing sarcoma 0-3) is not in CanReg5/Rwanda",
    "extra AGE-SITE-HIST-11": "IARC rule 11 (non-gonadal germ cell 8-14) is not in Rwanda",
    "extra AGE-SITE-HIST-12": "IARC rule 12 (gonadal carcinoma 0-4) is not in CanReg5/Rwanda",
    "extra AGE-SITE-HIST-13": "IARC rule 13 (thyroid carcinoma 0-5) is not in CanReg5/Rwanda",
    "extra AGE-SITE-HIST-14": "IARC rule 14 (nasopharyngeal carcinoma 0-5) is not in Rwanda",
    "extra AGE-SITE-HIST-15": "IARC rule 15 (skin carcinoma 0-4) is not in CanReg5/Rwanda",
    "extra AGE-SITE-HIST-16": "IARC rule 16 (other carcinomas 0-4, ICCC-3 XIf) is not in Rwanda",
    "extra AGE-SITE-HIST-17": "IARC rule 17 (mesothelioma 0-14) is not in CanReg5/Rwanda",
    "extra AGE-SITE-HIST-23": "IARC rule 23 flags myeloma 9732 before 26; Rwanda before 15",
    "extra AGE-SITE-HIST-24": "IARC rule 24 lists 951_ (retinoblastoma) at any site; Rwanda "
    "checks 9510/9512 at C69 only",
    "missing AgeTopography 0-4 C619": "CanReg5 adds prostate (any histology) before 5; not an "
    "IARC rule",
    "missing AgeTopographyMorphology 0-14 C58": "CanReg5 adds placental choriocarcinoma "
    "before 15; IARC rule 22 flags only after 45",
}


def _rwanda_rows(reference_dir: Path, name: str) -> list[dict[str, str]]:
    with open(reference_dir / RWANDA / name, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _oracle_conditions(reference_dir: Path) -> list[tuple[str, int, int, str, str, set[str]]]:
    """(label, age_min, age_max, site kind, site, histologies) from the three Rwanda files."""
    grouped: dict[tuple, set[str]] = {}
    for row in _rwanda_rows(reference_dir, "AgeTopography_Rare.csv"):
        key = ("AgeTopography", row["Age"], "site4", "C" + row["Topography"])
        grouped.setdefault(key, set())
    for row in _rwanda_rows(reference_dir, "AgeMorphology_Rare.csv"):
        grouped.setdefault(("AgeMorphology", row["Age"], "", ""), set()).add(row["Morphology"])
    for row in _rwanda_rows(reference_dir, "AgeTopographyMorphology_Rare.csv"):
        key = ("AgeTopographyMorphology", row["Age"], "site3", "C" + row["TopographyGroup"])
        grouped.setdefault(key, set()).add(row["Morphology"])
    out = []
    for (file, ages, kind, site), morphs in grouped.items():
        low, high = (int(a) for a in ages.split("-"))
        out.append((f"missing {file} {ages} {site}".rstrip(), low, high, kind, site, morphs))
    return out


def _oracle_labels(universe: pl.DataFrame, conditions) -> pl.DataFrame:
    """(report_id, oracle): the first label (in sort order) of the Rwanda rows a combination
    meets; combinations that meet none are absent."""
    keyed = universe.with_columns(
        site4=pl.col("topography").str.replace(".", "", literal=True),
        site3=pl.col("topography").str.slice(0, 3),
    )
    found = []
    for kind, keys in (
        ("site4", ["site4"]),
        ("", ["morphology"]),
        ("site3", ["site3", "morphology"]),
    ):
        table = pl.DataFrame(
            [
                {"label": label, "low": low, "high": high, kind or "site": site, "morphology": m}
                for label, low, high, k, site, morphs in conditions
                if k == kind
                for m in (sorted(morphs) or [None])
            ]
        ).select("label", "low", "high", *keys)
        hits = keyed.join(table, on=keys).filter(
            pl.col("age_at_diagnosis").is_between(pl.col("low"), pl.col("high"))
        )
        found.append(hits.select("report_id", "label"))
    return pl.concat(found).group_by("report_id").agg(pl.col("label").min().alias("oracle"))


def _universe(reference_dir: Path, conditions) -> pl.DataFrame:
    """Every ICD-O-3 subsite x every CanReg5 malignant histology x the ages where a rule of
    either side starts or stops (so that the comparison is exact for ages 0-99)."""
    bounds = {0, 99}
    for _, low, high, *_ in conditions:
        bounds |= {low - 1, low, high, high + 1}
    for age_rule in age_rules():
        for c in age_rule.conditions:
            high = 99 if c.age_max is None else c.age_max
            bounds |= {c.age_min - 1, c.age_min, high, high + 1}
    path = reference_dir / "icdo3/canreg5/dictionaries/morphology4.tsv"
    morphs = [line.split("\t")[0] for line in path.read_text().splitlines() if line.strip()]
    subsites = [c for c in topography_table() if len(c) == 5]
    return (
        pl.DataFrame({"age_at_diagnosis": sorted(b for b in bounds if 0 <= b <= 99)})
        .join(pl.DataFrame({"topography": subsites}), how="cross")
        .join(pl.DataFrame({"morphology": morphs}), how="cross")
        .with_row_index("i")
        .with_columns(report_id=pl.col("i").cast(pl.String))
    )


def test_agreement_with_the_rwanda_expansion(reference_dir: Path) -> None:
    """Exact agreement outside the documented differences (counted over the universe)."""
    conditions = _oracle_conditions(reference_dir)
    universe = _universe(reference_dir, conditions)
    fired = (
        run(universe, selected=IDS)
        .group_by("report_id")
        .agg(pl.col("rule_id").sort().str.join("+").alias("mine"))
    )
    compared = universe.join(_oracle_labels(universe, conditions), on="report_id", how="left")
    compared = compared.join(fired, on="report_id", how="left")
    label = (
        pl.when(pl.col("mine").is_null() & pl.col("oracle").is_not_null())
        .then(pl.col("oracle"))
        .when(pl.col("mine").is_not_null() & pl.col("oracle").is_null())
        .then(pl.lit("extra ") + pl.col("mine"))
    )
    counts = compared.select(label.alias("label")).drop_nulls()["label"].value_counts()
    differences = dict(zip(counts["label"], counts["count"], strict=True))
    assert differences == EXPECTED_DIFFERENCES
    assert set(DIFFERENCE_REASONS) == set(EXPECTED_DIFFERENCES)
    both = compared.filter(pl.col("mine").is_not_null() & pl.col("oracle").is_not_null()).height
    assert both == 514410  # combinations flagged by both sides
