"""Calibration tables of the synthetic registry and the incidence model built from them.

Data (``synth/data``, provenance in ``data/SOURCES.md``): Viet Nam's population by year, sex
and 5-year age group (UN WPP 2024), 2019 census population by province, background mortality
(UN WPP 2024 abridged ``mx``), and the cancer sites of ``sites.toml`` calibrated to GLOBOCAN
2022 Viet Nam.

The incidence model: for each site, a rate by age ``k_s * shape(age)`` per sex ``s``, where
``shape`` is log-normal in age around the site's peak age (plus a childhood component for
some sites), and ``k_s`` makes the expected 2022 cases by sex equal GLOBOCAN's cases split by
the male share. Rates change by the site's annual trend away from 2022. The expected
age-standardised rates that follow are compared with GLOBOCAN's in the tests (they depend
little on the peak for Viet Nam's age structure, so the peaks are set from the usual age
pattern of each cancer rather than solved).
"""

from __future__ import annotations

import csv
import io
import tomllib
from dataclasses import dataclass, fields
from functools import cache
from importlib import resources

import numpy as np

from oncoreg.codes.standard_populations import weights_for

AGE_GROUPS: tuple[str, ...] = tuple(f"{a}-{a + 4}" for a in range(0, 85, 5)) + ("85+",)
AGE_STARTS = np.arange(0, 90, 5)
AGE_MIDS = np.append(np.arange(2.5, 85, 5.0), 89.0)
SEXES = ("1", "2")
REFERENCE_YEAR = 2022
CHILD_PEAK, CHILD_SIGMA = 3.0, 0.6


def _text(name: str) -> str:
    return resources.files("oncoreg.synth.data").joinpath(name).read_text(encoding="utf-8")


def _tsv(name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(_text(name)), delimiter="\t"))


@dataclass(frozen=True)
class Site:
    """One cancer site of the generator (see ``data/sites.toml``)."""

    id: str
    icd10: str
    cases: float
    deaths: float
    asr: float
    crude: float
    male_share: float
    sigma: float
    child_share: float
    trend: float
    paired: bool
    in_situ: float
    topography: dict[str, float]
    morphology: dict[str, float]
    clinical: tuple[str, ...]
    basis: dict[str, float]
    stage: dict[str, float]
    unknown_stage: float
    survival: dict[str, float]
    peak: float


@cache
def sites() -> tuple[Site, ...]:
    """The cancer sites of the generator, in the order of ``sites.toml``."""
    data = tomllib.loads(_text("sites.toml"))
    defaults = data["defaults"]
    out = []
    for raw in data["site"]:
        values = {"in_situ": 0.0, **defaults, **raw}
        values["clinical"] = tuple(values.get("clinical", ()))
        site = Site(**{f.name: values[f.name] for f in fields(Site)})
        out.append(site)
    return tuple(out)


@cache
def population() -> dict[int, np.ndarray]:
    """Population by year -> array [sex, age group] (UN WPP 2024; 2024 extrapolated)."""
    table: dict[int, np.ndarray] = {}
    for row in _tsv("vn_population.tsv"):
        year = int(row["year"])
        grid = table.setdefault(year, np.zeros((2, len(AGE_GROUPS))))
        grid[SEXES.index(row["sex"]), AGE_GROUPS.index(row["age_group"])] = float(row["population"])
    return table


@cache
def province_shares() -> tuple[tuple[str, ...], np.ndarray]:
    """The 63 pre-2025 province codes and their shares of the 2019 census population."""
    rows = _tsv("vn_province_population.tsv")
    codes = tuple(r["province_code"] for r in rows)
    counts = np.array([float(r["population_2019"]) for r in rows])
    return codes, counts / counts.sum()


@cache
def mortality() -> dict[tuple[int, str], tuple[np.ndarray, np.ndarray]]:
    """Background mortality: (period start, sex) -> (age starts, central death rates mx)."""
    grouped: dict[tuple[int, str], list[tuple[int, float]]] = {}
    for row in _tsv("vn_mortality.tsv"):
        key = (int(row["period_start"]), row["sex"])
        grouped.setdefault(key, []).append((int(row["age_start"]), float(row["mx"])))
    return {
        key: (np.array([a for a, _ in sorted(v)]), np.array([m for _, m in sorted(v)]))
        for key, v in grouped.items()
    }


def mortality_period(year):
    """The start of the WPP period whose rates a year (or an array of years) takes."""
    return np.where(year < 2015, 2010, np.where(year < 2020, 2015, 2020))


def age_shape(peak: float, sigma: float, child_share: float) -> np.ndarray:
    """Relative incidence by age group: log-normal around ``peak`` plus a childhood part."""
    adult = np.exp(-((np.log(AGE_MIDS) - np.log(peak)) ** 2) / (2 * sigma**2))
    child = np.exp(-((np.log(AGE_MIDS) - np.log(CHILD_PEAK)) ** 2) / (2 * CHILD_SIGMA**2))
    return (1 - child_share) * adult / adult.max() + child_share * child


def sex_shares(site: Site) -> np.ndarray:
    return np.array([site.male_share, 1.0 - site.male_share])


def rates(site: Site) -> np.ndarray:
    """Expected 2022 incidence per person-year, array [sex, age group]."""
    shape = age_shape(site.peak, site.sigma, site.child_share)
    pop = population()[REFERENCE_YEAR]
    cases = site.cases * sex_shares(site)
    k = cases / (pop * shape).sum(axis=1)
    return k[:, None] * shape[None, :]


def expected_asr(site: Site) -> float:
    """ASR (Segi world, per 100,000) of the site's expected 2022 rates.

    Over both sexes, or over the one sex of a sex-specific site, as GLOBOCAN reports it.
    """
    pop = population()[REFERENCE_YEAR]
    expected = rates(site) * pop
    sexes = [i for i, share in enumerate(sex_shares(site)) if share > 0]
    by_age = expected[sexes].sum(axis=0) / pop[sexes].sum(axis=0)
    weights = np.array(list(weights_for("world-segi", list(AGE_GROUPS)).values()))
    return float((by_age * weights).sum() / weights.sum() * 1e5)


def year_factor(site: Site, year: int) -> float:
    return (1 + site.trend / 100.0) ** (year - REFERENCE_YEAR)
