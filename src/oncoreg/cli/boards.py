"""``oncoreg boards``: see the command help."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Multidisciplinary tumour boards: members, meetings, cases and recommendations.",
    no_args_is_help=True,
)
