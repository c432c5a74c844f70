"""Code tables shipped with oncoreg: ICD-O-3 topography and morphology, ICD-10 conversion,
CI5/GLOBOCAN site groups, basis of diagnosis, grade, behaviour, standard populations and
Vietnam's provinces. Each is loaded on first use and looked up in O(1); see
``data/SOURCES.toml`` for where each came from, and the ONCOREG_CODES_DIR setting for a
registry's own dictionaries.

The names below are imported lazily (on first access), so that importing one table's
module does not load the others.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "TableSource": "_tables",
    "clear_caches": "_tables",
    "basis": "basis",
    "is_microscopically_verified": "basis",
    "to_icd10": "icd10",
    "Morphology": "morphology",
    "behaviour": "morphology",
    "grade": "morphology",
    "is_valid_morphology": "morphology",
    "morphology": "morphology",
    "normalise_morphology": "morphology",
    "find_province": "provinces",
    "province": "provinces",
    "to_2025": "provinces",
    "site_group": "sitegroups",
    "site_groups": "sitegroups",
    "standard_population": "standard_populations",
    "weights_for": "standard_populations",
    "Topography": "topography",
    "is_valid_topography": "topography",
    "normalise_topography": "topography",
    "topography": "topography",
}

__all__ = sorted([*_EXPORTS, "table_sources"])

if TYPE_CHECKING:  # pragma: no cover
    from oncoreg.codes._tables import TableSource


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'oncoreg.codes' has no attribute {name!r}")
    return getattr(import_module(f"oncoreg.codes.{module}"), name)


def table_sources() -> list[TableSource]:
    """The provenance of every code table as it is in use (shipped or overridden)."""
    from oncoreg.codes._tables import read_rows, sources

    return [read_rows(name, ())[1] for name in sources()]
