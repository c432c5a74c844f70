"""The statistics pages: the dashboard, its charts (SVG, PNG and the CSV behind each) and
the annual report.

Every number goes through ``services/published.py``, as the API's does, so a role below
registrar sees the same suppressed cells here, in the charts, in the CSV files and in the
report. The dashboard's JSON twin is ``/api/v1/stats/incidence``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

import polars as pl
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from oncoreg.api.deps import AuthDep, SettingsDep, StoreDep, allowed
from oncoreg.errors import InputError, NotFound
from oncoreg.report import charts
from oncoreg.report.annual import (
    REPORT_FORMATS,
    annual_report,
    check_language,
    number,
    pdf_bytes,
)
from oncoreg.services import published as pub
from oncoreg.services.access import Permission, Principal, Role
from oncoreg.services.cache import by_data_version
from oncoreg.services.statistics import ALL_SITES, NMSC, Selection
from oncoreg.store import Store
from oncoreg.web.i18n import LANGUAGES
from oncoreg.web.render import fragment, language, render

router = APIRouter(include_in_schema=False)
Reader = allowed(Permission.STATISTICS)
CHARTS = ("top-sites", "age-specific", "trend", "survival", "quality")
MEDIA = {"svg": "image/svg+xml", "png": "image/png", "csv": "text/csv; charset=utf-8"}
SURVIVAL_TIMES = (1.0, 2.0, 3.0, 4.0, 5.0)
TOP = 10


@dataclass(frozen=True)
class View:
    """What the dashboard shows: years, an optional province, the site of the age and
    trend charts, the standard population and the number of survival sites."""

    years: range
    site: str | None = None
    province: str | None = None
    standard: str = "world-segi"
    sites: int = 5

    def selection(self, site: str | None = None) -> Selection:
        return Selection(self.years, province=self.province, site=site)

    def query(self, **extra) -> str:
        values = {
            "years": pub.years_text(self.years),
            "site": self.site,
            "province": self.province,
            "standard": None if self.standard == "world-segi" else self.standard,
        }
        return urlencode({k: v for k, v in (values | extra).items() if v is not None})


def _view(store: Store, years, site, province, standard, sites: int = 5) -> View:
    pub.check_options(standard)
    span = pub.parse_years(years) if years else pub.default_years(store)
    return View(span, site or None, province or None, standard, sites)


Years = Annotated[str | None, Query(max_length=9)]
Site = Annotated[str | None, Query(max_length=32)]
Province = Annotated[str | None, Query(max_length=2)]
Standard = Annotated[str, Query(max_length=20)]


@router.get("/dashboard")
def dashboard(
    request: Request,
    auth: AuthDep,
    store: StoreDep,
    settings: SettingsDep,
    years: Years = None,
    site: Site = None,
    province: Province = None,
    standard: Standard = "world-segi",
    principal: Principal = Reader,
) -> Response:
    view = _view(store, years, site, province, standard)
    lang = language(request)
    content = dashboard_content(store, principal, view, settings.small_cells, lang)
    twin = f"/api/v1/stats/incidence?{view.query(site=None)}"
    return render(request, "dashboard.html", {"content": content}, auth, twin=twin)


@by_data_version
def dashboard_content(store: Store, principal: Principal, view: View, small: int, lang: str):
    """The dashboard's tables and charts for the principal's role, kept until the data
    change: a page then costs its frame (user, language switch, CSRF token) alone."""
    incidence = pub.published_incidence(
        store, principal, view.selection(), standard=view.standard, small_cells=small
    )
    provinces = pub.published_provinces(
        store, principal, view.selection(), view.standard, small_cells=small
    )
    context = {
        "view": view,
        "query": view.query(),
        "years_text": pub.years_text(view.years),
        "year_choices": _year_choices(store, view.years),
        "site_choices": _site_choices(incidence.data, lang),
        "province_choices": _province_choices(lang),
        "suppressed_below": incidence.suppressed_below,
        "not_counted": incidence.not_counted,
        "incidence": incidence_rows(incidence.data, lang),
        "provinces": provinces.data.to_dicts(),
        "provinces_not_counted": provinces.not_counted,
        "charts": CHARTS,
        "num": lambda value, digits=1: number(value, lang, digits),
    }
    return fragment("dashboard_content.html", lang, context)


def incidence_rows(data: pl.DataFrame, lang: str) -> list[dict]:
    """One row per site, males and females side by side (none for the organs of the other
    sex), all sites first, then by cases of both sexes (a suppressed cell counts none)."""
    from oncoreg.codes.sitegroups import site_groups

    only = {g.id: g.sex for g in site_groups("globocan")}
    by_site: dict[str, dict] = {}
    for row in data.iter_rows(named=True):
        site = row["site"]
        entry = by_site.setdefault(
            site, {"site": site, "name": charts.site_label(site, lang, row["label"])}
        )
        entry[row["sex"]] = None if only.get(site) == {1: "F", 2: "M"}[row["sex"]] else row
    rows = list(by_site.values())
    total = {r["site"]: sum((r.get(s) or {}).get("cases") or 0 for s in (1, 2)) for r in rows}
    rows.sort(key=lambda r: (r["site"] != ALL_SITES, r["site"] == "other", -total[r["site"]]))
    return rows


def _year_choices(store: Store, chosen: range) -> list[str]:
    """The years shown, the last five and all years of the registry, then each year."""
    years = pub.registry_years(store)
    choices = [pub.years_text(chosen)]
    if years:
        choices.append(pub.years_text(pub.span_ending(years, years[-1], pub.YEARS_SPAN)))
        choices.append(pub.years_text(pub.span_ending(years, years[-1], pub.MAX_YEARS)))
        choices += [str(y) for y in reversed(years)]
    return list(dict.fromkeys(choices))


def _site_choices(data: pl.DataFrame, lang: str) -> list[tuple[str, str]]:
    sites = data.filter(~pl.col("site").is_in([ALL_SITES, NMSC, "other"]))
    pairs = {
        s: charts.site_label(s, lang, label) for s, label in sites.select("site", "label").rows()
    }
    return sorted(pairs.items(), key=lambda pair: pair[1])


def _province_choices(lang: str) -> list[tuple[str, str]]:
    from oncoreg.codes.provinces import provinces

    return [(p.code, p.short_name_vi if lang == "vi" else p.name_en) for p in provinces("2025")]


# -- charts ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Chart:
    """The numbers behind a chart and how to draw it in a language and format."""

    data: pl.DataFrame
    draw: Callable[[str, str], bytes]


TOP_COLUMNS = ("site", "label", "sex", "cases", "crude_rate", "asr", "asr_lower", "asr_upper")


def _top_sites(store: Store, principal: Principal, view: View, small: int) -> Chart:
    table = pub.published_incidence(
        store, principal, view.selection(), standard=view.standard, small_cells=small
    )
    top = pub.top_sites(table.data, TOP).select(*TOP_COLUMNS, "suppressed")
    return Chart(top, lambda lang, fmt: charts.top_sites_chart(top, lang, fmt))


def _age_specific(store: Store, principal: Principal, view: View, small: int) -> Chart:
    selection = view.selection(view.site)
    ages = pub.published_age_specific(store, principal, selection, small_cells=small).data
    return Chart(ages, lambda lang, fmt: charts.age_specific_chart(ages, lang, fmt))


def _trend(store: Store, principal: Principal, view: View, small: int) -> Chart:
    selection = view.selection(view.site)
    trend = pub.published_trend(store, principal, selection, None, view.standard, small)
    numbers = trend.data.join(trend.apc.drop("note"), on="sex", how="left")
    return Chart(numbers, lambda lang, fmt: charts.trend_chart(trend.data, trend.apc, lang, fmt))


def _survival(store: Store, principal: Principal, view: View, small: int) -> Chart:
    survival = pub.published_survival(
        store, principal, view.selection(), view.sites, "pohar-perme", SURVIVAL_TIMES, small
    ).data
    return Chart(survival, lambda lang, fmt: charts.survival_chart(survival, lang, fmt))


def _quality(store: Store, principal: Principal, view: View, small: int) -> Chart:
    quality = pub.published_quality(store, principal, view.selection(), small_cells=small).data
    return Chart(quality, lambda lang, fmt: charts.quality_chart(quality, lang, fmt))


CHART_BUILDERS = {
    "top-sites": _top_sites,
    "age-specific": _age_specific,
    "trend": _trend,
    "survival": _survival,
    "quality": _quality,
}


def chart_of(name: str, store: Store, principal: Principal, view: View, small: int) -> Chart:
    """The chart ``name`` of the view, computed for the principal (suppression applied)."""
    if name not in CHART_BUILDERS:
        raise NotFound(f"no chart {name!r}", hint=f"charts: {', '.join(CHARTS)}")
    return CHART_BUILDERS[name](store, principal, view, small)


@router.get("/charts/{name}.{fmt}")
def chart(
    name: str,
    fmt: str,
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    years: Years = None,
    site: Site = None,
    province: Province = None,
    standard: Standard = "world-segi",
    sites: int = Query(5, ge=1, le=10),
    principal: Principal = Reader,
) -> Response:
    """A dashboard chart as SVG or PNG, or the numbers behind it as CSV."""
    if fmt not in MEDIA or name not in CHARTS:
        raise NotFound(f"no chart {name}.{fmt}", hint="e.g. /charts/top-sites.svg")
    view = _view(store, years, site, province, standard, sites)
    content = chart_file(store, name, principal, view, settings.small_cells, language(request), fmt)
    filename = f"{name}-{pub.years_text(view.years)}.{fmt}"
    headers = {"Content-Disposition": f'inline; filename="{filename}"'}
    if fmt == "csv":
        headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return Response(content, media_type=MEDIA[fmt], headers=headers)


@by_data_version
def chart_file(
    store: Store, name: str, principal: Principal, view: View, small: int, lang: str, fmt: str
):
    """The chart drawn (or its numbers as CSV), kept until the data change."""
    found = chart_of(name, store, principal, view, small)
    return found.data.write_csv() if fmt == "csv" else found.draw(lang, fmt)


def warm(store: Store, small: int) -> None:
    """Compute the default dashboard (its content in each language and its charts'
    numbers) for the roles that read statistics, so that its first readers find it kept.
    Run by each server worker as it starts, on a thread of its own; a registry with
    nothing to count is left as it is (its users see why on the dashboard)."""
    view = _view(store, None, None, None, "world-segi")
    for role in (Role.ANALYST, Role.REGISTRAR, Role.ADMIN):
        principal = Principal(username="system", role=role)
        for lang in LANGUAGES:
            dashboard_content(store, principal, view, small, lang)
        for name in CHARTS:
            chart_of(name, store, principal, view, small)


# -- the annual report -------------------------------------------------------------------


@router.get("/report")
def report_page(
    request: Request, auth: AuthDep, store: StoreDep, principal: Principal = Reader
) -> Response:
    years = pub.registry_years(store)
    try:
        default = pub.default_years(store).stop - 1
    except InputError:  # no complete year: the form offers what there is
        default = years[-1] if years else None
    context = {
        "years": list(reversed(years)),
        "default_year": default,
        "languages": LANGUAGES,
        "formats": REPORT_FORMATS,
    }
    return render(request, "report_form.html", context, auth)


@router.get("/report/download")
def report_download(
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    year: int = Query(..., ge=1900, le=2200),
    lang: str | None = Query(None, max_length=2),
    format: str = Query("html", max_length=4),
    principal: Principal = Reader,
) -> Response:
    """The annual report of ``year`` as HTML or PDF, for the signed-in reader."""
    if format not in REPORT_FORMATS:
        raise NotFound(f"no report format {format!r}", hint="use html or pdf")
    chosen = check_language(lang or language(request))
    html = annual_report(store, principal, year, chosen, settings.small_cells)
    filename = f"oncoreg-report-{year}-{chosen}.{format}"
    disposition = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if format == "pdf":
        return Response(pdf_bytes(html), media_type="application/pdf", headers=disposition)
    return Response(html, media_type="text/html; charset=utf-8", headers=disposition)
