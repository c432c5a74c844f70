"""``oncoreg trials``: see the command help."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer

from oncoreg.cli.context import acting_as, on_registry
from oncoreg.cli.output import Format, console, show_pairs, show_rows
from oncoreg.errors import InputError
from oncoreg.network import trials
from oncoreg.services.access import SYSTEM

app = typer.Typer(
    help="Clinical trials: the registry, structured eligibility, matching and accrual.",
    no_args_is_help=True,
)
FORMAT = typer.Option(Format.TABLE, "--format", help="table, csv or json.")


def _mark(met: bool | None) -> str:
    return "yes" if met is True else ("no" if met is False else "?")


@app.command("import")
def import_command(
    file: Path = typer.Argument(..., help="TOML file of [[trial]] tables."),
    user: str = typer.Option("cli", "--user", help="Who imports (audit trail)."),
) -> None:
    """Import or update trials from a TOML file (all or nothing; every problem listed).

    Example: oncoreg trials import trials.toml --user lan
    """
    if not file.is_file():
        raise InputError(f"{file}: no such file")
    who = acting_as(user)
    done = on_registry(trials.import_trials, who, file.read_bytes(), name=file.name)
    console.print(
        f"{file.name}: {done.read} trials read, {done.inserted} added, {done.updated} updated, "
        f"{done.unchanged} unchanged",
        highlight=False,
    )


@app.command("list")
def list_command(
    state: str = typer.Option(None, help="Only trials in this state (open, closed ...)."),
    site: str = typer.Option(None, help="Only trials with a site at this facility code."),
    fmt: Format = FORMAT,
) -> None:
    """List the trials, open ones first, with accrual.

    Example: oncoreg trials list --state open --format csv
    """
    rows = on_registry(trials.list_trials, SYSTEM, state=state, site=site)
    columns = ["code", "phase", "state", "sponsor", "enrolled", "target_accrual", "sites"]
    show_rows(
        columns,
        [
            [r.code, r.phase, r.state, r.sponsor, r.enrolled, r.target_accrual]
            + [" ".join(s.facility for s in r.sites if s.open)]
            for r in rows
        ],
        fmt,
        title="Trials",
    )


@app.command("show")
def show_command(code: str = typer.Argument(..., help="Trial code.")) -> None:
    """One trial: titles, state, eligibility in words, sites and accrual.

    Example: oncoreg trials show VN-K-2025-03
    """
    t = on_registry(trials.view_trial, SYSTEM, code)
    show_pairs(
        [
            ("code", t.code),
            ("title (vi)", t.title_vi),
            ("title (en)", t.title_en),
            ("phase", t.phase),
            ("sponsor", t.sponsor),
            ("state", t.state),
            ("opened", t.opened_on),
            ("closes", t.closes_on),
            ("accrual", f"{t.enrolled} of {t.target_accrual or '-'}"),
        ]
        + [("eligibility", c["text"]) for c in t.criteria]
    )
    _show_sites(t.sites)


def _show_sites(sites) -> None:
    show_rows(
        ["site", "open", "enrolled", "target"],
        [[s.facility, "yes" if s.open else "no", s.enrolled, s.target] for s in sites],
        Format.TABLE,
        title="Sites",
    )


@app.command("match")
def match_command(
    person_id: int = typer.Argument(..., help="Person number in the registry."),
    fmt: Format = FORMAT,
) -> None:
    """The open trials for one person, eligible first, with each criterion's reason.

    Example: oncoreg trials match 1042 --format json
    """
    found = on_registry(trials.match_person, SYSTEM, person_id)
    rows = [
        [t["code"], t["verdict"], r["criterion"], _mark(r["met"]), r["reason"]]
        for t in found["trials"]
        for r in t["results"]
    ]
    show_rows(["trial", "verdict", "criterion", "met", "reason"], rows, fmt, title="Trials")


@app.command("eligible")
def eligible_command(
    code: str = typer.Argument(..., help="Trial code."),
    limit: int = typer.Option(50, min=1, help="At most this many persons."),
    fmt: Format = FORMAT,
) -> None:
    """The registry's persons eligible (then possibly eligible) for a trial.

    Example: oncoreg trials eligible HN-UB-2024-07 --limit 20 --format csv
    """
    found = on_registry(trials.eligible_persons, SYSTEM, code, limit=limit)
    columns = ["person_id", "sex", "age", "topography", "stage", "verdict", "failed", "unknown"]
    rows = [
        [p[c] if c not in ("failed", "unknown") else " ".join(p[c]) for c in columns]
        for p in found["data"]
    ]
    show_rows(columns, rows, fmt, title=f"{found['count']} persons ({found['eligible']} eligible)")


@app.command("enrol")
def enrol_command(
    code: str = typer.Argument(..., help="Trial code."),
    person_id: int = typer.Argument(..., help="Person number in the registry."),
    facility: str = typer.Option(..., "--facility", help="The open site (facility code)."),
    on: str = typer.Option(None, "--date", help="Enrolment date (YYYY-MM-DD); today if absent."),
    user: str = typer.Option(..., "--user", help="Who enrols (audit trail)."),
) -> None:
    """Record a person's enrolment in a trial at one of its open sites.

    Example: oncoreg trials enrol HN-UB-2024-07 1042 --facility HN-UB --user lan
    """
    when = _date(on) if on else None
    done = on_registry(trials.enrol, acting_as(user), code, person_id, facility, when)
    console.print(
        f"person {done['person_id']} enrolled in {done['trial']} at {done['facility']} "
        f"on {done['enrolled_on']} (by {done['enrolled_by']})",
        highlight=False,
    )


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(f"--date {text!r} is not a date", hint="e.g. 2026-03-01") from None


@app.command("accrual")
def accrual_command(code: str = typer.Argument(..., help="Trial code.")) -> None:
    """Enrolled against target, by site and overall.

    Example: oncoreg trials accrual VN-K-2025-03
    """
    found = on_registry(trials.accrual, SYSTEM, code)
    rows = [
        [s["facility"], "yes" if s["open"] else "no", s["enrolled"], s["target"]]
        for s in found["sites"]
    ]
    rows.append(["overall", "", found["enrolled"], found["target_accrual"]])
    show_rows(["site", "open", "enrolled", "target"], rows, Format.TABLE, title=found["trial"])


@app.command("state")
def state_command(
    code: str = typer.Argument(..., help="Trial code."),
    state: str = typer.Argument(..., help="planned, open, suspended, closed or completed."),
    user: str = typer.Option("cli", "--user", help="Who changes it (audit trail)."),
) -> None:
    """Move a trial to another state (closed: closed to accrual).

    Example: oncoreg trials state VN-K-2025-03 closed --user lan
    """
    done = on_registry(trials.set_state, acting_as(user), code, state)
    console.print(f"trial {done.code} is now {done.state}", highlight=False)
