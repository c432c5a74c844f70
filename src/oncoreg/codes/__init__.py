"""Code tables shipped with oncoreg: ICD-O-3 topography and morphology, ICD-10 conversion,
CI5/GLOBOCAN site groups, basis of diagnosis, grade, behaviour, standard populations and
Vietnam's provinces. Each table is read on first use (nothing at import) and looked up in
O(1); see ``data/SOURCES.toml`` for where each came from, and the ONCOREG_CODES_DIR
setting for a registry's own dictionaries.
"""

from oncoreg.codes._tables import TableSource, clear_caches, read_rows, sources
from oncoreg.codes.basis import basis, is_microscopically_verified
from oncoreg.codes.icd10 import Icd10Result, to_icd10
from oncoreg.codes.morphology import (
    Morphology,
    behaviour,
    grade,
    is_valid_morphology,
    morphology,
    normalise_morphology,
)
from oncoreg.codes.provinces import find_province, province, to_2025
from oncoreg.codes.sitegroups import SiteGroup, groups_for_icd10, site_group, site_groups
from oncoreg.codes.standard_populations import standard_population, weights_for
from oncoreg.codes.topography import (
    Topography,
    is_valid_topography,
    normalise_topography,
    topography,
)


def table_sources() -> list[TableSource]:
    """The provenance of every code table as it is in use (shipped or overridden)."""
    return [read_rows(name, ())[1] for name in sources()]


__all__ = [
    "Icd10Result",
    "Morphology",
    "SiteGroup",
    "TableSource",
    "Topography",
    "basis",
    "behaviour",
    "clear_caches",
    "find_province",
    "grade",
    "groups_for_icd10",
    "is_microscopically_verified",
    "is_valid_morphology",
    "is_valid_topography",
    "morphology",
    "normalise_morphology",
    "normalise_topography",
    "province",
    "site_group",
    "site_groups",
    "standard_population",
    "table_sources",
    "to_2025",
    "to_icd10",
    "topography",
    "weights_for",
]
