"""``oncoreg trials``: see the command help."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Clinical trials: the registry, structured eligibility, matching and accrual.",
    no_args_is_help=True,
)
