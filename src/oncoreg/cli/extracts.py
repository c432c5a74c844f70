"""``oncoreg extracts``: see the command help."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Research extracts: data-sharing agreements, requests, approval and release.",
    no_args_is_help=True,
)
