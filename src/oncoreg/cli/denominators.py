"""``oncoreg population`` and ``oncoreg lifetable``: the registry's denominators."""

from __future__ import annotations

from pathlib import Path

import typer

from oncoreg.cli.output import console
from oncoreg.settings import get_settings
from oncoreg.store import Store

population_app = typer.Typer(
    help="Population at risk (person-years) for incidence rates.", no_args_is_help=True
)
lifetable_app = typer.Typer(
    help="Population life table (annual hazards) for net survival.", no_args_is_help=True
)


@population_app.command("import")
def population_import(
    file: Path = typer.Argument(..., help="CSV: province_code, sex, age_group, year, pyrs."),
    era: str = typer.Option(
        "2004", help="Era of the province codes: 2004 (63 provinces) or 2025 (34)."
    ),
) -> None:
    """Import person-years by province, sex, 5-year age group (0-4 ... 85+) and year.

    Cells already in the registry are replaced; a file with any bad row imports nothing.

    Example: oncoreg population import oncoreg-data/population.csv --era 2004
    """
    from oncoreg.services.population import import_population

    _report(lambda store: import_population(store, file, era=era), "population cells")


@lifetable_app.command("import")
def lifetable_import(
    file: Path = typer.Argument(..., help="CSV: sex, age, year and haz (or qx)."),
) -> None:
    """Import a life table: annual mortality hazard by sex, single year of age and year.

    Example: oncoreg lifetable import oncoreg-data/lifetable.csv
    """
    from oncoreg.services.population import import_life_table

    _report(lambda store: import_life_table(store, file), "life-table cells")


def _report(load, what: str) -> None:
    store = Store.from_settings(get_settings())
    try:
        result = load(store)
    finally:
        store.dispose()
    console.print(
        f"{Path(result.file).name}: {result.rows} {what} read, {result.inserted} added, "
        f"{result.replaced} replaced"
    )
