"""``oncoreg stats rates`` and ``oncoreg stats trend``: incidence rates from files.

The files are described in ``docs/stats-rates.md``.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import polars as pl
import typer
from rich.table import Table

from oncoreg.cli.output import console

SUMMARY_ROWS = 20


class Standard(StrEnum):
    WORLD_SEGI = "world-segi"
    WORLD_WHO_2000 = "world-who-2000"
    EUROPE_1976 = "europe-1976"
    EUROPE_2013 = "europe-2013"


class CiMethod(StrEnum):
    GAMMA = "gamma"
    DOBSON = "dobson"
    NORMAL = "normal"
    LOGNORMAL = "lognormal"


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``oncoreg stats``."""
    app.command("rates")(rates_command)
    app.command("trend")(trend_command)


def _columns(text: str | None) -> tuple[str, ...]:
    return tuple(c.strip() for c in (text or "").split(",") if c.strip())


BY_HELP = "Stratum columns, comma-separated (e.g. sex,site): one result row per stratum."
STANDARD_HELP = "Standard population for the ASR."
CI_HELP = "CI of the ASR: gamma (Fay-Feuer, SEER*Stat), dobson, normal or lognormal."


def rates_command(
    counts: Path = typer.Option(None, help="COUNTS.csv: age_group, cases, pyrs, --by columns."),
    cases: Path = typer.Option(None, help="CASES.csv: one row per tumour with age or age_group."),
    population: Path = typer.Option(None, help="POP.csv: age_group, pyrs, --by columns."),
    by: str = typer.Option(None, help=BY_HELP),
    standard: Standard = typer.Option(Standard.WORLD_SEGI, help=STANDARD_HELP),
    ci: CiMethod = typer.Option(CiMethod.GAMMA, help=CI_HELP),
    age_specific: bool = typer.Option(
        False, "--age-specific", help="Write age-specific rates (one row per age group)."
    ),
    conf: float = typer.Option(0.95, help="Confidence level."),
    per: float = typer.Option(100_000, help="Rates per this many person-years."),
    out: Path = typer.Option(..., help="The result CSV (see docs/stats-rates.md)."),
) -> None:
    """Crude, age-specific and age-standardised incidence rates, cumulative risk 0-74.

    Give COUNTS.csv (cases and person-years per age group), or CASES.csv (one row per
    tumour) with POP.csv (person-years per age group). Empty age groups count as zero.

    Example: oncoreg stats rates --counts counts.csv --by sex --out rates.csv
    """
    from oncoreg.services.rate_files import rates_from_files, write_table

    result = rates_from_files(
        counts=counts,
        cases=cases,
        population=population,
        by=_columns(by),
        standard=standard.value,
        ci=ci.value,
        age_specific=age_specific,
        per=per,
        conf=conf,
    )
    write_table(result, out)
    if age_specific:
        shown = [*_columns(by), "age_group", "cases", "pyrs", "rate", "rate_lower", "rate_upper"]
        title = f"Age-specific rates per {per:,g} person-years"
    else:
        shown = [*_columns(by), "cases", "crude_rate", "asr", "asr_lower", "asr_upper"]
        shown.append("cum_risk_0_74")
        title = f"Rates per {per:,g} person-years (ASR: {standard.value}, {ci.value} CI)"
        _note_empty_groups(result)
    _summary(result, shown, title)
    console.print(f"wrote {result.height} rows to {out}", highlight=False)


def trend_command(
    counts: Path = typer.Option(..., help="COUNTS.csv with a year column (age_group optional)."),
    year_col: str = typer.Option("year", help="The column of calendar years."),
    by: str = typer.Option(None, help=BY_HELP),
    standard: Standard = typer.Option(Standard.WORLD_SEGI, help=STANDARD_HELP),
    ci: CiMethod = typer.Option(CiMethod.GAMMA, help=CI_HELP),
    conf: float = typer.Option(0.95, help="Confidence level."),
    out: Path = typer.Option(..., help="The result CSV: one APC row per stratum."),
) -> None:
    """Annual percent change (APC) of the age-standardised rate, with its CI and p-value.

    Fits ln(rate) on year by least squares, as SEER*Stat does; without an age_group
    column the rate is the crude rate of each year.

    Example: oncoreg stats trend --counts counts.csv --year-col year --out apc.csv
    """
    from oncoreg.services.rate_files import trend_from_file, write_table

    apc, value = trend_from_file(
        counts, year=year_col, by=_columns(by), standard=standard.value, ci=ci.value, conf=conf
    )
    write_table(apc, out)
    shown = [*_columns(by), "first_year", "last_year", "apc", "apc_lower", "apc_upper", "p_value"]
    rate = f"ASR ({standard.value})" if value == "asr" else "crude rate"
    _summary(apc, shown, f"Annual percent change of the {rate}")
    console.print(f"wrote {apc.height} rows to {out}", highlight=False)


def _summary(frame: pl.DataFrame, columns: list[str], title: str) -> None:
    """The first rows of a result as a Rich table, numbers rounded for reading."""
    table = Table(*columns, title=title)
    for row in frame.head(SUMMARY_ROWS).select(columns).iter_rows():
        table.add_row(*[_cell(v) for v in row])
    console.print(table)
    if frame.height > SUMMARY_ROWS:
        console.print(f"... and {frame.height - SUMMARY_ROWS} more rows in the file")


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 0.01 and value else f"{value:,.2f}"
    return str(value)


def _note_empty_groups(result: pl.DataFrame) -> None:
    strata = result.filter(pl.col("empty_age_groups") > 0).height
    if strata:
        console.print(
            f"note: {strata} stratum/strata have age groups without person-years; they count "
            "as zero (see the empty_age_groups column)",
            highlight=False,
        )
