"""``oncoreg facilities``: the facilities of the network."""

from __future__ import annotations

from pathlib import Path

import typer

from oncoreg.cli.output import Format, console, show_rows
from oncoreg.services.facilities import import_facilities, list_facilities
from oncoreg.settings import get_settings
from oncoreg.store import Store

app = typer.Typer(
    help="Hospitals, labs, registries and death registration offices.", no_args_is_help=True
)


@app.command("import")
def import_command(
    file: Path = typer.Argument(
        ...,
        help="CSV with columns code, name_vi, name_en, province_code, level, type, parent_code.",
    ),
    skip_bad_rows: bool = typer.Option(
        False,
        "--skip-bad-rows",
        help="Import the good rows and write the bad ones to FILE.rejects.csv beside FILE.",
    ),
) -> None:
    """Import or update facilities from a CSV file (all or nothing unless --skip-bad-rows).

    Example: oncoreg facilities import hospitals.csv --skip-bad-rows
    """
    store = Store.from_settings(get_settings())
    try:
        result = import_facilities(store, file, skip_bad_rows=skip_bad_rows, actor="cli")
    finally:
        store.dispose()
    console.print(
        f"{file.name}: {result.read} rows read, {result.inserted} added, {result.updated} "
        f"updated, {result.unchanged} unchanged, {result.rejected} rejected"
    )
    if result.rejects_path:
        console.print(f"[yellow]rejected rows written to {result.rejects_path}[/yellow]")


@app.command("list")
def list_command(
    fmt: Format = typer.Option(Format.TABLE, "--format", help="table, csv or json."),
    include_obsolete: bool = typer.Option(False, "--all", help="Include obsolete facilities."),
) -> None:
    """List the facilities of the registry.

    Example: oncoreg facilities list --format csv
    """
    store = Store(get_settings().database_url)
    try:
        rows = list_facilities(store, include_obsolete=include_obsolete)
    finally:
        store.dispose()
    columns = ["code", "name_vi", "name_en", "province_code", "level", "type", "parent_code"]
    show_rows(columns, [[getattr(r, c) for c in columns] for r in rows], fmt, title="Facilities")
