"""``oncoreg stats incidence`` and ``oncoreg stats quality``: statistics of the registry's
own tumours (registry mode)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import typer

from oncoreg.cli.output import Format, console, show_rows
from oncoreg.errors import InputError
from oncoreg.settings import get_settings
from oncoreg.store import Store

SHOWN = {
    "cases": "cases",
    "crude_rate": "crude",
    "asr": "ASR",
    "cum_risk_0_74": "cum. risk 0-74 %",
    "pct": "% all",
}


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``oncoreg stats``."""
    app.command("incidence")(incidence)
    app.command("quality")(quality)


def parse_years(text: str) -> range:
    """``2020-2024`` or ``2022`` -> a range of years."""
    try:
        first, _, last = text.partition("-")
        span = range(int(first), int(last or first) + 1)
    except ValueError:
        raise InputError(
            f"--years {text!r} is not a year or a span", hint="e.g. 2020-2024"
        ) from None
    if not span:
        raise InputError(f"--years {text!r} ends before it starts")
    return span


def parse_list(text: str | None) -> tuple[str, ...]:
    return tuple(p.strip() for p in (text or "").split(",") if p.strip())


def incidence(
    years: str = typer.Option(..., help="Years of diagnosis, e.g. 2020-2024."),
    by: str = typer.Option("site,sex", help="Strata: site, sex, year, province."),
    province: str | None = typer.Option(None, help="Only this province (2004 or 2025 code)."),
    standard: str = typer.Option("world-segi", help="Standard population of the ASR."),
    ci: str = typer.Option("gamma", help="CI of the ASR: gamma, dobson, normal, lognormal."),
    top: int = typer.Option(0, help="Show only the leading N sites per stratum (0: all)."),
    out: Path | None = typer.Option(None, help="Write the full table as CSV."),
) -> None:
    """Incidence from the registry's tumours: cases, crude rate, ASR, cumulative risk and
    % of all sites (but C44) by site and sex, as CI5 tabulates them (rates per 100,000).

    Example: oncoreg stats incidence --years 2020-2024 --by site,sex --out ci5.csv
    """
    from oncoreg.services.statistics import Selection, incidence_table

    selection = Selection(parse_years(years), province=province)
    store = Store.from_settings(get_settings())
    try:
        table = incidence_table(store, selection, parse_list(by), standard=standard, ci=ci)
    finally:
        store.dispose()
    show_incidence(table, top)
    if out is not None:
        table.rates.write_csv(out)
        console.print(f"written: {out}")


def show_incidence(table, top: int = 0) -> None:
    """Print an incidence table the way CI5 lays it out (one block per stratum)."""
    rates = table.rates
    strata = [c for c in ("sex", "year", "province") if c in rates.columns]
    blocks = rates.partition_by(strata, maintain_order=True) if strata else [rates]
    for block in blocks:
        shown = block.head(top + 1) if top else block
        name = ", ".join(_stratum_name(c, block[c][0]) for c in strata)
        title = f"Incidence per 100,000, {table.selection.describe()}"
        title += f", {name}" if name else ""
        title += f" (ASR: {table.standard})"
        numbers = (pl.col(c) if c == "cases" else pl.col(c).round(1) for c in SHOWN)
        rows = shown.select("label", *numbers).rows()
        show_rows(["site", *SHOWN.values()], rows, Format.TABLE, title=title)
    if table.not_counted:
        console.print(f"{table.not_counted} tumours of unknown sex or age are not in the rates")


def _stratum_name(column: str, value) -> str:
    if column == "sex":
        return {1: "males", 2: "females"}.get(value, f"sex {value}")
    return f"{column} {value}"


SURVIVAL_SHOWN = {
    "patients": "patients",
    "time": "years",
    "n_at_risk": "at risk",
    "estimate": "net %",
    "lower": "lower",
    "upper": "upper",
    "observed": "observed %",
}


def show_survival(table: pl.DataFrame, title: str, estimate: str = "net %") -> None:
    """Print survival estimates (per cent) by site and time."""
    percent = ("estimate", "lower", "upper", "observed")
    columns = [c for c in SURVIVAL_SHOWN if c in table.columns]
    shown = table.select(
        "label" if "label" in table.columns else pl.lit("").alias("label"),
        *(pl.col(c).mul(100).round(1) if c in percent else pl.col(c) for c in columns),
    )
    names = SURVIVAL_SHOWN | {"estimate": estimate}
    headers = ["site", *(names[c] for c in columns)]
    show_rows(headers, shown.rows(), Format.TABLE, title=title)


def quality(
    years: str = typer.Option(..., help="Years of diagnosis, e.g. 2020-2024."),
    by: str = typer.Option("site", help="Strata: site, sex, year, province."),
    out: Path | None = typer.Option(None, help="Write the table as CSV."),
) -> None:
    """Data-quality indicators of the registry's tumours (MV%, DCO%, unknown age, M:I).

    Example: oncoreg stats quality --years 2020-2024 --by site
    """
    from oncoreg.checks.quality import HEADERS, INDICATORS
    from oncoreg.services.statistics import Selection, tumour_quality

    store = Store.from_settings(get_settings())
    try:
        table = tumour_quality(store, Selection(parse_years(years)), list(parse_list(by)))
    finally:
        store.dispose()
    keys = [c for c in table.columns if c not in INDICATORS]
    show_rows(
        [*keys, *(HEADERS[i] for i in INDICATORS)],
        table.rows(),
        Format.TABLE,
        title="Data quality of the registry's tumours",
    )
    if out is not None:
        table.write_csv(out)
        console.print(f"written: {out}")
