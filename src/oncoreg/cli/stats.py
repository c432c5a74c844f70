"""``oncoreg stats``: rates, survival and trends, from files (file mode) or the registry."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Registry statistics: incidence, standardised rates, survival, trends, quality.",
    no_args_is_help=True,
)


def _register() -> None:
    from oncoreg.cli import stats_rates, stats_registry, stats_survival

    stats_rates.register(app)
    stats_survival.register(app)
    stats_registry.register(app)


_register()
