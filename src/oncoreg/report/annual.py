"""The registry's annual report: one HTML document (or PDF) with a title page, CI5-style
incidence tables per sex, the data-quality indicators and the charts inline as SVG.

Every number comes from ``services/published.py`` for the reader who asks, so a report
made for a role below registrar suppresses small cells exactly as the dashboard does. The
command line runs it as the system principal (``oncoreg report``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl
from babel.numbers import format_decimal
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from oncoreg.errors import InputError
from oncoreg.report import charts
from oncoreg.services import published as pub
from oncoreg.services.access import Principal
from oncoreg.services.statistics import ALL_SITES, Selection, registry_tumours
from oncoreg.store import Store
from oncoreg.web.i18n import LANGUAGES, show_date, translator

TEMPLATES = Path(__file__).resolve().parent.parent / "web" / "templates"
REPORT_FORMATS = ("html", "pdf")
TREND_YEARS = 10
SURVIVAL_YEARS = 5
SURVIVAL_TIMES = (1.0, 2.0, 3.0, 4.0, 5.0)
TOP_SITES = 10


def number(value: float | None, lang: str, digits: int = 1) -> str:
    """A number as readers of the language write it (12.345,7 in Vietnamese); a dash
    for a missing one."""
    if value is None:
        return "–"
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, pattern, locale=lang)


def inline_svg(data: bytes) -> Markup:
    """An SVG chart for embedding in HTML: without its XML prolog and DOCTYPE."""
    text = data.decode("utf-8")
    return Markup(text[text.index("<svg") :])  # matplotlib's own output


def _environment() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))


def check_language(lang: str) -> str:
    if lang not in LANGUAGES:
        raise InputError(f"unknown language {lang!r}", hint=f"use {' or '.join(LANGUAGES)}")
    return lang


@dataclass(frozen=True)
class Section:
    """A part of the report that could not be computed is shown with the reason."""

    chart: Markup | None = None
    problem: str | None = None
    data: pl.DataFrame | None = None
    extra: pl.DataFrame | None = None


def _section(compute, draw) -> Section:
    try:
        published = compute()
    except InputError as err:
        return Section(problem=err.message)
    return Section(inline_svg(draw(published)), None, published.data, published.apc)


def annual_report(
    store: Store,
    principal: Principal,
    year: int,
    lang: str = "vi",
    small_cells: int = 5,
    today: date | None = None,
) -> str:
    """The annual report of ``year`` as one standalone HTML document.

    Raises:
        Forbidden: the principal may not read statistics.
        InputError: an unknown language, no tumour diagnosed in ``year``, or no
            population for it.
    """
    check_language(lang)
    pub.reader_threshold(principal, small_cells)
    tumours = registry_tumours(store)
    if tumours.filter(pl.col("year") == year).is_empty():
        raise InputError(
            f"the registry has no tumours diagnosed in {year}",
            hint="choose a year with registered tumours",
        )
    selection = Selection(range(year, year + 1))
    incidence = pub.published_incidence(store, principal, selection, small_cells=small_cells)
    quality = pub.published_quality(store, principal, selection, small_cells=small_cells)
    years = pub.registry_years(store)
    context = {
        "year": year,
        "lang": lang,
        "_": translator(lang),
        "num": lambda value, digits=1: number(value, lang, digits),
        "registry_name": registry_name(store, lang),
        "generated": show_date(today or date.today(), lang),
        "suppressed_below": incidence.suppressed_below,
        "not_counted": incidence.not_counted,
        "tables": sex_tables(incidence.data, lang),
        "quality": quality_rows(quality.data, lang),
        "charts": _charts(store, principal, incidence, quality, years, year, lang, small_cells),
    }
    return _environment().get_template("report.html").render(**context)


def _charts(store, principal, incidence, quality, years, year, lang, small_cells) -> dict:
    trend = Selection(pub.span_ending(years, year, TREND_YEARS))
    cohort = Selection(pub.span_ending(years, year, SURVIVAL_YEARS))
    return {
        "top": inline_svg(charts.top_sites_chart(pub.top_sites(incidence.data, TOP_SITES), lang)),
        "quality": inline_svg(charts.quality_chart(quality.data, lang)),
        "age": _section(
            lambda: pub.published_age_specific(
                store, principal, Selection(range(year, year + 1)), small_cells=small_cells
            ),
            lambda p: charts.age_specific_chart(p.data, lang),
        ),
        "trend": _section(
            lambda: pub.published_trend(store, principal, trend, small_cells=small_cells),
            lambda p: charts.trend_chart(p.data, p.apc, lang),
        ),
        "survival": _section(
            lambda: pub.published_survival(
                store, principal, cohort, 5, "pohar-perme", SURVIVAL_TIMES, small_cells
            ),
            lambda p: charts.survival_chart(p.data, lang),
        ),
        "trend_years": pub.years_text(trend.years),
        "survival_years": pub.years_text(cohort.years),
    }


def registry_name(store: Store, lang: str) -> str:
    """The name of the registry's own facility (type ``registry``), else a generic one."""
    from sqlalchemy import select

    from oncoreg.model import FacilityType
    from oncoreg.store import Facility

    with store.session() as session:
        found = session.execute(
            select(Facility.name_vi, Facility.name_en)
            .where(Facility.type == FacilityType.REGISTRY)
            .order_by(Facility.id)
        ).first()
    if found is None:
        return translator(lang)("Population-based cancer registry")
    return found.name_en if lang == "en" and found.name_en else found.name_vi


