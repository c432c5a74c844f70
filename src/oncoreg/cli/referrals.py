"""``oncoreg referrals``: referrals of a person's tumour from one facility to another."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from datetime import date, datetime

import typer

from oncoreg.cli.context import acting_as, on_registry
from oncoreg.cli.output import Format, console, err_console, show_pairs, show_rows
from oncoreg.network import referral_waits, referrals
from oncoreg.services.access import SYSTEM

app = typer.Typer(
    help="Referrals of a person's tumour from one facility to another.", no_args_is_help=True
)
LIST_COLUMNS = [
    "id",
    "referred_on",
    "from_facility",
    "to_facility",
    "person_id",
    "site",
    "service",
    "urgency",
    "state",
    "first_visit_date",
]
WAIT_COLUMNS = [
    "facility",
    "urgency",
    "referrals",
    "accepted",
    "declined",
    "completed",
    "seen",
    "median_days",
    "p90_days",
    "seen_within_14_days",
]
MAX_ID = 2**31 - 1  # record ids are 32-bit integers on every database
UserOption = typer.Option("cli", "--user", help="Who acts (written in the history).")
NoteOption = typer.Option(None, "--note", help="A note kept in the referral's history.")


def _day(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(
            f"{text!r} is not a date (YYYY-MM-DD)", param_hint=option
        ) from None


def _show(view: referrals.ReferralView) -> None:
    pairs = [
        ("referral", view.id),
        ("state", view.state),
        ("from", f"{view.from_facility} {view.from_name}"),
        ("to", f"{view.to_facility} {view.to_name}"),
        ("person", view.person_id),
        ("tumour", view.tumour_id),
        ("site", view.site),
        ("service", view.service),
        ("urgency", view.urgency),
        ("reason", view.reason),
        ("referred", f"{view.referred_on} by {view.referred_by}"),
        ("first visit", view.first_visit_date),
        ("allowed next", ", ".join(view.actions) or "nothing (closed)"),
    ]
    show_pairs(pairs)
    for event in view.history:
        console.print(
            f"  {event.at:%Y-%m-%d %H:%M}  {event.state:<10} {event.actor}"
            + (f": {event.note}" if event.note else ""),
            highlight=False,
            markup=False,
        )
    _warn(view)


def _warn(view: referrals.ReferralView) -> None:
    if view.capacity_warning:
        err_console.print(
            f"[yellow]warning:[/yellow] {view.to_facility} may lack the capacity: "
            f"{view.capacity_warning}",
            highlight=False,
        )


@app.command("create")
def create(
    person_id: int = typer.Argument(..., min=1, max=MAX_ID, help="The person's registry number."),
    to: str = typer.Option(..., "--to", help="Code of the receiving facility."),
    sender: str = typer.Option(..., "--from", help="Code of the sending facility."),
    tumour: int | None = typer.Option(
        None, "--tumour", min=1, max=MAX_ID, help="Tumour id (default: latest)."
    ),
    service: str | None = typer.Option(
        None, "--service", help="Service asked for (e.g. radiotherapy, surgery, pet-ct)."
    ),
    urgency: str = typer.Option(..., "--urgency", help="routine, urgent or emergency."),
    reason: str = typer.Option(..., "--reason", help="Why the person is referred."),
    user: str = UserOption,
) -> None:
    """Refer a person's tumour to another facility, with the registry's case summary.

    A receiving facility that lacks the capacity for --service gets the referral all the
    same; the command prints a warning.

    Example: oncoreg referrals create 1042 --from HN-UB --to VN-K --urgency urgent --reason "x"
    """
    view = on_registry(
        lambda store: referrals.refer(
            store,
            acting_as(user),
            person_id=person_id,
            tumour_id=tumour,
            to_facility=to,
            from_facility=sender,
            service=service,
            reason=reason,
            urgency=urgency,
        )
    )
    console.print(f"referral {view.id} sent: {view.from_facility} -> {view.to_facility}")
    _warn(view)


@app.command("list")
def list_command(
    state: str | None = typer.Option(None, "--state", help="sent, accepted, declined ..."),
    facility: str | None = typer.Option(
        None, "--facility", help="Only referrals this facility sent or received."
    ),
    limit: int = typer.Option(500, "--limit", min=1, help="At most this many referrals."),
    fmt: Format = typer.Option(Format.TABLE, "--format", help="table, csv or json."),
) -> None:
    """List referrals, newest first.

    Example: oncoreg referrals list --state sent --facility VN-K --format csv
    """
    page = on_registry(
        lambda store: referrals.list_referrals(
            store, SYSTEM, state=state, facility=facility, limit=limit
        )
    )
    rows = [[getattr(r, c) for c in LIST_COLUMNS] for r in page.rows]
    if fmt is Format.JSON:
        rows = [[v.isoformat() if isinstance(v, date) else v for v in row] for row in rows]
    show_rows(LIST_COLUMNS, rows, fmt, title=f"Referrals ({page.count})")


@app.command("show")
def show(
    referral_id: int = typer.Argument(..., min=1, max=MAX_ID),
    as_json: bool = typer.Option(False, "--json", help="The referral as JSON."),
) -> None:
    """Show a referral: facilities, reason, state and history (--json: with its summary).

    Example: oncoreg referrals show 3
    """
    view = on_registry(lambda store: referrals.referral_view(store, SYSTEM, referral_id))
    if as_json:
        sys.stdout.write(json.dumps(asdict(view), default=_plain, ensure_ascii=False) + "\n")
        return
    _show(view)


def _plain(value):
    return value.isoformat() if isinstance(value, date | datetime) else str(value)


def _step(action: str, referral_id: int, user: str, note: str | None, **more) -> None:
    view = on_registry(
        lambda store: referrals.act(store, acting_as(user), referral_id, action, note=note, **more)
    )
    console.print(f"referral {view.id}: {view.state}")


@app.command("accept")
def accept(
    referral_id: int = typer.Argument(..., min=1, max=MAX_ID),
    user: str = UserOption,
    note: str = NoteOption,
) -> None:
    """Accept a sent referral (for the receiving facility).

    Example: oncoreg referrals accept 3 --user lan --note "booked for Tuesday"
    """
    _step("accept", referral_id, user, note)


@app.command("decline")
def decline(
    referral_id: int = typer.Argument(..., min=1, max=MAX_ID),
    user: str = UserOption,
    note: str = typer.Option(..., "--note", help="Why the referral is declined (required)."),
) -> None:
    """Decline a sent referral, saying why (for the receiving facility).

    Example: oncoreg referrals decline 3 --user lan --note "no linac until May"
    """
    _step("decline", referral_id, user, note)


@app.command("visit")
def visit(
    referral_id: int = typer.Argument(..., min=1, max=MAX_ID),
    on: str = typer.Option(..., "--date", help="First visit date, YYYY-MM-DD."),
    user: str = UserOption,
    note: str = NoteOption,
) -> None:
    """Record the first visit of an accepted referral.

    Example: oncoreg referrals visit 3 --date 2026-03-02 --user lan
    """
    _step("first-visit", referral_id, user, note, visit_date=_day(on, "--date"))


@app.command("complete")
def complete(
    referral_id: int = typer.Argument(..., min=1, max=MAX_ID),
    user: str = UserOption,
    note: str = NoteOption,
    on: str | None = typer.Option(None, "--date", help="First visit date, if not recorded."),
) -> None:
    """Complete an accepted referral (it needs a first visit date).

    Example: oncoreg referrals complete 3 --user lan --note "treated"
    """
    _step("complete", referral_id, user, note, visit_date=_day(on, "--date"))


@app.command("cancel")
def cancel(
    referral_id: int = typer.Argument(..., min=1, max=MAX_ID),
    user: str = UserOption,
    note: str = NoteOption,
) -> None:
    """Cancel a sent or accepted referral (for the sending facility).

    Example: oncoreg referrals cancel 3 --user lan --note "patient moved"
    """
    _step("cancel", referral_id, user, note)


@app.command("waiting-times")
def waiting_times(
    since: str | None = typer.Option(None, "--since", help="Referred on or after YYYY-MM-DD."),
    until: str | None = typer.Option(None, "--until", help="Referred on or before YYYY-MM-DD."),
    fmt: Format = typer.Option(Format.TABLE, "--format", help="table, csv or json."),
) -> None:
    """Days from referral to first visit by receiving facility and urgency.

    Example: oncoreg referrals waiting-times --since 2026-01-01
    """
    rows = on_registry(
        lambda store: referral_waits.waiting_times(
            store, SYSTEM, since=_day(since, "--since"), until=_day(until, "--until")
        )
    )
    show_rows(
        WAIT_COLUMNS,
        [[getattr(r, c) for c in WAIT_COLUMNS] for r in rows],
        fmt,
        title="Waiting times (days from referral to first visit)",
    )
