"""Registry statistics as a reader may see them: the one gate of the dashboard, the API,
the charts and the annual report.

Each ``published_*`` function checks the reader's permission (``Permission.STATISTICS``),
computes the statistic with the registry services (``services/statistics.py``,
``services/registry_survival.py``) and the pure functions of ``oncoreg.stats``, and, for
roles without ``Permission.FULL_STATISTICS``, suppresses every cell with fewer cases than
the ``small_cells`` setting (``services/disclosure.py``). Nothing here holds a name or an
identifier: the frames are counts and rates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

import polars as pl

from oncoreg.checks.quality import INDICATORS
from oncoreg.errors import InputError
from oncoreg.services.access import Permission, Principal, require
from oncoreg.services.cache import by_data_version
from oncoreg.services.disclosure import suppress, threshold_for
from oncoreg.services.population import population_frame
from oncoreg.services.statistics import (
    ALL_SITES,
    COLORECTUM,
    NMSC,
    Selection,
    _in_years_and_province,
    incidence_table,
    registry_tumours,
    select_tumours,
    site_labels,
    tumour_quality,
)
from oncoreg.stats import age_specific_rates, age_standardised_rates, annual_percent_change
from oncoreg.stats.standardise import ASR_COLUMNS, CI_METHODS, STANDARDS
from oncoreg.store.database import Store

# the values derived from the cases: every rate column of the ASR table, and the share
INCIDENCE_VALUES = (*(c for c in ASR_COLUMNS if c not in ("cases", "pyrs")), "pct")
AGE_VALUES = ("rate", "rate_lower", "rate_upper")
SURVIVAL_VALUES = (
    "n_at_risk",
    "estimate",
    "se",
    "lower",
    "upper",
    "observed",
    "observed_lower",
    "observed_upper",
)
QUALITY_VALUES = tuple(i for i in INDICATORS if i != "cases")  # derived from the cases
APC_NOTES = {
    "suppressed": "not shown: a year has too few cases to publish",
    "not_computed": "not computed: needs 3 or more years, each with cases",
}
SURVIVAL_METHODS = ("pohar-perme", "ederer2", "km")
YEARS_SPAN = 5
MAX_YEARS = 60


@dataclass(frozen=True)
class Published:
    """A published table: its rows, the suppression threshold applied (None: nothing was
    suppressed) and what the table leaves out or adds."""

    data: pl.DataFrame
    suppressed_below: int | None
    not_counted: int = 0
    apc: pl.DataFrame | None = None


def reader_threshold(principal: Principal, small_cells: int) -> int | None:
    """Refuse readers without statistics; the suppression threshold of the others."""
    require(principal, Permission.STATISTICS)
    return threshold_for(principal.can(Permission.FULL_STATISTICS), small_cells)


def _suppressed(
    frame: pl.DataFrame, threshold: int | None, count: str, values: Sequence[str]
) -> pl.DataFrame:
    present = [v for v in values if v in frame.columns]
    return suppress(frame, count, present, threshold or 0)


# -- parameters --------------------------------------------------------------------------


def parse_years(text: str) -> range:
    """``2020-2024`` or ``2022`` -> a range of years (at most :data:`MAX_YEARS`)."""
    try:
        first, _, last = text.strip().partition("-")
        span = range(int(first), int(last or first) + 1)
    except ValueError:
        raise InputError(f"years {text!r} is not a year or a span", hint="e.g. 2020-2024") from None
    if not span or len(span) > MAX_YEARS or span.start < 1900 or span.stop > 2201:
        raise InputError(f"years {text!r} is not a span of 1 to {MAX_YEARS} years")
    return span


def parse_list(text: str | None) -> tuple[str, ...]:
    return tuple(p.strip() for p in (text or "").split(",") if p.strip())


def parse_times(text: str) -> tuple[float, ...]:
    """``1,3,5`` -> years since diagnosis (each above 0 and at most 30)."""
    try:
        times = tuple(float(t) for t in parse_list(text))
    except ValueError:
        raise InputError(f"times {text!r} are not numbers", hint="e.g. 1,3,5") from None
    if not times or any(not 0 < t <= 30 for t in times):
        raise InputError(f"times {text!r} are not years since diagnosis", hint="e.g. 1,3,5")
    return tuple(sorted(set(times)))


def check_options(standard: str = "world-segi", ci: str = "gamma", method: str = "km") -> None:
    """Refuse an unknown standard population, CI method or survival method."""
    for value, known, what in (
        (standard, STANDARDS, "standard population"),
        (ci, CI_METHODS, "CI method"),
        (method, SURVIVAL_METHODS, "survival method"),
    ):
        if value not in known:
            raise InputError(f"unknown {what} {value!r}", hint=f"use {', '.join(known)}")


# -- years -------------------------------------------------------------------------------


@by_data_version
def registry_years(store: Store) -> list[int]:
    """Years of diagnosis that have both tumours and population, in order."""
    tumour_years = set(registry_tumours(store)["year"].drop_nulls().to_list())
    population = population_frame(store)
    covered = set(population["year"].to_list()) if not population.is_empty() else set()
    return sorted(tumour_years & covered)


def default_years(store: Store, span: int = YEARS_SPAN, today: date | None = None) -> range:
    """The last ``span`` complete years (before this one) present in the registry: with
    tumours and population, consecutive, ending with the latest such year.

    Raises:
        InputError: no complete year has tumours and population.
    """
    this_year = (today or date.today()).year
    years = [y for y in registry_years(store) if y < this_year]
    if not years:
        raise InputError(
            "no complete year has both tumours and population",
            hint="import reports and the population (`oncoreg population import`)",
        )
    return span_ending(years, years[-1], span)


def span_ending(years: list[int], last: int, length: int) -> range:
    """The longest run of consecutive ``years`` ending with ``last``, at most ``length``."""
    first = last
    while first - 1 in years and last - first + 1 < length:
        first -= 1
    return range(first, last + 1)


def years_text(years: range) -> str:
    first, last = years.start, years.stop - 1
    return str(first) if first == last else f"{first}-{last}"


# -- incidence ---------------------------------------------------------------------------


@by_data_version
def published_incidence(
    store: Store,
    principal: Principal,
    selection: Selection,
    by: Sequence[str] = ("site", "sex"),
    standard: str = "world-segi",
    ci: str = "gamma",
    top: int = 0,
    small_cells: int = 5,
) -> Published:
    """The CI5-style incidence table (``incidence_table``); with ``top`` only the
    all-sites row and the ``top`` leading sites of each stratum."""
    threshold = reader_threshold(principal, small_cells)
    check_options(standard, ci)
    require_tumours(store, selection, by_site="site" in by)
    table = incidence_table(store, selection, tuple(by), standard=standard, ci=ci)
    rates = table.rates
    strata = [c for c in ("sex", "year", "province") if c in rates.columns]
    if top > 0:
        order = pl.int_range(pl.len())
        rates = rates.filter((order.over(strata) if strata else order) <= top)
    columns = ["site", "label", *strata, "cases", "pyrs", *INCIDENCE_VALUES]
    data = _suppressed(rates.select(columns), threshold, "cases", INCIDENCE_VALUES)
    return Published(data, threshold, table.not_counted)


def require_tumours(store: Store, selection: Selection, by_site: bool) -> None:
    """Refuse a site or province with no tumour to count in the selection's years (the
    rates of all sites leave non-melanoma skin cancer out, so it alone counts none)."""
    if selection.site is None and selection.province is None:
        return  # the registry's statistics say themselves when nothing is there
    tumours = select_tumours(registry_tumours(store), selection)
    if not by_site:
        tumours = tumours.filter(pl.col("site").fill_null("other") != NMSC)
    if tumours.is_empty():
        what = f" of site {selection.site}" if selection.site else ""
        raise InputError(
            f"no tumours to count{what} {selection.describe()}",
            hint="choose other years, province or site (rates of all sites leave C44 out)",
        )


def top_sites(data: pl.DataFrame, top: int = 10) -> pl.DataFrame:
    """The ``top`` sites of each sex by ASR (as GLOBOCAN's fact sheets rank them),
    leaving out all sites, non-melanoma skin and other sites; suppressed cells last."""
    sites = data.filter(~pl.col("site").is_in([ALL_SITES, NMSC, "other"]))
    ranked = sites.sort(["sex", "asr", "site"], descending=[False, True, False], nulls_last=True)
    return ranked.filter(pl.int_range(pl.len()).over("sex") < top)


# -- age-specific rates ------------------------------------------------------------------


@by_data_version
def published_age_specific(
    store: Store,
    principal: Principal,
    selection: Selection,
    sex: int | None = None,
    small_cells: int = 5,
) -> Published:
    """Rates by 5-year age group and sex with exact Poisson (Garwood) limits, for the
    selection's site (all sites but C44 when none)."""
    threshold = reader_threshold(principal, small_cells)
    counts, not_counted = age_counts(store, selection, sex)
    rates = age_specific_rates(counts, by=["sex"])
    site = selection.site or ALL_SITES
    rates = rates.select(pl.lit(site).alias("site"), pl.lit(_label(site)).alias("label"), pl.all())
    return Published(_suppressed(rates, threshold, "cases", AGE_VALUES), threshold, not_counted)


@by_data_version
def age_counts(
    store: Store, selection: Selection, sex: int | None = None
) -> tuple[pl.DataFrame, int]:
    """Cases and person-years by sex and age group; tumours of unknown sex or age (and
    non-melanoma skin when no site is chosen) are left out, their number returned."""
    tumours = select_tumours(registry_tumours(store), selection)
    if selection.site is None:
        tumours = tumours.filter(pl.col("site").fill_null("other") != NMSC)
    known = pl.col("sex").is_in([1, 2]) & pl.col("age_group").is_not_null()
    countable = tumours.filter(known)
    counts = countable.group_by("sex", "age_group").agg(pl.len().alias("cases"))
    population = selected_population(store, selection)
    pyrs = population.group_by("sex", "age_group").agg(pl.col("pyrs").sum())
    frame = pyrs.join(counts, on=["sex", "age_group"], how="left")
    frame = frame.with_columns(pl.col("cases").fill_null(0), pl.col("sex").cast(pl.Int64))
    if sex is not None:
        frame = frame.filter(pl.col("sex") == sex)
    return frame.sort("sex"), tumours.height - countable.height


def selected_population(store: Store, selection: Selection) -> pl.DataFrame:
    """The population cells of the selection's years and province.

    Raises:
        InputError: a year of the selection has no population.
    """
    frame = population_frame(store)
    if not frame.is_empty():
        frame = frame.filter(_in_years_and_province(selection))
    covered = set(frame["year"].to_list()) if not frame.is_empty() else set()
    missing = [y for y in selection.years if y not in covered]
    if missing:
        raise InputError(
            f"the registry has no population for {', '.join(map(str, missing))}",
            hint="import those years with `oncoreg population import` or choose other years",
        )
    return frame


# -- trend -------------------------------------------------------------------------------


@by_data_version
def published_trend(
    store: Store,
    principal: Principal,
    selection: Selection,
    sex: int | None = None,
    standard: str = "world-segi",
    small_cells: int = 5,
) -> Published:
    """Cases, crude rate and ASR by year and sex for the selection's site (all sites but
    C44 when none), and the annual percent change of the ASR per sex.

    The APC of a sex is not shown to a reader for whom a year was suppressed.
    """
    threshold = reader_threshold(principal, small_cells)
    check_options(standard)
    require_tumours(store, selection, by_site=False)
    table = incidence_table(store, selection, ("sex", "year"), standard=standard)
    site = selection.site or ALL_SITES
    rates = table.rates.with_columns(site=pl.lit(site), label=pl.lit(_label(site)))
    if sex is not None:
        rates = rates.filter(pl.col("sex") == sex)
    columns = ["site", "label", "sex", "year", "cases", "pyrs", *INCIDENCE_VALUES[:7]]
    rates = rates.select(columns).sort("sex", "year")
    data = _suppressed(rates, threshold, "cases", INCIDENCE_VALUES)
    return Published(data, threshold, table.not_counted, apc_by_sex(rates, data))


def apc_by_sex(rates: pl.DataFrame, published: pl.DataFrame) -> pl.DataFrame:
    """The APC of the ASR per sex, with a note where it is not shown or not computed."""
    rows = []
    for sex in sorted(rates["sex"].unique().to_list()):
        part = rates.filter(pl.col("sex") == sex)
        row: dict = {"sex": sex, "note": None}
        if published.filter(pl.col("sex") == sex)["suppressed"].any():
            row["note"] = APC_NOTES["suppressed"]
        else:
            try:
                fit = annual_percent_change(part.select("year", "asr"))
                row |= fit.row(0, named=True)
            except InputError:
                row["note"] = APC_NOTES["not_computed"]
        rows.append(row)
    columns = ["first_year", "last_year", "years", "apc", "apc_lower", "apc_upper", "p_value"]
    schema = {"sex": pl.Int64, "note": pl.String} | {
        c: pl.Int64 if c.endswith(("year", "years")) else pl.Float64 for c in columns
    }
    frame = pl.DataFrame(rows, schema=schema)
    return frame.select("sex", *columns, "note")


# -- survival ----------------------------------------------------------------------------


@by_data_version
def published_survival(
    store: Store,
    principal: Principal,
    selection: Selection,
    sites: int = 5,
    method: str = "pohar-perme",
    times: Sequence[float] = (1.0, 3.0, 5.0),
    small_cells: int = 5,
) -> Published:
    """Survival by site at ``times`` (years): the selection's site, or its ``sites`` most
    frequent site groups, with ``method`` (net survival by default). A site followed in
    fewer patients than the threshold is suppressed."""
    threshold = reader_threshold(principal, small_cells)
    check_options(method=method)
    table = survival_by_site(store, selection, sites, method, tuple(times))
    return Published(_suppressed(table, threshold, "patients", SURVIVAL_VALUES), threshold)


@by_data_version
def survival_by_site(
    store: Store, selection: Selection, sites: int, method: str, times: tuple[float, ...]
) -> pl.DataFrame:
    from oncoreg.services.registry_survival import registry_survival
    from oncoreg.services.survival_files import SurvivalRequest

    everyone = registry_tumours(store)
    chosen = [selection.site] if selection.site else leading_sites(everyone, selection, sites)
    # follow-up recorded after the life table's last year (the table lags the registry's
    # contacts) is expected: the oldest age and last year are carried forward
    request = SurvivalRequest(None, method, times, None, extend_lifetable=True)
    frames = []
    for site in chosen:
        result = registry_survival(store, replace(selection, site=site), request, everyone)
        frames.append(
            result.estimates.with_columns(
                site=pl.lit(site),
                label=pl.lit(_label(site)),
                patients=pl.lit(result.cohort.frame.height, pl.Int64),
            )
        )
    if not frames:
        raise InputError(f"no tumours to follow up {selection.describe()}")
    out = pl.concat(frames, how="diagonal_relaxed")
    return out.select("site", "label", "patients", pl.exclude("site", "label", "patients"))


def leading_sites(tumours: pl.DataFrame, selection: Selection, sites: int) -> list[str]:
    """The ``sites`` most frequent site groups of the selection (colon, rectum and anus
    as colorectum; other sites and non-melanoma skin left out)."""
    chosen = select_tumours(tumours, selection).with_columns(
        site=pl.col("site").replace(COLORECTUM)
    )
    ranked = (
        chosen.filter(~pl.col("site").is_in(["other", NMSC]) & pl.col("site").is_not_null())
        .group_by("site")
        .len()
        .sort(["len", "site"], descending=[True, False])
    )
    return ranked.head(sites)["site"].to_list()


# -- quality and provinces ---------------------------------------------------------------


@by_data_version
def published_quality(
    store: Store,
    principal: Principal,
    selection: Selection,
    by: Sequence[str] = ("site",),
    small_cells: int = 5,
) -> Published:
    """CI5's data-quality indicators (``tumour_quality``) by ``by``, most cases first."""
    threshold = reader_threshold(principal, small_cells)
    table = tumour_quality(store, selection, list(by))
    table = table.rename(
        {"diagnosis_year": "year", "province_code": "province"}, strict=False
    ).with_columns(pl.col("cases").cast(pl.Int64), pl.col("deaths").cast(pl.Int64))
    if "sex" in table.columns:
        table = table.with_columns(pl.col("sex").cast(pl.Int64, strict=False))
    if "site" in table.columns:
        table = table.with_columns(label=pl.col("site").map_elements(_label, pl.String))
    keys = [c for c in ("site", "label", "sex", "year", "province") if c in table.columns]
    table = table.select(*keys, "cases", *QUALITY_VALUES).sort(
        ["cases", *keys], descending=[True] + [False] * len(keys), nulls_last=True
    )
    return Published(_suppressed(table, threshold, "cases", QUALITY_VALUES), threshold)


@by_data_version
def published_provinces(
    store: Store,
    principal: Principal,
    selection: Selection,
    standard: str = "world-segi",
    small_cells: int = 5,
) -> Published:
    """All sites but C44, both sexes, by province (2025 units): cases, crude rate and
    ASR. Tumours of unknown province, sex or age are left out and counted."""
    threshold = reader_threshold(principal, small_cells)
    check_options(standard)
    frame, not_counted = province_counts(store, selection)
    rates = age_standardised_rates(frame, by=["province"], standard=standard)
    rates = rates.with_columns(name=pl.col("province").map_elements(_province_name, pl.String))
    columns = ["province", "name", "cases", "pyrs", *INCIDENCE_VALUES[:11]]
    rates = rates.select(columns).sort("province")
    return Published(
        _suppressed(rates, threshold, "cases", INCIDENCE_VALUES), threshold, not_counted
    )


@by_data_version
def province_counts(store: Store, selection: Selection) -> tuple[pl.DataFrame, int]:
    tumours = select_tumours(registry_tumours(store), selection).filter(
        pl.col("site").fill_null("other") != NMSC
    )
    known = (
        pl.col("sex").is_in([1, 2])
        & pl.col("age_group").is_not_null()
        & pl.col("province_code").is_not_null()
    )
    counts = (
        tumours.filter(known)
        .group_by(pl.col("province_code").alias("province"), "age_group")
        .agg(pl.len().alias("cases"))
    )
    population = selected_population(store, selection)
    pyrs = population.group_by(pl.col("province_code").alias("province"), "age_group").agg(
        pl.col("pyrs").sum()
    )
    frame = pyrs.join(counts, on=["province", "age_group"], how="left").with_columns(
        pl.col("cases").fill_null(0)
    )
    counted = int(frame["cases"].sum())
    return frame, tumours.height - counted


def _province_name(code: str) -> str:
    from oncoreg.codes.provinces import province

    try:
        return province(code, era="2025").short_name_vi
    except InputError:
        return code


def _label(site: str) -> str:
    return site_labels().get(site, site)
