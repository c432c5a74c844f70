"""IARC/IACR checks of reports: validity and consistency rules, data-quality indicators.

Rule modules register their rules with :mod:`oncoreg.checks.engine` when imported;
:func:`load_rules` imports them all (the engine calls it on first use).
"""

from __future__ import annotations

from importlib import import_module

RULE_MODULES = (
    "formats",
    "validity",
    "dates",
    "consistency",
    "age_site_histology",
    "site_histology",
)


def load_rules() -> None:
    """Import every rule module (each registers its rules with the engine once)."""
    for name in RULE_MODULES:
        import_module(f"oncoreg.checks.{name}")
