"""Registry mode of the statistics: tumours, persons and denominators from the store, then
the same pure functions as the file mode (``oncoreg.stats``).

Counting follows CI5: one row per tumour that the multiple-primary rules kept (obsolete
tumours are left out), its site the GLOBOCAN/CI5 group of its ICD-10 code, its age the age
at the incidence date. The person's vital status comes from every report of the person
and from follow-up: dead when any gives a death date (the latest is taken); otherwise
``exit_date`` is the latest date anyone saw the person alive (last contact, incidence or
follow-up date), which survival uses under active follow-up
(``services/registry_survival.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl
from sqlalchemy import select

from oncoreg.codes.sitegroups import site_group
from oncoreg.errors import InputError
from oncoreg.model import DatePrecision, FacilityType, RecordStatus
from oncoreg.services.cache import by_data_version
from oncoreg.services.population import population_frame
from oncoreg.services.sites import group_of_icd10
from oncoreg.stats.standardise import age_standardised_rates
from oncoreg.store.bulk import as_dates, read_frame
from oncoreg.store.database import Store
from oncoreg.store.tables import Facility, FollowUp, Person, Source, Tumour

DAYS_PER_YEAR = 365.25
ALL_SITES = "all-excl-nmsc"  # CI5's "all sites but C44"
NMSC = "nmsc"
INCIDENCE_BY = ("site", "sex", "year", "province")


@dataclass(frozen=True)
class Selection:
    """Which tumours a registry statistic counts."""

    years: range
    province: str | None = None
    site: str | None = None
    follow_up: str = "passive"
    closing: date | None = None

    def describe(self) -> str:
        span = f"{self.years.start}-{self.years.stop - 1}"
        where = f", province {self.province}" if self.province else ""
        return f"diagnosed {span}{where}"


@by_data_version
def registry_tumours(store: Store) -> pl.DataFrame:
    """One row per kept tumour with the columns the statistics read (no names, no IDs).

    Columns: ``tumour_id``, ``person_id``, ``sex`` (1/2), ``age``, ``age_group``,
    ``diagnosis_date``, ``year``, ``topography``, ``morphology``, ``icd10``, ``basis``,
    ``stage``, ``site``, ``province_code`` (2025), ``province_code_2004``,
    ``death_date``, ``exit_date``, ``status`` (1 dead, 0 censored).
    """
    tumours = _tumour_rows(store)
    if tumours.is_empty():
        raise InputError(
            "the registry has no tumours to count", hint="import reports and run `oncoreg link`"
        )
    vital = _vital_status(store)
    frame = tumours.join(vital, on="person_id", how="left")
    return frame.with_columns(
        age_group=age_group_expr(pl.col("age")),
        year=pl.col("diagnosis_date").dt.year(),
        site=pl.col("icd10").map_elements(group_of_icd10, return_dtype=pl.String),
        exit_date=pl.max_horizontal("death_date", "last_seen", "diagnosis_date"),
        status=pl.col("death_date").is_not_null().cast(pl.Int8),
    ).drop("last_seen")


def _tumour_rows(store: Store) -> pl.DataFrame:
    t, p = Tumour.__table__.c, Person.__table__.c
    query = (
        select(
            t.id.label("tumour_id"),
            t.person_id,
            p.sex,
            p.birth_date,
            p.birth_date_precision,
            t.diagnosis_date,
            t.topography,
            t.morphology,
            t.icd10,
            t.basis,
            t.stage,
            p.province_code,
            p.province_code_2004,
        )
        .join(Person.__table__, p.id == t.person_id)
        .where(t.status != RecordStatus.OBSOLETE, t.diagnosis_date.is_not(None))
    )
    ages = _reported_ages(store)
    with store.engine.connect() as connection:
        frame = as_dates(read_frame(connection, query), "birth_date", "diagnosis_date")
    frame = frame.join(ages, on="tumour_id", how="left")
    exact = pl.col("birth_date_precision").is_in([DatePrecision.DAY, DatePrecision.MONTH])
    span = (pl.col("diagnosis_date") - pl.col("birth_date")).dt.total_days() / DAYS_PER_YEAR
    by_year = pl.col("diagnosis_date").dt.year() - pl.col("birth_date").dt.year()
    age = pl.when(exact).then(span).otherwise(pl.coalesce("reported_age", by_year))
    return frame.with_columns(
        sex=pl.col("sex").cast(pl.Int8, strict=False), age=age.cast(pl.Float64)
    ).drop("birth_date", "birth_date_precision", "reported_age")


def _reported_ages(store: Store) -> pl.DataFrame:
    s = Source.__table__.c
    query = select(s.tumour_id, s.age_at_diagnosis).where(
        s.status != RecordStatus.OBSOLETE, s.tumour_id.is_not(None)
    )
    with store.engine.connect() as connection:
        frame = read_frame(connection, query)
    return frame.group_by("tumour_id").agg(
        pl.col("age_at_diagnosis").median().alias("reported_age")
    )


def _vital_status(store: Store) -> pl.DataFrame:
    """Per person: the latest death date reported, and the latest date seen alive."""
    s, t, f = Source.__table__.c, Tumour.__table__.c, FollowUp.__table__.c
    reports = (
        select(
            t.person_id,
            s.death_date,
            s.last_contact_date.label("seen"),
            s.diagnosis_date.label("seen_dx"),
        )
        .join(Tumour.__table__, t.id == s.tumour_id)
        .where(s.status != RecordStatus.OBSOLETE)
    )
    follow = select(f.person_id, f.death_date, f.contact_date.label("seen")).where(
        f.status != RecordStatus.OBSOLETE
    )
    with store.engine.connect() as connection:
        frames = [
            as_dates(read_frame(connection, reports), "death_date", "seen", "seen_dx"),
            as_dates(read_frame(connection, follow), "death_date", "seen"),
        ]
    rows = pl.concat(
        [
            frames[0].select(
                "person_id", "death_date", pl.max_horizontal("seen", "seen_dx").alias("seen")
            ),
            frames[1],
        ],
        how="vertical_relaxed",
    )
    return rows.group_by("person_id").agg(
        pl.col("death_date").max(), pl.col("seen").max().alias("last_seen")
    )


def age_group_expr(age: pl.Expr) -> pl.Expr:
    """The 5-year age group (``0-4`` ... ``85+``) of an age in years; null if unknown."""
    start = (age.floor() / 5).floor().cast(pl.Int32) * 5
    closed = pl.format("{}-{}", start, start + 4)
    return pl.when(age < 0).then(None).when(age >= 85).then(pl.lit("85+")).otherwise(closed)


def select_tumours(tumours: pl.DataFrame, selection: Selection) -> pl.DataFrame:
    """The tumours of the selection's years, province (either era's code) and site."""
    frame = tumours.filter(_in_years_and_province(selection))
    if selection.site:
        frame = frame.filter(site_matches(selection.site))
    return frame


def _in_years_and_province(selection: Selection) -> pl.Expr:
    """Rows (tumours or population cells) of the selection's years and province, the
    province given by its code of either era."""
    years = selection.years
    condition = pl.col("year").is_between(years.start, years.stop - 1)
    if selection.province:
        code = selection.province
        in_province = (pl.col("province_code") == code) | (pl.col("province_code_2004") == code)
        condition = condition & in_province.fill_null(False)
    return condition


def site_matches(site: str) -> pl.Expr:
    """A site given as a GLOBOCAN group id (``liver``) or an ICD-10 prefix (``C22``)."""
    if site[:1].upper() == "C" and site[1:3].isdigit():
        return pl.col("icd10").str.starts_with(site.upper().replace(".", ""))
    site_group(site)  # raises UnknownCode with suggestions
    if site == "colorectum":
        return pl.col("site").is_in(list(COLORECTUM))
    return pl.col("site") == site


COLORECTUM = {"colon": "colorectum", "rectum": "colorectum", "anus": "colorectum"}


@by_data_version
def incidence_table(
    store: Store,
    selection: Selection,
    by: tuple[str, ...] = ("site", "sex"),
    standard: str = "world-segi",
    ci: str = "gamma",
) -> IncidenceTable:
    """A CI5-style incidence table from the registry's tumours and population.

    Sites are GLOBOCAN's groups with colon, rectum and anus counted together as colorectum
    (as GLOBOCAN's fact sheets rank them); ``all-excl-nmsc`` is all sites but C44 and
    ``pct`` the site's share of it, as CI5 shows them. Tumours of unknown sex or age cannot
    be given a denominator and are left out (their number is returned).

    Raises:
        InputError: an unknown ``by`` column, or no population for the selection.
    """
    unknown = [b for b in by if b not in INCIDENCE_BY]
    if unknown:
        raise InputError(
            f"cannot count by {', '.join(unknown)}", hint=f"use {', '.join(INCIDENCE_BY)}"
        )
    tumours = select_tumours(registry_tumours(store), selection)
    countable = tumours.filter(pl.col("sex").is_in([1, 2]) & pl.col("age").is_not_null())
    counts = _site_counts(countable, by)
    population = _population_for(store, selection, [b for b in by if b != "site"])
    table = _rates(counts, population, by, standard, ci)
    return IncidenceTable(table, tumours.height - countable.height, selection, standard)


@dataclass(frozen=True)
class IncidenceTable:
    """The rates, and the tumours that could not be counted (unknown sex or age)."""

    rates: pl.DataFrame
    not_counted: int
    selection: Selection
    standard: str


def _strata_columns(by) -> dict[str, pl.Expr]:
    names = {"sex": "sex", "year": "year", "province": "province_code"}
    return {b: pl.col(names[b]) for b in by if b != "site"}


def _site_counts(tumours: pl.DataFrame, by) -> pl.DataFrame:
    strata = _strata_columns(by)
    frame = tumours.with_columns(
        **strata, site=pl.col("site").replace(COLORECTUM).fill_null("other")
    ).select(*strata, "site", "age_group")
    if "site" not in by:
        frame = frame.filter(pl.col("site") != NMSC).with_columns(site=pl.lit(ALL_SITES))
    else:
        all_sites = frame.filter(pl.col("site") != NMSC).with_columns(site=pl.lit(ALL_SITES))
        frame = pl.concat([frame, all_sites])
    keys = [*strata, "site", "age_group"]
    return frame.group_by(keys).agg(pl.len().cast(pl.Float64).alias("cases"))


def _population_for(store: Store, selection: Selection, strata: list[str]) -> pl.DataFrame:
    frame = population_frame(store).filter(_in_years_and_province(selection))
    years = selection.years
    if frame.is_empty():
        raise InputError(
            f"the registry has no population for the tumours {selection.describe()}",
            hint="import the person-years with `oncoreg population import POP.csv`",
        )
    covered = set(frame["year"].unique().to_list())
    missing = [y for y in years if y not in covered]
    if missing:
        raise InputError(
            f"the registry has no population for {', '.join(map(str, missing))}",
            hint="import those years with `oncoreg population import` or choose --years",
        )
    groups = [{"sex": "sex", "year": "year", "province": "province_code"}[b] for b in strata]
    pop = frame.group_by([*groups, "age_group"]).agg(pl.col("pyrs").sum())
    return pop.rename({"province_code": "province"} if "province" in strata else {})


def _rates(counts: pl.DataFrame, population: pl.DataFrame, by, standard, ci) -> pl.DataFrame:
    strata = [b for b in by if b != "site"]
    sites = counts.select("site").unique()
    grid = population.join(sites, how="cross")
    joined = grid.join(counts, on=[*strata, "site", "age_group"], how="left").with_columns(
        pl.col("cases").fill_null(0.0)
    )
    lost = counts.join(population, on=[*strata, "age_group"], how="anti")
    if not lost.is_empty():
        cells = lost.select(*strata, "age_group").unique().head(5).rows()
        raise InputError(
            f"{int(lost['cases'].sum())} tumours fall in strata with no population "
            f"(e.g. {', '.join('/'.join(map(str, c)) for c in cells)})",
            hint="import the population of every province, sex, age group and year counted",
        )
    keys = ["site", *strata]
    out = age_standardised_rates(joined, by=keys, standard=standard, ci=ci)
    total = out.filter(pl.col("site") == ALL_SITES).select(*strata, all_cases="cases")
    out = out.join(total, on=strata, how="left") if strata else out.join(total, how="cross")
    out = out.with_columns(
        pct=(100 * pl.col("cases") / pl.col("all_cases")).round(1),
        label=pl.col("site").replace_strict(site_labels(), default=pl.col("site")),
        _rank=pl.when(pl.col("site") == ALL_SITES)
        .then(0)
        .when(pl.col("site") == "other")
        .then(2)
        .otherwise(1),
    )
    order = [*strata, "_rank", "cases"]
    out = out.sort(order, descending=[False] * (len(strata) + 1) + [True])
    return out.select(
        "site", "label", *strata, pl.exclude("site", "label", *strata, "_rank", "all_cases")
    )


def site_labels() -> dict[str, str]:
    """English labels of the site ids the tables show (GLOBOCAN's names)."""
    from oncoreg.codes.sitegroups import site_groups

    labels = {g.id: g.label_en for g in site_groups("globocan")}
    return labels | {"other": "Other and unspecified"}


@by_data_version
def tumour_quality(store: Store, selection: Selection, by: list[str]) -> pl.DataFrame:
    """CI5's data-quality indicators of the registry's tumours (not of the reports).

    Deaths for M:I are persons whose death registration gives a cause of death in the site
    group, counted once per person, in the year of death.
    """
    from oncoreg.checks.quality import indicators

    columns = {"site": "site", "sex": "sex", "year": "diagnosis_year", "province": "province_code"}
    unknown = [b for b in by if b not in columns]
    if unknown:
        raise InputError(f"cannot group by {', '.join(unknown)}", hint=f"use {', '.join(columns)}")
    keys = [columns[b] for b in by]
    tumours = registry_tumours(store).with_columns(
        diagnosis_year=pl.col("year"),
        sex=pl.col("sex").cast(pl.String),
        death_year=pl.lit(None, pl.Int32),
        cause_site=pl.lit(None, pl.String),
    )
    years = (selection.years.start, selection.years.stop - 1)
    cases = tumours.filter(pl.col("year").is_between(*years))
    table = indicators(cases, keys).drop("deaths", "m_i_ratio")
    persons = tumours.sort("diagnosis_date").unique("person_id", keep="first")
    dead = persons.drop("cause_site").join(_registered_deaths(store), on="person_id")
    dead = dead.with_columns(
        site=pl.col("cause_site"), diagnosis_year=pl.col("death_date").dt.year()
    ).filter(pl.col("diagnosis_year").is_between(*years))
    deaths = dead.group_by(keys or pl.lit(1).alias("_all")).agg(pl.len().alias("deaths"))
    table = (
        table.join(deaths, on=keys, how="left") if keys else table.join(deaths, how="cross")
    ).with_columns(pl.col("deaths").fill_null(0))
    table = table.with_columns(
        m_i_ratio=pl.when(pl.col("deaths") > 0).then((pl.col("deaths") / pl.col("cases")).round(2))
    )
    return table.drop("_all", strict=False)


def _registered_deaths(store: Store) -> pl.DataFrame:
    from oncoreg.services.sites import site_of

    s, t, f = Source.__table__.c, Tumour.__table__.c, Facility.__table__.c
    query = (
        select(t.person_id, s.cause_of_death)
        .join(Tumour.__table__, t.id == s.tumour_id)
        .join(Facility.__table__, f.id == s.facility_id)
        .where(
            s.status != RecordStatus.OBSOLETE,
            f.type == FacilityType.DEATH_REGISTRATION,
            s.cause_of_death.is_not(None),
        )
    )
    with store.engine.connect() as connection:
        frame = read_frame(connection, query)
    frame = frame.with_columns(cause_site=site_of(frame, cause=True))
    return frame.unique("person_id", keep="first").select("person_id", "cause_site")
