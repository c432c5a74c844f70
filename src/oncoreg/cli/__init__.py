"""The ``oncoreg`` command line (Typer + Rich): thin commands over the services."""

from __future__ import annotations

import logging
import sys

import typer

from oncoreg import __version__
from oncoreg.cli import (
    boards,
    codes,
    db,
    denominators,
    extracts,
    facilities,
    linkage,
    referrals,
    registry,
    report,
    reports,
    stats,
    synth,
    trials,
    web,
)
from oncoreg.cli.output import show_error
from oncoreg.errors import OncoregError

EXAMPLES = {
    "init": "oncoreg init",
    "demo": "oncoreg demo",
    "synth": "oncoreg synth --persons 20000 --years 2015-2024 --facilities 30 --seed 1 --out data",
    "import": "oncoreg import reports/csv/VN-K-2024.csv --dry-run",
    "check": "oncoreg check --out checks.csv",
    "confirm": "oncoreg confirm VN-K VN-K-0000017 CONS-BASIS-HISTOLOGY --user lan",
    "quality": "oncoreg quality --year 2022 --by site,sex",
    "link": "oncoreg link --since 2025-01-01",
    "review list": "oncoreg review list --limit 20",
    "review show": "oncoreg review show 12",
    "review decide": 'oncoreg review decide 12 --match --user lan --note "same CCCD on paper file"',
    "export links": "oncoreg export links --out links.csv",
    "db upgrade": "oncoreg db upgrade",
    "db current": "oncoreg db current",
    "facilities import": "oncoreg facilities import hospitals.csv --skip-bad-rows",
    "facilities list": "oncoreg facilities list --level central --format csv",
    "facilities export": "oncoreg facilities export --out facilities.csv",
    "facilities show": "oncoreg facilities show VN-K",
    "facilities where": "oncoreg facilities where radiotherapy --province 38 --limit 5",
    "boards create": 'oncoreg boards create K-MDT --name "Hội chẩn K" --host VN-K '
    '--schedule "weekly"',
    "boards member-add": 'oncoreg boards member-add K-MDT --name "TS. Lan" --specialty pathology '
    "--role chair",
    "boards meeting": 'oncoreg boards meeting K-MDT --at "2026-12-15 14:00" --location "Phòng 3"',
    "boards submit": 'oncoreg boards submit K-MDT 1234 --question "Surgery first?" --from HN-UB '
    "--user lan",
    "boards recommend": 'oncoreg boards recommend 12 --recommendation "Neoadjuvant chemotherapy" '
    "--user lan",
    "boards list": "oncoreg boards list --format csv",
    "boards cases": "oncoreg boards cases --board K-MDT --state submitted",
    "boards agenda": "oncoreg boards agenda 3 --out agenda.pdf --lang en",
    "boards minutes": "oncoreg boards minutes 3 --out minutes.pdf",
    "referrals create": "oncoreg referrals create 1042 --from HN-UB --to VN-K --urgency urgent "
    '--reason "x"',
    "referrals list": "oncoreg referrals list --state sent --facility VN-K --format csv",
    "referrals show": "oncoreg referrals show 3",
    "referrals accept": 'oncoreg referrals accept 3 --user lan --note "booked for Tuesday"',
    "referrals decline": 'oncoreg referrals decline 3 --user lan --note "no linac until May"',
    "referrals visit": "oncoreg referrals visit 3 --date 2026-03-02 --user lan",
    "referrals complete": 'oncoreg referrals complete 3 --user lan --note "treated"',
    "referrals cancel": 'oncoreg referrals cancel 3 --user lan --note "patient moved"',
    "referrals waiting-times": "oncoreg referrals waiting-times --since 2026-01-01",
    "trials import": "oncoreg trials import trials.toml --user lan",
    "trials list": "oncoreg trials list --state open --format csv",
    "trials show": "oncoreg trials show VN-K-2025-03",
    "trials match": "oncoreg trials match 1042 --format json",
    "trials eligible": "oncoreg trials eligible HN-UB-2024-07 --limit 20 --format csv",
    "trials enrol": "oncoreg trials enrol HN-UB-2024-07 1042 --facility HN-UB --user lan",
    "trials accrual": "oncoreg trials accrual VN-K-2025-03",
    "trials state": "oncoreg trials state VN-K-2025-03 closed --user lan",
    "extracts agreement-add": "oncoreg extracts agreement-add OUCRU-2025 --organisation OUCRU "
    '--title "Liver cancer survival" --signed 2025-03-01 --variables sex,age_group,region '
    "--members oxford-lan",
    "extracts agreements": "oncoreg extracts agreements --format csv",
    "extracts request": "oncoreg extracts request OUCRU-2025 --variables sex,age_group,region "
    '--years 2018-2022 --sites C22 --purpose "liver cancer survival" --user oxford-lan',
    "extracts approve": 'oncoreg extracts approve 3 --user admin-lan --note "ethics 2025/17"',
    "extracts refuse": 'oncoreg extracts refuse 4 --reason "outside the purpose" --user admin-lan',
    "extracts list": "oncoreg extracts list --format json",
    "extracts show": "oncoreg extracts show 3",
    "extracts variables": "oncoreg extracts variables",
    "codes topography": "oncoreg codes topography C509",
    "codes morphology": "oncoreg codes morphology 8500/3",
    "codes icd10": "oncoreg codes icd10 C50.9 8500/3",
    "codes sources": "oncoreg codes sources",
    "population import": "oncoreg population import oncoreg-data/population.csv --era 2004",
    "lifetable import": "oncoreg lifetable import oncoreg-data/lifetable.csv",
    "stats rates": "oncoreg stats rates --counts counts.csv --by sex --out rates.csv",
    "stats trend": "oncoreg stats trend --counts counts.csv --year-col year --out apc.csv",
    "stats survival": "oncoreg stats survival --cohort cohort.csv --method pohar-perme "
    "--lifetable lifetable.csv --times 1,3,5 --out net.csv",
    "stats incidence": "oncoreg stats incidence --years 2020-2024 --by site,sex --out ci5.csv",
    "stats quality": "oncoreg stats quality --years 2020-2024 --by site",
    "serve": "oncoreg serve --port 8000",
    "users create": "oncoreg users create lan --admin",
    "users list": "oncoreg users list --format csv",
    "users reset-password": "oncoreg users reset-password lan",
    "users deactivate": "oncoreg users deactivate lan",
    "report": "oncoreg report --year 2023 --out report.pdf",
    "audit": "oncoreg audit --user lan --since 2026-01-01",
}


