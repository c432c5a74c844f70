"""``oncoreg extracts``: data-sharing agreements and de-identified research extracts."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import date

import typer

from oncoreg.cli.context import acting_as, registry
from oncoreg.cli.output import Format, console, show_pairs, show_rows
from oncoreg.errors import InputError
from oncoreg.network import extracts
from oncoreg.services.access import SYSTEM
from oncoreg.settings import get_settings

app = typer.Typer(
    help="Research extracts: data-sharing agreements, requests, approval and release.",
    no_args_is_help=True,
)
AGREEMENT_COLUMNS = ["code", "organisation", "signed_on", "expires_on", "valid", "members"]
EXTRACT_COLUMNS = ["id", "agreement", "requested_by", "requested_at", "years", "state", "rows"]
FORMAT = typer.Option(Format.TABLE, "--format", help="table, csv or json.")


def _list(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _date(text: str | None, option: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(f"{option} {text!r} is not a date", hint="write it YYYY-MM-DD") from None


@app.command("agreement-add")
def agreement_add(
    code: str = typer.Argument(..., help="The agreement's code, e.g. OUCRU-2025."),
    organisation: str = typer.Option(..., help="The partner organisation."),
    title: str = typer.Option(..., help="The agreement's title."),
    signed: str = typer.Option(..., help="Date signed, YYYY-MM-DD."),
    expires: str | None = typer.Option(None, help="Date it expires, YYYY-MM-DD."),
    variables: str = typer.Option(..., help="Variables it allows, comma-separated."),
    members: str = typer.Option("", help="Partner user names acting under it, comma-separated."),
    purpose: str | None = typer.Option(None, help="What the data are for."),
    user: str = typer.Option("cli", "--user", help="Who records it (for the audit trail)."),
) -> None:
    """Record a signed data-sharing agreement.

    Example: oncoreg extracts agreement-add OUCRU-2025 --organisation OUCRU --title "Liver cancer survival" --signed 2025-03-01 --variables sex,age_group,region --members oxford-lan
    """  # noqa: E501 - the example stays on one line to be copied
    with registry() as store:
        agreement = extracts.record_agreement(
            store,
            acting_as(user),
            code=code,
            organisation=organisation,
            title=title,
            signed_on=_date(signed, "--signed"),
            expires_on=_date(expires, "--expires"),
            variables=_list(variables),
            members=_list(members),
            purpose=purpose,
        )
    console.print(f"agreement {agreement.code} recorded ({len(agreement.variables)} variables)")


@app.command("agreements")
def agreements(fmt: Format = FORMAT) -> None:
    """List the data-sharing agreements.

    Example: oncoreg extracts agreements --format csv
    """
    with registry() as store:
        rows = extracts.list_agreements(store, SYSTEM)
    show_rows(
        AGREEMENT_COLUMNS,
        [[_cell(getattr(a, c)) for c in AGREEMENT_COLUMNS] for a in rows],
        fmt,
        title="Data-sharing agreements",
    )


@app.command("request")
def request(
    agreement: str = typer.Argument(..., help="The agreement's code."),
    variables: str = typer.Option(..., help="Variables wanted, comma-separated."),
    years: str = typer.Option(..., help="Years of diagnosis, e.g. 2018-2022."),
    sites: str | None = typer.Option(None, help="Topography categories or ranges, e.g. C50,C34."),
    purpose: str = typer.Option(..., help="What the extract is for."),
    user: str = typer.Option(..., "--user", help="The partner user who asks."),
    k: int = typer.Option(5, help="Smallest class of quasi-identifiers released (>= 2)."),
    max_suppressed: float = typer.Option(0.05, help="Largest share of records suppressed."),
) -> None:
    """Request an extract on behalf of a partner user.

    Example: oncoreg extracts request OUCRU-2025 --variables sex,age_group,region --years 2018-2022 --sites C22 --purpose "liver cancer survival" --user oxford-lan
    """  # noqa: E501 - the example stays on one line to be copied
    with registry() as store:
        view = extracts.request_extract(
            store,
            acting_as(user),
            agreement,
            _list(variables),
            years,
            purpose=purpose,
            sites=sites,
            k=k,
            max_suppressed=max_suppressed,
        )
    console.print(f"extract {view.id} requested; an administrator approves it")


@app.command("approve")
def approve(
    extract_id: int = typer.Argument(..., help="The request's id."),
    user: str = typer.Option(..., "--user", help="The administrator who approves."),
    note: str | None = typer.Option(None, help="A note kept with the decision."),
) -> None:
    """Approve a request and write its extract (refused when k-anonymity cannot be met).

    Example: oncoreg extracts approve 3 --user admin-lan --note "ethics 2025/17"
    """
    with registry() as store:
        folder = extracts.extract_folder(get_settings())
        view = extracts.approve(store, acting_as(user), extract_id, note, folder=folder)
    if view.state == "refused":
        console.print(f"[red]extract {view.id} refused:[/red] {view.decision_note}")
        raise typer.Exit(1)
    release = view.release or {}
    console.print(
        f"extract {view.id} released: {release.get('rows')} rows, "
        f"{release.get('suppressed')} suppressed, in {folder / str(view.id)}"
    )


@app.command("refuse")
def refuse(
    extract_id: int = typer.Argument(..., help="The request's id."),
    reason: str = typer.Option(..., help="Why it is refused."),
    user: str = typer.Option(..., "--user", help="The administrator who refuses."),
) -> None:
    """Refuse a request, with the reason.

    Example: oncoreg extracts refuse 4 --reason "outside the purpose" --user admin-lan
    """
    with registry() as store:
        view = extracts.refuse(store, acting_as(user), extract_id, reason)
    console.print(f"extract {view.id} refused")


@app.command("list")
def list_command(fmt: Format = FORMAT) -> None:
    """List the extract requests, newest first.

    Example: oncoreg extracts list --format json
    """
    with registry() as store:
        rows = extracts.list_extracts(store, SYSTEM)
    values = [[_value(r, c) for c in EXTRACT_COLUMNS] for r in rows]
    show_rows(EXTRACT_COLUMNS, values, fmt, title="Research extracts")


@app.command("show")
def show(
    extract_id: int = typer.Argument(..., help="The request's id."), fmt: Format = FORMAT
) -> None:
    """Show a request, its decision and its release (files and their SHA-256).

    Example: oncoreg extracts show 3
    """
    with registry() as store:
        view = extracts.extract_view(store, SYSTEM, extract_id)
    if fmt is Format.JSON:
        sys.stdout.write(json.dumps(vars(view), ensure_ascii=False, default=str) + "\n")
        return
    release = view.release or {}
    pairs = [(k, _cell(v)) for k, v in vars(view).items() if k != "release"]
    pairs += [(k, _cell(release.get(k))) for k in ("rows", "suppressed", "generalisations")]
    pairs += [(f["name"], f["sha256"]) for f in release.get("files", [])]
    show_pairs(pairs)


@app.command("variables")
def variables(fmt: Format = FORMAT) -> None:
    """The variables an extract may hold, and whether each is a quasi-identifier.

    Example: oncoreg extracts variables
    """
    columns = ["name", "type", "quasi_identifier", "description"]
    rows = extracts.variable_catalogue()
    show_rows(columns, [[r[c] for c in columns] for r in rows], fmt, title="Extract variables")


def _value(view: extracts.ExtractView, column: str) -> object:
    getters: dict[str, Callable] = {"rows": lambda v: (v.release or {}).get("rows")}
    return _cell(getters[column](view) if column in getters else getattr(view, column))


def _cell(value: object) -> object:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    if isinstance(value, date):
        return value.isoformat()
    return value
