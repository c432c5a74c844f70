"""``oncoreg facilities``: the facilities of the network, their capacity, and where a
treatment is available."""

from __future__ import annotations

from pathlib import Path

import typer

from oncoreg.cli.output import Format, console, show_pairs, show_rows
from oncoreg.network.capacity import write_equipment, write_specialties
from oncoreg.network.where import where_available
from oncoreg.services.access import SYSTEM
from oncoreg.services.facilities import (
    export_facilities,
    facility_detail,
    facility_listing,
    import_facilities,
)
from oncoreg.settings import get_settings
from oncoreg.store import Store

app = typer.Typer(
    help="Hospitals, labs, registries and death registration offices.", no_args_is_help=True
)


def _store() -> Store:
    return Store.from_settings(get_settings())


@app.command("import")
def import_command(
    file: Path = typer.Argument(
        ...,
        help="CSV with columns code, name_vi, name_en, province_code, level, type, parent_code "
        "and optionally beds, specialties, equipment, latitude, longitude.",
    ),
    skip_bad_rows: bool = typer.Option(
        False,
        "--skip-bad-rows",
        help="Import the good rows and write the bad ones to FILE.rejects.csv beside FILE.",
    ),
) -> None:
    """Import or update facilities from a CSV file (all or nothing unless --skip-bad-rows).

    A capacity column the file lacks leaves the recorded capacity alone.

    Example: oncoreg facilities import hospitals.csv --skip-bad-rows
    """
    store = _store()
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
    level: str = typer.Option(None, help="Only this level: central, provincial, district..."),
    province: str = typer.Option(None, help="Only this province (2-digit code, either era)."),
) -> None:
    """List the facilities of the registry with their capacity.

    Example: oncoreg facilities list --level central --format csv
    """
    store = _store()
    try:
        rows = facility_listing(store, SYSTEM, level=level, province_code=province)
    finally:
        store.dispose()
    columns = ["code", "name_vi", "province_code", "level", "type", "parent_code", "beds"]
    table = [
        [*(getattr(r, c) for c in columns), write_specialties(r.specialties)]
        + [write_equipment(r.equipment)]
        for r in rows
    ]
    show_rows([*columns, "specialties", "equipment"], table, fmt, title="Facilities")


@app.command("export")
def export_command(
    out: Path = typer.Option(None, "--out", help="Write to this file (default: the screen)."),
) -> None:
    """Export the facilities as a CSV that `oncoreg facilities import` reads back unchanged.

    Example: oncoreg facilities export --out facilities.csv
    """
    store = _store()
    try:
        text = export_facilities(store, SYSTEM)
    finally:
        store.dispose()
    if out is None:
        typer.echo(text, nl=False)
        return
    out.write_text(text, encoding="utf-8")
    console.print(f"{text.count(chr(10)) - 1} facilities written to {out}")


@app.command("show")
def show_command(
    code: str = typer.Argument(..., help="The facility's code."),
    fmt: Format = typer.Option(Format.TABLE, "--format", help="table or json."),
) -> None:
    """Show a facility: capacity, services it offers, parent and children.

    Example: oncoreg facilities show VN-K
    """
    store = _store()
    try:
        detail = facility_detail(store, SYSTEM, code)
    finally:
        store.dispose()
    f = detail.facility
    location = "" if f.latitude is None else f"{f.latitude}, {f.longitude}"
    parent = detail.parent
    show_pairs(
        [
            ("code", f.code),
            ("name", f.name_vi),
            ("name (English)", f.name_en),
            ("province", f.province_code),
            ("level", f.level),
            ("type", f.type),
            ("status", f.status),
            ("parent", f"{parent.code} {parent.name_vi}" if parent else None),
            ("children", ", ".join(c.code for c in detail.children)),
            ("beds", f.beds),
            ("specialties", write_specialties(f.specialties)),
            ("equipment", write_equipment(f.equipment)),
            ("location", location or "province centre (approx.)"),
            ("services", ", ".join(detail.services)),
        ],
        Format.JSON if fmt is Format.JSON else Format.TABLE,
    )


@app.command("where")
def where_command(
    service: str = typer.Argument(..., help="A service, e.g. radiotherapy, pet-ct, surgery."),
    province: str = typer.Option(None, help="Nearest first from this province's centre."),
    limit: int = typer.Option(20, help="At most this many facilities (1-500)."),
    fmt: Format = typer.Option(Format.TABLE, "--format", help="table, csv or json."),
) -> None:
    """Find where SERVICE is available, nearest first from --province.

    Lists the facilities whose recorded capacity allows SERVICE, by great-circle km from
    the province's centre ("approx." for a facility placed at its province's centre), or
    by level then name without --province.

    Example: oncoreg facilities where radiotherapy --province 38 --limit 5
    """
    store = _store()
    try:
        rows = where_available(store, SYSTEM, service, province_code=province, limit=limit)
    finally:
        store.dispose()
    columns = ["code", "name_vi", "level", "province_code", "distance_km", "equipment"]
    table = [
        [
            r.code,
            r.name_vi,
            r.level,
            r.province_code,
            _distance(r.distance_km, r.approx),
            write_equipment(r.equipment),
        ]
        for r in rows
    ]
    show_rows(columns, table, fmt, title=f"Where: {service}")


def _distance(km: float | None, approx: bool) -> str:
    if km is None:
        return ""
    return f"{km:,.0f} (approx.)" if approx else f"{km:,.0f}"
