"""Registry statistics: incidence, age-specific rates, trends, survival, data quality.

Every answer is ``{"data": [...], "suppressed_below": N | null, "parameters": {...}}``:
for roles without unsuppressed statistics, rows with fewer cases than the registry's
``small_cells`` setting have their numbers set to null and ``suppressed`` true
(``services/published.py``). Rates are per 100,000 person-years; survival and
percentages as the services give them (survival as a proportion, 0-1).
"""

from __future__ import annotations

from typing import Annotated, Any

import polars as pl
from fastapi import APIRouter, Query
from pydantic import BaseModel

from oncoreg.api.deps import SettingsDep, StoreDep, allowed
from oncoreg.services import published as pub
from oncoreg.services.access import Permission, Principal
from oncoreg.services.statistics import Selection

router = APIRouter(prefix="/api/v1/stats", tags=["statistics"])
Reader = allowed(Permission.STATISTICS)
Years = Annotated[str, Query(max_length=9, description="years of diagnosis, e.g. 2020-2024")]
Province = Annotated[
    str | None, Query(max_length=2, description="only this province (either era's code)")
]
Site = Annotated[
    str | None, Query(max_length=32, description="a GLOBOCAN site group (liver) or ICD-10 (C22)")
]
Sex = Annotated[int | None, Query(ge=1, le=2, description="1 males, 2 females; both if none")]
Standard = Annotated[
    str, Query(max_length=20, description="standard population of the ASR (world-segi, ...)")
]


class Row(BaseModel):
    suppressed: bool


class IncidenceRow(Row):
    site: str
    label: str
    sex: int | None = None
    year: int | None = None
    province: str | None = None
    cases: int | None
    pyrs: float | None
    crude_rate: float | None
    crude_lower: float | None
    crude_upper: float | None
    asr: float | None
    asr_se: float | None = None
    asr_lower: float | None
    asr_upper: float | None
    cum_rate_0_74: float | None = None
    cum_risk_0_74: float | None = None
    cum_risk_lower: float | None = None
    cum_risk_upper: float | None = None
    pct: float | None = None


class Published(BaseModel):
    suppressed_below: int | None
    parameters: dict[str, Any]


class IncidencePublic(Published):
    data: list[IncidenceRow]
    not_counted: int


class AgeRow(Row):
    site: str
    label: str
    sex: int
    age_group: str
    cases: int | None
    pyrs: float | None
    rate: float | None
    rate_lower: float | None
    rate_upper: float | None


class AgeSpecificPublic(Published):
    data: list[AgeRow]
    not_counted: int


class ApcRow(BaseModel):
    sex: int
    first_year: int | None
    last_year: int | None
    years: int | None
    apc: float | None
    apc_lower: float | None
    apc_upper: float | None
    p_value: float | None
    note: str | None


class TrendPublic(Published):
    data: list[IncidenceRow]
    apc: list[ApcRow]
    not_counted: int


class SurvivalRow(Row):
    site: str
    label: str
    patients: int | None
    time: float
    n_at_risk: int | None = None
    estimate: float | None = None
    se: float | None = None
    lower: float | None = None
    upper: float | None = None
    observed: float | None = None
    observed_lower: float | None = None
    observed_upper: float | None = None


class SurvivalPublic(Published):
    data: list[SurvivalRow]


class QualityRow(Row):
    site: str | None = None
    label: str | None = None
    sex: int | None = None
    year: int | None = None
    province: str | None = None
    cases: int | None
    mv_pct: float | None
    dco_pct: float | None
    clinical_only_pct: float | None
    unknown_basis_pct: float | None
    unknown_age_pct: float | None
    unknown_site_pct: float | None
    deaths: int | None
    m_i_ratio: float | None


class QualityPublic(Published):
    data: list[QualityRow]


def rows(frame: pl.DataFrame) -> list[dict[str, Any]]:
    return frame.to_dicts()


