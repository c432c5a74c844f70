"""``oncoreg import``, ``check``, ``confirm``, ``quality``: hospital reports into the registry."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import polars as pl
import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from oncoreg.cli.output import Format, console, show_rows
from oncoreg.settings import get_settings
from oncoreg.store import Store


def register(app: typer.Typer) -> None:
    app.command("import")(import_command)
    app.command("check")(check_command)
    app.command("confirm")(confirm_command)
    app.command("quality")(quality_command)


def _files(paths: list[Path]) -> list[Path]:
    """Files to import: the paths given; a folder of CSV/XLSX/XML files is expanded, a
    folder of FHIR bundles is imported as one batch."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir() and not any(path.rglob("*.json")):
            out += sorted(
                p
                for p in path.iterdir()
                if p.suffix.lower() in {".csv", ".xlsx", ".xml"}
                and not p.name.endswith(".rejects.csv")
            )
        else:
            out.append(path)
    return out


def import_command(
    files: list[Path] = typer.Argument(
        ..., help="Report files (CSV, XLSX, FHIR JSON or folder, NAACCR XML) or folders of them."
    ),
    format: str = typer.Option("auto", "--format", help="auto, csv, xlsx, fhir or naaccr."),
    facility: str | None = typer.Option(None, help="Facility code for files that lack one."),
    profile: Path | None = typer.Option(
        None,
        help="Mapping profile (TOML) of the file's columns and codes, or a shipped profile's name.",
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Read and check, write nothing."),
    suggest_profile: bool = typer.Option(
        False, "--suggest-profile", help="Print a proposed mapping profile and stop."
    ),
) -> None:
    """Import hospital reports: read, normalise, check with the IARC/IACR rules, store.

    Each file is one batch: all of it is stored or none. Rejected rows are listed with
    their reasons in FILE.rejects.csv beside the file.

    Example: oncoreg import reports/csv/VN-K-2024.csv --dry-run
    """
    from oncoreg.ingest.profiles import load_profile
    from oncoreg.ingest.readers import suggest_profile as suggest
    from oncoreg.services.imports import STAGES, import_file, summary_lines

    if suggest_profile:
        for path in files:
            typer.echo(suggest(path))
        return
    chosen = load_profile(str(profile)) if profile else None
    paths = _files(files)
    store = Store.from_settings(get_settings())
    started, rows_done = time.perf_counter(), 0
    try:
        with _progress() as progress:
            task = progress.add_task("importing", total=len(paths) * len(STAGES), rate="")

            def on_stage(stage: str, rows: int) -> None:
                seconds = max(time.perf_counter() - started, 1e-9)
                rate = (rows_done + (rows if stage == STAGES[-1] else 0)) / seconds
                progress.update(
                    task, advance=1, description=f"{path.name}: {stage}", rate=f"{rate:,.0f} rows/s"
                )

            for path in paths:
                summary = import_file(
                    store,
                    path,
                    format=format,
                    profile=chosen,
                    facility=facility,
                    dry_run=dry_run,
                    actor="cli",
                    on_stage=on_stage,
                )
                rows_done += summary.rows_read
                for line in summary_lines(summary):
                    progress.console.print(line, highlight=False, markup=False)
    finally:
        store.dispose()


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


def check_command(
    since: str | None = typer.Option(None, help="Only reports received since YYYY-MM-DD."),
    out: Path | None = typer.Option(None, help="Write the findings to this CSV file."),
) -> None:
    """Run every check on the stored reports (confirmed warnings left out).

    Example: oncoreg check --out checks.csv
    """
    from oncoreg.errors import InputError
    from oncoreg.services.checking import check_registry

    try:
        day = date.fromisoformat(since) if since else None
    except ValueError:
        raise InputError(f"--since {since!r} is not a date", hint="write YYYY-MM-DD") from None
    store = Store.from_settings(get_settings())
    try:
        findings = check_registry(store, day)
    finally:
        store.dispose()
    columns = ["facility_code", "report_id", "rule_id", "severity", "field", "message_en"]
    if out:
        findings.select(*columns[:-1], pl.col("message_en").alias("message")).write_csv(out)
        console.print(f"{findings.height} findings written to {out}")
    counts = findings.group_by("rule_id", "severity").len().sort("len", descending=True)
    show_rows(
        ["rule_id", "severity", "findings"],
        counts.rows(),
        Format.TABLE,
        title=f"{findings.height} findings",
    )


def confirm_command(
    facility: str = typer.Argument(..., help="Facility code of the report."),
    report_id: str = typer.Argument(..., help="The facility's report id."),
    rule_id: str = typer.Argument(..., help="The warning's rule id."),
    user: str = typer.Option("cli", help="Who confirms (recorded with the time)."),
) -> None:
    """Confirm a warning after review: it no longer blocks the report.

    Example: oncoreg confirm VN-K VN-K-0000017 CONS-BASIS-HISTOLOGY --user lan
    """
    from oncoreg.services.checking import confirm

    store = Store.from_settings(get_settings())
    try:
        confirm(store, facility, report_id, rule_id, actor=user)
    finally:
        store.dispose()
    console.print(f"{rule_id} on {facility} {report_id} confirmed by {user}")


def quality_command(
    year: int | None = typer.Option(None, help="Year of diagnosis (and of death, for M:I)."),
    by: str = typer.Option("site", help="Strata: any of site, sex, year, facility (comma)."),
    fmt: Format = typer.Option(Format.TABLE, "--format", help="table, csv or json."),
) -> None:
    """Data-quality indicators: MV%, DCO%, clinical only%, unknown basis/age/site%, M:I.

    Example: oncoreg quality --year 2022 --by site,sex
    """
    from oncoreg.checks.quality import HEADERS, INDICATORS
    from oncoreg.services.checking import quality

    strata = [b.strip() for b in by.split(",") if b.strip()]
    store = Store.from_settings(get_settings())
    try:
        table = quality(store, strata, year)
    finally:
        store.dispose()
    columns = [c for c in table.columns if c not in INDICATORS] + list(INDICATORS)
    names = columns if fmt is not Format.TABLE else [HEADERS.get(c, c) for c in columns]
    show_rows(names, table.select(columns).rows(), fmt, title="Data quality (per report)")