def _epilog() -> str:
    lines = ["[bold]Examples[/bold]"] + [f"  {example}" for example in EXAMPLES.values()]
    return "\n\n".join(lines)


app = typer.Typer(
    name="oncoreg",
    help="oncoreg: cancer registry and oncology-network platform. "
    "The registry is the SQLite file oncoreg.db here unless ONCOREG_DATABASE_URL says otherwise.",
    epilog=_epilog(),
    rich_markup_mode="rich",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"oncoreg {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """oncoreg: cancer registry and oncology-network platform."""


registry.register(app)
synth.register(app)
reports.register(app)
report.register(app)
linkage.register(app)
web.register(app)
app.add_typer(db.app, name="db")
app.add_typer(facilities.app, name="facilities")
app.add_typer(referrals.app, name="referrals")
app.add_typer(boards.app, name="boards")
app.add_typer(trials.app, name="trials")
app.add_typer(extracts.app, name="extracts")
app.add_typer(codes.app, name="codes")
app.add_typer(stats.app, name="stats")
app.add_typer(denominators.population_app, name="population")
app.add_typer(denominators.lifetable_app, name="lifetable")


def _log_warnings_to_stderr() -> None:
    """oncoreg's own warnings (never personal data) as plain lines on standard error."""
    logger = logging.getLogger("oncoreg")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("warning: %(message)s"))
        handler.setLevel(logging.WARNING)
        logger.addHandler(handler)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; errors become a readable message and a non-zero exit code."""
    _log_warnings_to_stderr()
    try:
        app(args=argv, prog_name="oncoreg")
    except SystemExit as done:  # Typer ends every run with SystemExit (usage errors: 2)
        return done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    except OncoregError as err:
        show_error(err)
        return 1
    return 0


def run() -> None:  # pragma: no cover - the console-script entry point
    sys.exit(main())
