"""``oncoreg report``: the registry's annual report as HTML or PDF."""

from __future__ import annotations

from pathlib import Path

import typer

from oncoreg.cli.context import acting_as
from oncoreg.cli.output import console
from oncoreg.settings import get_settings
from oncoreg.store import Store


def register(app: typer.Typer) -> None:
    app.command("report")(report)


def report(
    year: int = typer.Option(..., help="Year of diagnosis the report covers."),
    out: Path = typer.Option(..., help="The report to write: REPORT.html or REPORT.pdf."),
    lang: str = typer.Option("vi", help="Language of the report: vi or en."),
    user: str | None = typer.Option(None, help="Who makes the report (default: system)."),
) -> None:
    """Write the annual report of a year: title page, CI5-style incidence tables per sex
    (cases, crude rate, ASR with CI, cumulative risk 0-74, % of all sites), data-quality
    indicators and the charts, as one HTML file or a PDF (by the file's suffix).

    Example: oncoreg report --year 2023 --out report.pdf
    """
    from oncoreg.report.annual import check_language, report_format, write_report
    from oncoreg.services.access import SYSTEM

    report_format(out)
    check_language(lang)
    principal = acting_as(user) if user else SYSTEM
    settings = get_settings()
    store = Store.from_settings(settings)
    try:
        write_report(store, principal, year, out, lang, settings.small_cells)
    finally:
        store.dispose()
    console.print(f"annual report {year} ({lang}) written: {out}", highlight=False)
