"""``oncoreg serve``, ``oncoreg users`` and ``oncoreg audit``: the web server, its users
and the audit trail."""

from __future__ import annotations

from datetime import datetime

import typer

from oncoreg.cli.output import Format, console, show_rows
from oncoreg.errors import InputError
from oncoreg.services import users as user_service
from oncoreg.services.access import SYSTEM
from oncoreg.services.audit_trail import audit_events
from oncoreg.settings import get_settings
from oncoreg.store import Store

users_app = typer.Typer(help="Users of the web application and the API.", no_args_is_help=True)
USER_COLUMNS = ["username", "display_name", "role", "facility_code", "active"]


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.command("audit")(audit)
    app.add_typer(users_app, name="users")


def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    workers: int = typer.Option(
        0, help="Worker processes (0: one on SQLite, one per core on PostgreSQL)."
    ),
) -> None:
    """Serve the web pages and the REST API (sign in at /login, OpenAPI at /openapi.json).

    Example: oncoreg serve --port 8000
    """
    run_server(host, port, workers)


def run_server(host: str, port: int, workers: int = 0) -> None:
    import os

    import uvicorn

    settings = get_settings()
    store = Store.from_settings(settings)  # refuses a missing secret before listening
    store.dispose()
    embedded = settings.database_url.startswith("sqlite")
    if workers <= 0:
        workers = 1 if embedded else max(2, os.cpu_count() or 2)
    if embedded and workers > 1:
        raise InputError(
            "the embedded SQLite registry is served by one process",
            hint="use PostgreSQL (ONCOREG_DATABASE_URL) for several workers",
        )
    console.print(f"oncoreg serving on http://{host}:{port}/ (sign in at /login)")
    uvicorn.run(
        "oncoreg.api.server:app",
        host=host,
        port=port,
        workers=workers,
        factory=True,
        log_level="warning",
        proxy_headers=True,
        # a worker computing a large registry's statistics can hold the interpreter for
        # seconds (C code building frames); only one silent for a minute is hung
        timeout_worker_healthcheck=60,
    )


@users_app.command("create")
def create(
    username: str = typer.Argument(..., help="Sign-in name (no spaces)."),
    role: str = typer.Option("registrar", help="admin, registrar, hospital, analyst or partner."),
    admin: bool = typer.Option(False, "--admin", help="Create an administrator (role admin)."),
    name: str | None = typer.Option(None, "--name", help="Display name."),
    facility: str | None = typer.Option(None, help="Facility code (hospital users)."),
) -> None:
    """Create a user and print their one-time password (changed at first sign-in).

    Example: oncoreg users create lan --admin
    """
    store = Store.from_settings(get_settings())
    try:
        user, issued = user_service.create_user(
            store,
            SYSTEM,
            username=username,
            role="admin" if admin else role,
            display_name=name,
            facility_code=facility,
        )
    finally:
        store.dispose()
    console.print(f"user {user.username} ({user.role}) created")
    console.print(f"one-time password: [bold]{issued}[/bold] (shown once; changed at sign-in)")


@users_app.command("list")
def list_command(
    fmt: Format = typer.Option(Format.TABLE, "--format", help="table, csv or json."),
) -> None:
    """List the users. Example: oncoreg users list --format csv"""
    store = Store.from_settings(get_settings())
    try:
        rows = [
            [getattr(u, c) for c in USER_COLUMNS] for u in user_service.list_users(store, SYSTEM)
        ]
    finally:
        store.dispose()
    show_rows(USER_COLUMNS, rows, fmt)


@users_app.command("reset-password")
def reset_password(username: str = typer.Argument(...)) -> None:
    """Issue a new one-time password (ends the user's sessions).

    Example: oncoreg users reset-password lan
    """
    store = Store.from_settings(get_settings())
    try:
        issued = user_service.reset_password(store, SYSTEM, username)
    finally:
        store.dispose()
    console.print(f"one-time password for {username}: [bold]{issued}[/bold]")


@users_app.command("deactivate")
def deactivate(username: str = typer.Argument(...)) -> None:
    """Stop a user from signing in (their records and audit events stay).

    Example: oncoreg users deactivate lan
    """
    store = Store.from_settings(get_settings())
    try:
        user_service.set_active(store, SYSTEM, username, False)
    finally:
        store.dispose()
    console.print(f"user {username} deactivated")


def audit(
    actor: str | None = typer.Option(None, "--user", help="Only this user's events."),
    entity: str | None = typer.Option(None, help="Record type: persons, sources, tumours, ..."),
    entity_id: int | None = typer.Option(None, "--id", help="Only this record."),
    action: str | None = typer.Option(None, help="insert, update, obsolete, restore or read."),
    since: datetime | None = typer.Option(None, help="From this time (YYYY-MM-DD[THH:MM])."),
    limit: int = typer.Option(100, help="At most this many events, newest first."),
    fmt: Format = typer.Option(Format.TABLE, "--format", help="table, csv or json."),
) -> None:
    """Query the audit trail: who changed or read which record, when.

    Example: oncoreg audit --user lan --since 2026-01-01
    """
    store = Store.from_settings(get_settings())
    try:
        page = audit_events(
            store,
            SYSTEM,
            entity=entity,
            entity_id=entity_id,
            actor=actor,
            action=action,
            since=since,
            limit=limit,
        )
    finally:
        store.dispose()
    columns = ["at", "actor", "action", "entity", "entity_id", "fields"]
    rows = [[", ".join(e[c]) if c == "fields" else e[c] for c in columns] for e in page.data]
    show_rows(columns, rows, fmt)
    if fmt is Format.TABLE:
        console.print(f"{len(rows)} of {page.count} events")
