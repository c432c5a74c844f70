"""``oncoreg boards``: see the command help.

The commands act as the system (every board, every case); ``--user`` names the person
recorded in the audit trail as having done it.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import typer

from oncoreg.cli.context import acting_as, on_registry
from oncoreg.cli.output import Format, console, show_rows
from oncoreg.errors import InputError
from oncoreg.network import boards
from oncoreg.services.access import SYSTEM

app = typer.Typer(
    help="Multidisciplinary tumour boards: members, meetings, cases and recommendations.",
    no_args_is_help=True,
)
CASE_COLUMNS = ["id", "board_code", "person_id", "presenting_facility", "state", "meeting_id"]
USER = typer.Option("cli", "--user", help="Who does it (recorded in the audit trail).")


@app.command("create")
def create(
    code: str = typer.Argument(..., help="Short code of the board, e.g. K-MDT."),
    name: str = typer.Option(..., "--name", help="Name of the board."),
    host: str = typer.Option(..., "--host", help="Code of the host facility."),
    schedule: str | None = typer.Option(None, "--schedule", help="e.g. 'weekly, Tuesday 14:00'."),
    user: str = USER,
) -> None:
    """Create a tumour board hosted by a facility.

    Example: oncoreg boards create K-MDT --name "Hội chẩn K" --host VN-K --schedule "weekly"
    """
    board = on_registry(
        lambda s: boards.create_board(
            s, acting_as(user), code=code, name=name, host=host, schedule=schedule
        )
    )
    console.print(f"board {board['code']} (id {board['id']}) created, host {board['host_code']}")


@app.command("member-add")
def member_add(
    board: str = typer.Argument(..., help="Board code or id."),
    name: str = typer.Option(..., "--name", help="The member's name and title."),
    specialty: str = typer.Option(..., "--specialty", help="e.g. pathology, radiation-oncology."),
    role: str = typer.Option("member", "--role", help="chair, member or secretary."),
    facility: str | None = typer.Option(None, "--facility", help="The member's facility code."),
    user: str = USER,
) -> None:
    """Add a member to a board.

    Example: oncoreg boards member-add K-MDT --name "TS. Lan" --specialty pathology --role chair
    """
    member = on_registry(
        lambda s: boards.add_member(
            s, acting_as(user), board, name=name, specialty=specialty, role=role, facility=facility
        )
    )
    console.print(f"member {member['id']} added to board {board}")


@app.command("meeting")
def meeting(
    board: str = typer.Argument(..., help="Board code or id."),
    at: str = typer.Option(..., "--at", help="Date and time, Vietnam time: 2026-12-15 14:00."),
    location: str | None = typer.Option(None, "--location", help="Room or video link."),
    user: str = USER,
) -> None:
    """Plan a meeting of a board.

    Example: oncoreg boards meeting K-MDT --at "2026-12-15 14:00" --location "Phòng 3"
    """
    starts = _when(at)
    planned = on_registry(
        lambda s: boards.schedule_meeting(
            s, acting_as(user), board, starts_at=starts, location=location
        )
    )
    console.print(f"meeting {planned['id']} planned for {planned['starts_at']:%Y-%m-%d %H:%M}")


def _when(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        hint = 'e.g. "2026-12-15 14:00"'
        raise InputError(f"{text!r} is not a date and time", hint=hint) from None


@app.command("submit")
def submit(
    board: str = typer.Argument(..., help="Board code or id."),
    person_id: int = typer.Argument(..., help="The registry's person id."),
    question: str = typer.Option(..., "--question", help="The question asked of the board."),
    presenting: str = typer.Option(..., "--from", help="Code of the presenting facility."),
    tumour: int | None = typer.Option(None, "--tumour", help="Tumour id (default: latest)."),
    ecog: int | None = typer.Option(None, "--ecog", help="ECOG performance status 0-5."),
    user: str = USER,
) -> None:
    """Present a person's tumour to a board (the registry's summary is frozen now).

    Example: oncoreg boards submit K-MDT 1234 --question "Surgery first?" --from HN-UB --user lan
    """
    case = on_registry(
        lambda s: boards.submit_case(
            s,
            acting_as(user),
            board=board,
            person_id=person_id,
            tumour_id=tumour,
            question=question,
            ecog=ecog,
            presenting_facility=presenting,
        )
    )
    console.print(f"case {case['id']} submitted to board {case['board_code']}")


@app.command("recommend")
def recommend(
    case_id: int = typer.Argument(..., help="The case id."),
    recommendation: str = typer.Option(..., "--recommendation", help="The board's advice."),
    plan: str | None = typer.Option(None, "--plan", help="The treatment plan."),
    trial: str | None = typer.Option(None, "--trial", help="Code of a suggested trial."),
    refer_to: str | None = typer.Option(None, "--refer-to", help="Facility code to refer to."),
    user: str = USER,
) -> None:
    """Record the board's recommendation on a case (the case becomes discussed).

    Example: oncoreg boards recommend 12 --recommendation "Neoadjuvant chemotherapy" --user lan
    """
    case = on_registry(
        lambda s: boards.record_recommendation(
            s,
            acting_as(user),
            case_id,
            recommendation=recommendation,
            treatment_plan=plan,
            suggested_trial=trial,
            refer_to=refer_to,
        )
    )
    console.print(f"case {case['id']} is {case['state']}")


@app.command("list")
def list_command(
    fmt: Format = typer.Option(Format.TABLE, "--format", help="table, csv or json."),
) -> None:
    """List the boards with their host and next meeting.

    Example: oncoreg boards list --format csv
    """
    rows = on_registry(lambda s: boards.list_boards(s, SYSTEM))
    table = [
        [b["id"], b["code"], b["name"], b["host_code"], len(b["members"]), _next(b["upcoming"])]
        for b in rows
    ]
    columns = ["id", "code", "name", "host", "members", "next_meeting"]
    show_rows(columns, table, fmt, title="Tumour boards")


def _next(meetings: list[dict]) -> str | None:
    return f"{meetings[0]['starts_at']:%Y-%m-%d %H:%M}" if meetings else None


@app.command("cases")
def cases(
    board: str | None = typer.Option(None, "--board", help="Board code or id."),
    state: str | None = typer.Option(
        None, "--state", help="submitted, scheduled, discussed or withdrawn."
    ),
    fmt: Format = typer.Option(Format.TABLE, "--format", help="table, csv or json."),
) -> None:
    """List board cases, newest first.

    Example: oncoreg boards cases --board K-MDT --state submitted
    """
    rows = on_registry(lambda s: boards.list_cases(s, SYSTEM, board=board, state=state))
    table = [[c[name] for name in CASE_COLUMNS] for c in rows]
    show_rows(CASE_COLUMNS, table, fmt, title="Board cases")


@app.command("agenda")
def agenda(
    meeting_id: int = typer.Argument(..., help="The meeting id."),
    out: Path = typer.Option(Path("agenda.pdf"), "--out", help="The PDF to write."),
    lang: str = typer.Option("vi", "--lang", help="vi or en."),
) -> None:
    """Write a meeting's agenda as PDF (members, each case's summary and question).

    Example: oncoreg boards agenda 3 --out agenda.pdf --lang en
    """
    from oncoreg.network import board_documents  # WeasyPrint: loaded only when printing

    data = on_registry(lambda s: board_documents.agenda_pdf(s, SYSTEM, meeting_id, lang))
    out.write_bytes(data)
    console.print(f"agenda of meeting {meeting_id} written to {out}")


@app.command("minutes")
def minutes(
    meeting_id: int = typer.Argument(..., help="The meeting id."),
    out: Path = typer.Option(Path("minutes.pdf"), "--out", help="The PDF to write."),
    lang: str = typer.Option("vi", "--lang", help="vi or en."),
) -> None:
    """Write a meeting's minutes as PDF (attendees, recommendations, minutes text).

    Example: oncoreg boards minutes 3 --out minutes.pdf
    """
    from oncoreg.network import board_documents

    data = on_registry(lambda s: board_documents.minutes_pdf(s, SYSTEM, meeting_id, lang))
    out.write_bytes(data)
    console.print(f"minutes of meeting {meeting_id} written to {out}")