def sex_tables(data: pl.DataFrame, lang: str) -> list[dict]:
    """One CI5 table per sex: the sites in ICD-10 order (organs of the other sex left
    out), other and unspecified sites, then all sites but C44 as the total line."""
    from oncoreg.codes.sitegroups import site_groups

    groups = {g.id: g for g in site_groups("globocan")}
    tables = []
    for sex, other_sex in ((1, "F"), (2, "M")):
        rows = []
        for row in data.filter(pl.col("sex") == sex).iter_rows(named=True):
            group = groups.get(row["site"])
            if group is not None and group.sex == other_sex:
                continue
            row["name"] = charts.site_label(row["site"], lang, row["label"])
            row["icd10"] = group.icd10 if group else "O&U"
            rows.append(row)
        rows.sort(key=_ci5_order)
        tables.append({"sex": sex, "title": charts.sex_label(sex, lang), "rows": rows})
    return tables


def _ci5_order(row: dict) -> tuple[int, str]:
    if row["site"] == ALL_SITES:
        return 2, ""
    if row["site"] == "other":
        return 1, ""
    return 0, row["icd10"][:3]


def quality_rows(data: pl.DataFrame, lang: str) -> list[dict]:
    rows = []
    for row in data.iter_rows(named=True):
        row["name"] = charts.site_label(row["site"], lang, row["label"])
        rows.append(row)
    return rows


def write_report(
    store: Store,
    principal: Principal,
    year: int,
    out: Path,
    lang: str = "vi",
    small_cells: int = 5,
) -> Path:
    """Write the annual report to ``out``: HTML or PDF by the file's suffix.

    Raises:
        InputError: a suffix other than .html, .htm or .pdf (and see :func:`annual_report`).
    """
    kind = report_format(out)
    html = annual_report(store, principal, year, lang, small_cells)
    if kind == "pdf":
        out.write_bytes(pdf_bytes(html))
    else:
        out.write_text(html, encoding="utf-8")
    return out


def report_format(out: Path) -> str:
    suffix = out.suffix.lower()
    if suffix in (".html", ".htm"):
        return "html"
    if suffix == ".pdf":
        return "pdf"
    raise InputError(f"cannot write a report as {out.name!r}", hint="name the file .html or .pdf")


def pdf_bytes(html: str) -> bytes:
    """The HTML report printed to PDF by WeasyPrint (A4, the template's print CSS)."""
    import weasyprint

    return weasyprint.HTML(string=html).write_pdf()
