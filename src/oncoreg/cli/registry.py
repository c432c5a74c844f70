"""``oncoreg init`` and ``oncoreg demo``: create a registry, run the main job."""

from __future__ import annotations

import time
from pathlib import Path

import typer

from oncoreg.cli.output import console
from oncoreg.services.facilities import import_facilities, list_facilities
from oncoreg.services.registry import init_registry
from oncoreg.settings import get_settings
from oncoreg.store import Store

DEMO_FORMATS = "csv,xlsx,fhir,naaccr"
DEMO_TOP_SITES = 10
DEMO_SURVIVAL_SITES = 8
DEMO_TIMES = (1.0, 5.0)
DEMO_ADMIN = "demo-admin"


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
    data: Path = typer.Option(Path("oncoreg-data"), help="Folder for the generated demo data."),
    persons: int = typer.Option(20_000, help="Persons with cancer in the demo registry."),
    facilities: int = typer.Option(30, help="Reporting facilities in the demo registry."),
    seed: int = typer.Option(1, help="Random seed of the demo data."),
    formats: str = typer.Option(DEMO_FORMATS, help="Formats the demo hospitals send."),
    serve: bool = typer.Option(
        True, "--serve/--no-serve", help="End by serving the web application on the registry."
    ),
    port: int = typer.Option(8000, help="Port of the web application (with --serve)."),
) -> None:
    """Run the main job: init the registry, generate a synthetic demo registry into DATA
    (hospital reports in all formats, population, ground truth), load its facilities, import
    and check its reports, link them into persons and tumours, and end with the registry's
    CI5-style incidence table and net survival of the leading sites (printed, and written
    as DATA/incidence.csv and DATA/net_survival.csv); then serve the web application on
    the demo registry, printing its address and the demo administrator's one-time password.

    Example: oncoreg demo
    """
    from oncoreg.synth import generate

    init()
    started = time.perf_counter()
    chosen = tuple(f.strip() for f in formats.split(",") if f.strip())
    synth = generate(persons=persons, facilities=facilities, seed=seed, out=data, formats=chosen)
    console.print(
        f"demo data: {synth.persons} persons, {synth.tumours} tumours, {synth.reports} hospital "
        f"reports from {synth.facilities} facilities in {time.perf_counter() - started:.1f} s "
        f"-> {data} (" + ", ".join(f"{k} {v}" for k, v in synth.files.items()) + ")"
    )
    store = Store.from_settings(get_settings())
    try:
        loaded = import_facilities(store, data / "facilities.csv", actor="oncoreg demo")
        listed = list_facilities(store)
        console.print(
            f"facilities: {loaded.inserted} added, {loaded.updated} updated, "
            f"{loaded.unchanged} unchanged; the registry now has {len(listed)} facilities"
        )
        _import_demo(store, data)
        _quality_summary(store)
        _link_demo(store)
        _statistics_demo(store, data, synth.years)
        _network_demo(store)
        password = demo_admin(store)
    finally:
        store.dispose()
    console.print(f"web application: http://127.0.0.1:{port}/login")
    console.print(f"user {DEMO_ADMIN}, one-time password [bold]{password}[/bold]")
    console.print("(a new one at each demo run; choose your own password at first sign-in)")
    if serve:
        from oncoreg.cli.web import run_server

        run_server("127.0.0.1", port)


def demo_admin(store: Store) -> str:
    """Create the demo administrator, or give them a new one-time password: returns it."""
    from oncoreg.errors import InputError
    from oncoreg.services import users
    from oncoreg.services.access import SYSTEM

    try:
        _, issued = users.create_user(
            store, SYSTEM, username=DEMO_ADMIN, role="admin", display_name="Demo administrator"
        )
    except InputError:
        issued = users.reset_password(store, SYSTEM, DEMO_ADMIN)
    return issued


def demo_report_files(data: Path) -> list[Path]:
    """The demo's report files: CSV, Excel and NAACCR files, and the FHIR folder."""
    reports = data / "reports"
    files = sorted((reports / "csv").glob("*.csv")) + sorted((reports / "xlsx").glob("*.xlsx"))
    files += sorted((reports / "naaccr").glob("*.xml"))
    if (reports / "fhir").is_dir():
        files.append(reports / "fhir")
    return [f for f in files if not f.name.endswith(".rejects.csv")]


def _import_demo(store: Store, data: Path) -> None:
    from oncoreg.services.imports import import_file

    totals = {"files": 0, "rows": 0, "imported": 0, "updated": 0, "unchanged": 0, "rejected": 0}
    by_format: dict[str, int] = {}
    started = time.perf_counter()
    for path in demo_report_files(data):
        summary = import_file(store, path, actor="oncoreg demo")
        totals["files"] += 1
        totals["rows"] += summary.rows_read
        for key in ("imported", "updated", "unchanged", "rejected"):
            totals[key] += getattr(summary, key)
        by_format[summary.format] = by_format.get(summary.format, 0) + summary.rows_read
    seconds = time.perf_counter() - started
    console.print(
        f"import: {totals['files']} files, {totals['rows']} reports read "
        f"({', '.join(f'{k} {v}' for k, v in sorted(by_format.items()))}), "
        f"{totals['imported']} imported, {totals['updated']} updated, "
        f"{totals['unchanged']} unchanged, {totals['rejected']} rejected "
        f"(reasons in *.rejects.csv) in {seconds:.1f} s"
    )


def _link_demo(store: Store) -> None:
    from oncoreg.cli.linkage import print_link_summary
    from oncoreg.services.linkage import link_registry

    print_link_summary(link_registry(store, actor="oncoreg demo"))


def _statistics_demo(store: Store, data: Path, years: range) -> None:
    from oncoreg.cli.stats_registry import show_incidence, show_survival
    from oncoreg.services.population import import_life_table, import_population
    from oncoreg.services.published import survival_by_site
    from oncoreg.services.statistics import Selection, incidence_table

    import_population(store, data / "population.csv")
    import_life_table(store, data / "lifetable.csv")
    selection = Selection(years)
    table = incidence_table(store, selection)
    show_incidence(table, top=DEMO_TOP_SITES)
    table.rates.write_csv(data / "incidence.csv")
    survival = survival_by_site(store, selection, DEMO_SURVIVAL_SITES, "pohar-perme", DEMO_TIMES)
    show_survival(survival, title=f"Net survival (Pohar Perme), {selection.describe()}")
    survival.write_csv(data / "net_survival.csv")
    console.print(f"written: {data / 'incidence.csv'}, {data / 'net_survival.csv'}")


def _network_demo(store: Store) -> None:
    """The network around the demo registry: trials (with enrolments), tumour boards with
    cases, referrals between hospitals and research extracts."""
    from datetime import date

    from oncoreg.network import board_demo, extract_demo, referral_demo, trials

    today = date.today()
    seeded = (trials, board_demo, referral_demo, extract_demo)
    done = [module.seed_demo(store, today) for module in seeded]
    console.print("network: " + "; ".join(done))


def _quality_summary(store: Store) -> None:
    from oncoreg.checks.quality import HEADERS, INDICATORS
    from oncoreg.cli.output import Format, show_rows
    from oncoreg.services.checking import quality

    table = quality(store, ["site"]).sort("cases", descending=True).head(12)
    show_rows(
        ["site", *(HEADERS[i] for i in INDICATORS)],
        table.select("site", *INDICATORS).rows(),
        Format.TABLE,
        title="Data quality of the stored reports, leading sites (per report)",
    )
