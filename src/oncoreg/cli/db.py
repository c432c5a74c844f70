"""``oncoreg db``: schema migrations of the registry store."""

from __future__ import annotations

import typer

from oncoreg.cli.output import console
from oncoreg.settings import get_settings
from oncoreg.store import Store, current_revision, head_revision, upgrade

app = typer.Typer(help="Registry database schema (Alembic migrations).", no_args_is_help=True)


def _store() -> Store:
    settings = get_settings()
    return Store(settings.database_url)


@app.command("upgrade")
def upgrade_command(
    revision: str = typer.Option("head", help="Revision to migrate to."),
) -> None:
    """Migrate the registry database to the newest schema.

    Example: oncoreg db upgrade
    """
    store = _store()
    try:
        before = current_revision(store)
        after = upgrade(store, revision)
    finally:
        store.dispose()
    console.print(f"schema revision: {before or '(empty)'} -> {after}")


@app.command("current")
def current_command() -> None:
    """Show the schema revision of the registry database and the newest one.

    Example: oncoreg db current
    """
    store = _store()
    try:
        console.print(f"current: {current_revision(store) or '(empty)'}")
        console.print(f"newest:  {head_revision(store)}")
    finally:
        store.dispose()
