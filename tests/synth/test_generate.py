"""The synthetic registry generator: targets, ground truth, realism, determinism."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from oncoreg.codes.provinces import to_2025
from oncoreg.codes.standard_populations import weights_for
from oncoreg.codes.topography import is_valid_topography
from oncoreg.errors import InputError
from oncoreg.synth import generate
from oncoreg.synth.calibration import AGE_GROUPS, expected_asr, population, sites
from oncoreg.synth.tumours import expected_cases

YEARS = range(2015, 2025)


@pytest.fixture(scope="module")
def registry(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("synth") / "registry"
    generate(persons=6000, years="2015-2024", facilities=30, seed=7, out=out)
    return out


@pytest.fixture(scope="module")
def big(tmp_path_factory) -> Path:
    """A larger registry for the incidence checks (csv only)."""
    out = tmp_path_factory.mktemp("synth-big") / "registry"
    generate(persons=150_000, years="2015-2024", facilities=60, seed=11, out=out)
    return out


def _reports(root: Path) -> pl.DataFrame:
    files = sorted((root / "reports" / "csv").glob("*.csv"))
    return pl.concat([pl.read_csv(f, infer_schema=False) for f in files])


def _digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != "manifest.json"
    }


def test_same_seed_gives_byte_identical_files(registry, tmp_path):
    again = tmp_path / "again"
    generate(persons=6000, years="2015-2024", facilities=30, seed=7, out=again)
    assert _digest(again) == _digest(registry)
    other = tmp_path / "other"
    generate(persons=6000, years="2015-2024", facilities=30, seed=8, out=other)
    assert _digest(other) != _digest(registry)


def test_ground_truth_is_consistent(registry):
    reports = _reports(registry)
    truth = pl.read_csv(registry / "truth" / "reports.csv", infer_schema=False)
    tumours = pl.read_csv(registry / "truth" / "tumours.csv", infer_schema=False)
    persons = pl.read_csv(registry / "truth" / "persons.csv", infer_schema=False)
    manifest = json.loads((registry / "manifest.json").read_text())
    assert reports.height == truth.height == manifest["reports"]
    assert set(reports["report_id"]) == set(truth["report_id"])
    assert reports.select(pl.struct("facility_code", "report_id").is_unique().all()).item()
    assert persons.height == manifest["persons"] == 6000
    assert tumours.height == manifest["tumours"]
    joined = truth.join(tumours, on="tumour_id", suffix="_t")
    assert (joined["person_id"] == joined["person_id_t"]).all()
    per_tumour = truth.group_by("tumour_id").len()["len"]
    assert per_tumour.min() >= 1 and per_tumour.max() <= 4
    dco = tumours.filter(pl.col("basis") == "0")["tumour_id"]
    dco_roles = truth.filter(pl.col("tumour_id").is_in(dco.implode()))["role"].unique()
    assert dco_roles.to_list() == ["death"]
    assert "truth" not in {p.parent.name for p in (registry / "reports").rglob("*")}


def test_second_primaries_are_a_few_percent(registry):
    tumours = pl.read_csv(registry / "truth" / "tumours.csv", infer_schema=False)
    share = (tumours["sequence"] == "2").sum() / 6000
    assert 0.01 <= share <= 0.05


def test_site_shares_match_the_targets(big):
    """Observed site counts against the expected shares, within 4 binomial SE."""
    tumours = pl.read_csv(big / "truth" / "tumours.csv", infer_schema=False)
    first = tumours.filter(pl.col("sequence") == "1")
    expected = expected_cases(YEARS).sum(axis=(0, 1, 2))
    shares = expected / expected.sum()
    counts = first.group_by("site").len()
    observed = dict(zip(counts["site"], counts["len"], strict=True))
    n = first.height
    for site, p in zip((s.id for s in sites()), shares, strict=True):
        se = np.sqrt(n * p * (1 - p))
        assert abs(observed.get(site, 0) - n * p) <= 4 * se + 1, site


def test_asr_matches_globocan(big):
    """ASR (Segi) of all first primaries in 2022 from the files: within sampling error of
    the model's expectation and within 5% of GLOBOCAN 2022 Viet Nam's 149.7 per 100,000."""
    tumours = pl.read_csv(big / "truth" / "tumours.csv", infer_schema=False)
    persons = pl.read_csv(big / "truth" / "persons.csv", infer_schema=False)
    cases = (
        tumours.filter(pl.col("sequence") == "1", pl.col("diagnosis_date").str.starts_with("2022"))
        .join(persons, on="person_id")
        .with_columns(
            age=(
                pl.col("diagnosis_date").str.to_date() - pl.col("birth_date").str.to_date()
            ).dt.total_days()
            // 365.25
        )
        .with_columns(group=pl.min_horizontal(pl.col("age") // 5, 17).cast(pl.Int64))
        .group_by("group")
        .len()
    )
    pop = pl.read_csv(big / "population.csv", schema_overrides={"province_code": pl.String})
    pyrs = pop.filter(pl.col("year") == 2022).group_by("age_group").agg(pl.col("pyrs").sum())
    by_group = dict(zip(pyrs["age_group"], pyrs["pyrs"], strict=True))
    counts = dict(zip(cases["group"], cases["len"], strict=True))
    weights = weights_for("world-segi", list(AGE_GROUPS))
    terms = [(counts.get(i, 0), by_group[g], weights[g] / 1e5) for i, g in enumerate(AGE_GROUPS)]
    asr = sum(c / p * w for c, p, w in terms) * 1e5
    se = np.sqrt(sum(c / p**2 * w**2 for c, p, w in terms)) * 1e5
    assert abs(asr - 149.7) <= 0.05 * 149.7 + 3 * se


def test_expected_asr_of_each_site_is_near_globocan():
    """The age curves reproduce GLOBOCAN's ASR of each site within 15%."""
    for site in sites():
        assert expected_asr(site) == pytest.approx(site.asr, rel=0.15), site.id