@router.get("/incidence", response_model=IncidencePublic, operation_id="stats_incidence")
def incidence(
    store: StoreDep,
    settings: SettingsDep,
    years: Years,
    by: str = Query("site,sex", max_length=40, description="site, sex, year, province"),
    province: Province = None,
    standard: Standard = "world-segi",
    ci: str = Query("gamma", max_length=12, description="gamma, dobson, normal, lognormal"),
    top: int = Query(0, ge=0, le=50, description="only the leading N sites per stratum"),
    principal: Principal = Reader,
) -> IncidencePublic:
    """CI5-style incidence: cases, crude rate, ASR with CI, cumulative risk 0-74, % of
    all sites (but C44), by the ``by`` strata."""
    selection = Selection(pub.parse_years(years), province=province)
    strata = pub.parse_list(by)
    result = pub.published_incidence(
        store, principal, selection, strata, standard, ci, top, settings.small_cells
    )
    parameters = {"years": pub.years_text(selection.years), "by": list(strata)}
    parameters |= {"province": province, "standard": standard, "ci": ci, "top": top}
    return IncidencePublic(
        data=rows(result.data),
        suppressed_below=result.suppressed_below,
        not_counted=result.not_counted,
        parameters=parameters,
    )


@router.get("/age-specific", response_model=AgeSpecificPublic, operation_id="stats_age_specific")
def age_specific(
    store: StoreDep,
    settings: SettingsDep,
    years: Years,
    site: Site = None,
    sex: Sex = None,
    province: Province = None,
    principal: Principal = Reader,
) -> AgeSpecificPublic:
    """Rates by 5-year age group and sex with exact Poisson 95% limits (all sites but C44
    when no site is given)."""
    selection = Selection(pub.parse_years(years), province=province, site=site)
    result = pub.published_age_specific(store, principal, selection, sex, settings.small_cells)
    parameters = {"years": pub.years_text(selection.years), "site": site, "sex": sex}
    return AgeSpecificPublic(
        data=rows(result.data),
        suppressed_below=result.suppressed_below,
        not_counted=result.not_counted,
        parameters=parameters | {"province": province},
    )


@router.get("/trend", response_model=TrendPublic, operation_id="stats_trend")
def trend(
    store: StoreDep,
    settings: SettingsDep,
    years: Years,
    site: Site = None,
    sex: Sex = None,
    province: Province = None,
    standard: Standard = "world-segi",
    principal: Principal = Reader,
) -> TrendPublic:
    """Cases, crude rate and ASR by year and sex, and the annual percent change of the
    ASR per sex with its 95% CI (least squares on the log rate, as SEER*Stat)."""
    selection = Selection(pub.parse_years(years), province=province, site=site)
    result = pub.published_trend(store, principal, selection, sex, standard, settings.small_cells)
    parameters = {"years": pub.years_text(selection.years), "site": site, "sex": sex}
    return TrendPublic(
        data=rows(result.data),
        apc=rows(result.apc),
        suppressed_below=result.suppressed_below,
        not_counted=result.not_counted,
        parameters=parameters | {"province": province, "standard": standard},
    )


@router.get("/survival", response_model=SurvivalPublic, operation_id="stats_survival")
def survival(
    store: StoreDep,
    settings: SettingsDep,
    years: Years,
    sites: int = Query(5, ge=1, le=20, description="the N most frequent sites"),
    site: Site = None,
    times: str = Query("1,3,5", max_length=40, description="years since diagnosis"),
    method: str = Query("pohar-perme", max_length=12, description="pohar-perme, ederer2, km"),
    province: Province = None,
    principal: Principal = Reader,
) -> SurvivalPublic:
    """Survival by site (net survival by default) of the patients diagnosed in ``years``,
    aged 15-99, death-certificate-only cases left out, passive follow-up."""
    selection = Selection(pub.parse_years(years), province=province, site=site)
    chosen = pub.parse_times(times)
    result = pub.published_survival(
        store, principal, selection, sites, method, chosen, settings.small_cells
    )
    parameters = {"years": pub.years_text(selection.years), "site": site, "sites": sites}
    parameters |= {"times": list(chosen), "method": method, "province": province}
    return SurvivalPublic(
        data=rows(result.data), suppressed_below=result.suppressed_below, parameters=parameters
    )


@router.get("/quality", response_model=QualityPublic, operation_id="stats_quality")
def quality(
    store: StoreDep,
    settings: SettingsDep,
    years: Years,
    by: str = Query("site", max_length=40, description="site, sex, year, province"),
    principal: Principal = Reader,
) -> QualityPublic:
    """CI5's data-quality indicators of the registry's tumours: MV%, DCO%, clinical only,
    unknown basis, age and primary site, deaths and the M:I ratio."""
    selection = Selection(pub.parse_years(years))
    strata = pub.parse_list(by)
    result = pub.published_quality(store, principal, selection, strata, settings.small_cells)
    return QualityPublic(
        data=rows(result.data),
        suppressed_below=result.suppressed_below,
        parameters={"years": pub.years_text(selection.years), "by": list(strata)},
    )
