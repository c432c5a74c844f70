"""``oncoreg referrals``: referrals of a person's tumour from one facility to another."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Referrals of a person's tumour from one facility to another.", no_args_is_help=True
)
