"""Registry mode: population and life-table import, and the statistics of a linked
synthetic registry checked against its own files (population.csv) and the file mode."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import polars as pl
import pytest

from oncoreg.errors import InputError
from oncoreg.services.facilities import import_facilities
from oncoreg.services.imports import import_file
from oncoreg.services.linkage import link_registry
from oncoreg.services.population import (
    import_life_table,
    import_population,
    population_frame,
)
from oncoreg.services.published import survival_by_site
from oncoreg.services.registry import seed_provinces
from oncoreg.services.registry_survival import (
    registry_survival,
    survival_cohort,
)
from oncoreg.services.statistics import (
    Selection,
    incidence_table,
    registry_tumours,
    tumour_quality,
)
from oncoreg.services.survival_files import SurvivalRequest
from oncoreg.stats import kaplan_meier, prepare_cohort
from oncoreg.stats.standardise import age_standardised_rates
from oncoreg.store import Store, upgrade
from oncoreg.synth import generate

SECRET = "stats-test-secret-" + "k" * 32
YEARS = range(2020, 2025)


@pytest.fixture(scope="module")
def synth_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("stats") / "synth"
    generate(persons=1500, years="2020-2024", facilities=10, seed=11, out=out, formats=("csv",))
    return out


def _registry(url: str, synth_dir) -> Store:
    store = Store(url, SECRET)
    upgrade(store)
    seed_provinces(store)
    import_facilities(store, synth_dir / "facilities.csv")
    for path in sorted((synth_dir / "reports" / "csv").glob("*.csv")):
        import_file(store, path)
    link_registry(store, actor="test")
    import_population(store, synth_dir / "population.csv")
    import_life_table(store, synth_dir / "lifetable.csv")
    return store


@pytest.fixture(scope="module")
def registry(synth_dir, tmp_path_factory):
    store = _registry(f"sqlite:///{tmp_path_factory.mktemp('reg') / 'r.db'}", synth_dir)
    yield store
    store.dispose()


def test_incidence_counts_every_tumour_and_divides_by_the_imported_population(registry, synth_dir):
    """All sites (but C44) per sex: the registry's tumours of 2020-2024 over the person-years
    of population.csv, summed independently here."""
    table = incidence_table(registry, Selection(YEARS)).rates
    tumours = registry_tumours(registry).filter(
        pl.col("year").is_between(2020, 2024) & pl.col("age").is_not_null()
    )
    pop = pl.read_csv(synth_dir / "population.csv", schema_overrides={"province_code": pl.String})
    for sex in (1, 2):
        row = table.filter((pl.col("site") == "all-excl-nmsc") & (pl.col("sex") == sex))
        expected = tumours.filter((pl.col("sex") == sex) & (pl.col("site") != "nmsc")).height
        pyrs = pop.filter(pl.col("sex") == sex)["pyrs"].sum()
        assert row["cases"][0] == expected
        assert row["pyrs"][0] == pytest.approx(pyrs, rel=1e-12)
        assert row["crude_rate"][0] == pytest.approx(expected / pyrs * 1e5, rel=1e-9)
        sites = table.filter((pl.col("sex") == sex) & (pl.col("site") != "all-excl-nmsc"))
        assert sites.filter(pl.col("site") != "nmsc")["cases"].sum() == expected
        assert sites.filter(pl.col("site") != "nmsc")["pct"].sum() == pytest.approx(100, abs=0.6)


def test_registry_asr_equals_the_file_mode_on_the_same_counts(registry, synth_dir):
    """The registry's ASR is the file mode's function on the counts it passes on."""
    table = incidence_table(registry, Selection(YEARS), by=("sex",), standard="world-who-2000")
    tumours = registry_tumours(registry).filter(
        pl.col("year").is_between(2020, 2024)
        & pl.col("age").is_not_null()
        & (pl.col("site") != "nmsc")
    )
    counts = tumours.group_by("sex", "age_group").agg(pl.len().cast(pl.Float64).alias("cases"))
    pop = population_frame(registry).group_by("sex", "age_group").agg(pl.col("pyrs").sum())
    joined = pop.join(counts, on=["sex", "age_group"], how="left").fill_null(0.0)
    direct = age_standardised_rates(joined, by=["sex"], standard="world-who-2000").sort("sex")
    got = table.rates.sort("sex")
    for column in ("cases", "asr", "asr_lower", "asr_upper", "cum_risk_0_74"):
        assert got[column].to_list() == pytest.approx(direct[column].to_list(), rel=1e-12)


def test_incidence_by_province_accepts_either_era_code(registry):
    """A province code selects the tumours and the population of that province."""
    whole = incidence_table(registry, Selection(YEARS, province="01"), by=("sex",)).rates
    assert whole["cases"].sum() > 0
    with pytest.raises(InputError, match="cannot count by"):
        incidence_table(registry, Selection(YEARS), by=("site", "facility"))


def test_incidence_refuses_years_without_population(registry):
    with pytest.raises(InputError, match="no population for 2025"):
        incidence_table(registry, Selection(range(2024, 2026)))


def test_quality_of_tumours(registry):
    table = tumour_quality(registry, Selection(YEARS), ["sex"])
    assert set(table["sex"].to_list()) >= {"1", "2"}
    table = table.filter(pl.col("sex").is_in(["1", "2"]))
    assert (table["mv_pct"] > 50).all() and (table["dco_pct"] < 20).all()
    assert table["deaths"].sum() > 0


def test_population_import_reports_every_bad_row_and_writes_nothing(registry, tmp_path):
    bad = tmp_path / "pop.csv"
    bad.write_text(
        "province_code,sex,age_group,year,pyrs\n"
        "01,1,0-4,2030,100\n"
        "99,1,0-4,2030,100\n"
        "01,3,0-4,2030,100\n"
        "01,1,0-5,2030,100\n"
        "01,1,5-9,2030,-1\n"
        "01,1,10-14,20x0,1\n"
        "01,1,0-4,2030,100\n",
        encoding="utf-8",
    )
    before = population_frame(registry).height
    with pytest.raises(InputError) as caught:
        import_population(registry, bad)
    where = {(p.row, p.field) for p in caught.value.problems}
    assert where == {
        (3, "province_code"),
        (4, "sex"),
        (5, "age_group"),
        (6, "pyrs"),
        (7, "year"),
        (8, None),
    }
    assert all(p.file == str(bad) for p in caught.value.problems)
    assert population_frame(registry).height == before


def test_population_reimport_replaces_cells(registry, tmp_path):
    path = tmp_path / "pop.csv"
    path.write_text("sex,age_group,year,pyrs\n1,0-4,2031,10\n2,0-4,2031,12\n", encoding="utf-8")
    first = import_population(registry, path)
    path.write_text("sex,age_group,year,pyrs\n1,0-4,2031,11\n", encoding="utf-8")
    again = import_population(registry, path)
    assert (first.inserted, first.replaced) == (2, 0)
    assert (again.inserted, again.replaced) == (0, 1)
    cells = population_frame(registry).filter(pl.col("year") == 2031).sort("sex")
    assert cells["pyrs"].to_list() == [11.0, 12.0]


@pytest.mark.postgres
def test_registry_statistics_on_postgresql(pg_url, synth_dir):
    store = _registry(pg_url, synth_dir)
    try:
        table = incidence_table(store, Selection(YEARS)).rates
        assert table.filter(pl.col("site") == "all-excl-nmsc")["cases"].sum() > 1000
    finally:
        store.dispose()


def _truth_cohort(synth_dir, site_prefix: str) -> pl.DataFrame:
    """The true first tumours of a site (ICD-10 prefix), with the true fate: the oracle."""
    tumours = pl.read_csv(synth_dir / "truth" / "tumours.csv", infer_schema=False)
    persons = pl.read_csv(synth_dir / "truth" / "persons.csv", infer_schema=False)
    first = (
        tumours.filter(pl.col("icd10").str.starts_with(site_prefix) & (pl.col("basis") != "0"))
        .sort("diagnosis_date")
        .unique("person_id", keep="first")
        .join(persons.select("person_id", "sex", "birth_date", "death_date"), on="person_id")
    )
    dx = pl.col("diagnosis_date").str.to_date()
    age = (dx - pl.col("birth_date").str.to_date()).dt.total_days() / 365.25
    return first.select(
        pl.col("sex").cast(pl.Int8),
        age.alias("age"),
        dx.alias("dx_date"),
        pl.coalesce(pl.col("death_date").str.to_date(), pl.lit(date(2024, 12, 31))).alias(
            "exit_date"
        ),
        pl.col("death_date").is_not_null().cast(pl.Int8).alias("status"),
    ).filter(pl.col("age").is_between(15, 99))


def test_registry_survival_against_the_truth(registry, synth_dir):
    """Linkage, vital status from every report and passive follow-up together, against the
    true liver tumours and the generator's own fates. One year after diagnosis the registry
    is within 4 points of the truth. Later it is higher: the generator registers about 70%
    of deaths (as a registry with incomplete death linkage sees them), and a death the
    registry never hears of keeps a person alive under passive follow-up; it can never be
    lower than the truth."""
    request = SurvivalRequest(None, "km", (1.0, 3.0), None)
    got = registry_survival(registry, Selection(YEARS, site="C22"), request).estimates
    truth = kaplan_meier(prepare_cohort(_truth_cohort(synth_dir, "C22")), (1.0, 3.0))
    assert got["estimate"][0] == pytest.approx(truth["estimate"][0], abs=0.04)
    assert got["estimate"][1] > truth["estimate"][1] - 0.02


def test_registry_net_survival_uses_the_registry_life_table(registry):
    request = SurvivalRequest(None, "pohar-perme", (1.0, 5.0), None, by=("sex",))
    result = registry_survival(registry, Selection(YEARS, site="lung"), request)
    table = result.estimates
    assert set(table["sex"].to_list()) == {1, 2}
    assert (table["estimate"] >= table["observed"]).all()
    assert result.cohort.excluded["death certificate only"] >= 0
    with pytest.raises(InputError, match="cannot stratify by"):
        registry_survival(registry, Selection(YEARS), replace(request, by=("stage",)))


def test_active_follow_up_censors_at_the_last_contact(registry):
    passive = survival_cohort(registry, Selection(YEARS, site="breast")).frame
    active = survival_cohort(registry, Selection(YEARS, site="breast", follow_up="active")).frame
    assert passive.height == active.height
    alive = passive.filter(pl.col("status") == 0)
    assert alive["exit_date"].n_unique() == 1  # everyone alive at the closing date
    assert (active["exit_date"] <= alive["exit_date"].max()).all()
    with pytest.raises(InputError, match="follow-up 'lazy'"):
        survival_cohort(registry, Selection(YEARS, follow_up="lazy"))


def test_leading_sites_survival_for_the_demo(registry):
    table = survival_by_site(registry, Selection(YEARS), 3, "pohar-perme", (1.0,))
    assert table.height == 3 and table["site"].n_unique() == 3
    assert table["patients"].min() > 20
    assert table["estimate"].is_between(0, 1.2).all()
