"""``oncoreg init`` and ``oncoreg demo``: create a registry, run the main job."""

from __future__ import annotations

from pathlib import Path

import typer

from oncoreg.cli.output import console
from oncoreg.services.facilities import import_facilities, list_facilities
from oncoreg.services.registry import demo_facilities_file, init_registry
from oncoreg.settings import get_settings
from oncoreg.store import Store


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("demo")(demo)


def init() -> None:
    """Create or migrate the registry database and its secret (safe to run again).

    Example: oncoreg init
    """
    result = init_registry()
    console.print(f"registry: {result.database_url}")
    console.print(f"schema revision: {result.revision}")
    if result.secret_written:
        console.print(f"registry secret written to {result.secret_written} (mode 0600)")
    console.print(f"provinces added: {result.provinces_added}")


def demo(
    facilities: Path | None = typer.Option(
        None, "--facilities", help="Facility CSV to load instead of the shipped demo list."
    ),
) -> None:
    """Run the main job on the registry: init it and load the demo facility list.

    Example: oncoreg demo
    """
    init()
    store = Store.from_settings(get_settings())
    try:
        path = facilities or demo_facilities_file()
        result = import_facilities(store, path, actor="oncoreg demo")
        console.print(
            f"facilities: {result.inserted} added, {result.updated} updated, "
            f"{result.unchanged} unchanged (from {path.name})"
        )
        listed = list_facilities(store)
    finally:
        store.dispose()
    by_type: dict[str, int] = {}
    for f in listed:
        by_type[f.type] = by_type.get(f.type, 0) + 1
    summary = ", ".join(f"{n} {kind}" for kind, n in sorted(by_type.items()))
    console.print(f"the registry now has {len(listed)} facilities: {summary}")