def test_population_is_scaled_like_the_cases(big):
    pop = pl.read_csv(big / "population.csv", schema_overrides={"province_code": pl.String})
    manifest = json.loads((big / "manifest.json").read_text())
    assert pop.height == 63 * 2 * 18 * 10
    total_2022 = pop.filter(pl.col("year") == 2022)["pyrs"].sum()
    real = population()[2022].sum()
    assert total_2022 == pytest.approx(real * manifest["scale"], rel=1e-4)


def test_survival_differs_by_site_as_expected(big):
    tumours = pl.read_csv(big / "truth" / "tumours.csv", infer_schema=False)
    persons = pl.read_csv(big / "truth" / "persons.csv", infer_schema=False)
    first = tumours.filter(pl.col("sequence") == "1").join(persons, on="person_id")
    dead = first.group_by("site").agg((pl.col("vital_status") == "2").mean().alias("dead"))
    share = dict(zip(dead["site"], dead["dead"], strict=True))
    assert share["liver"] > 0.6 and share["lung"] > 0.6
    assert share["thyroid"] < 0.2 and share["breast"] < 0.4
    dates = first.filter(pl.col("death_date").is_not_null())
    assert (dates["death_date"] >= dates["diagnosis_date"]).all()
    assert (first["last_contact_date"] <= "2024-12-31").all()


def test_reports_carry_realistic_variation(registry):
    reports = _reports(registry)
    n = reports.height
    assert 0.3 < reports["national_id"].null_count() / n < 0.9
    assert reports["full_name"].null_count() not in (0, n)  # some split, some in one field
    names = (
        reports["full_name"].drop_nulls().to_list() + reports["given_name"].drop_nulls().to_list()
    )
    assert any(name.isascii() for name in names) and not all(name.isascii() for name in names)
    years_only = reports["birth_date"].drop_nulls().str.len_chars() == 4
    assert 0.02 < years_only.mean() < 0.2
    truth = pl.read_csv(registry / "truth" / "reports.csv", infer_schema=False)
    persons = pl.read_csv(registry / "truth" / "persons.csv", infer_schema=False)
    merged = (
        reports.join(truth, on=["facility_code", "report_id"])
        .join(persons, on="person_id", suffix="_true")
        .filter(pl.col("province_code").is_not_null())
        .with_columns(
            new=pl.col("province_code_true").map_elements(to_2025, return_dtype=pl.String)
        )
        .filter(pl.col("new") != pl.col("province_code_true"))
    )
    old_era = (merged["province_code"] == merged["province_code_true"]).mean()
    assert 0.3 < old_era < 0.9  # merged provinces: some reports coded before, some after 2025
    topo = reports["topography"].drop_nulls()
    assert topo.str.ends_with(".9").mean() > 0.15
    assert reports["morphology"].drop_nulls().is_in(["8000", "8010"]).mean() > 0.1


def test_injected_errors_are_recorded_and_visible(registry):
    truth = pl.read_csv(registry / "truth" / "reports.csv", infer_schema=False)
    reports = _reports(registry)
    injected = truth.filter(pl.col("injected_error").is_not_null())
    assert 0.005 < injected.height / truth.height < 0.02
    bad_topo = injected.filter(pl.col("injected_error") == "unknown-topography")
    rows = reports.join(bad_topo, on=["facility_code", "report_id"])
    assert rows.height and not any(is_valid_topography(t) for t in rows["topography"])
    clean = reports.join(injected, on=["facility_code", "report_id"], how="anti")
    assert all(is_valid_topography(t) for t in clean["topography"].drop_nulls().unique())


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"persons": 0}, "at least 1"),
        ({"facilities": 2}, "at least 3"),
        ({"formats": ("csv", "pdf")}, "unknown format"),
        ({"years": "2030-2031"}, "outside"),
        ({"years": "twenty"}, "not a year range"),
    ],
)
def test_bad_parameters_are_refused(tmp_path, kwargs, message):
    with pytest.raises(InputError, match=message):
        generate(out=tmp_path / "x", **({"persons": 10} | kwargs))
    assert not (tmp_path / "x").exists()


def test_dates_of_clean_reports_are_consistent(registry):
    """Outside the injected errors, no report has a contact, death or treatment before its
    diagnosis, or a treatment after the last contact."""
    truth = pl.read_csv(registry / "truth" / "reports.csv", infer_schema=False)
    clean = _reports(registry).join(
        truth.filter(pl.col("injected_error").is_not_null()),
        on=["facility_code", "report_id"],
        how="anti",
    )
    dated = clean.filter(pl.col("diagnosis_date").is_not_null())
    assert (dated["last_contact_date"] >= dated["diagnosis_date"]).all()
    deaths = dated.filter(pl.col("death_date").is_not_null())
    assert (deaths["death_date"] >= deaths["diagnosis_date"]).all()
    treated = dated.filter(pl.col("first_treatment_date").is_not_null())
    assert (treated["first_treatment_date"] >= treated["diagnosis_date"]).all()
    assert (treated["first_treatment_date"] <= treated["last_contact_date"]).all()
