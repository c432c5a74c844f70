"""IARC basis of diagnosis: 0, 1, 2, 4, 5, 6, 7, 9.

Codes 5, 6 and 7 are microscopically verified (the MV% indicator); 0 is a death
certificate only case (DCO%). Codes 3 and 8 of older schemes are not IARC codes.
"""

from __future__ import annotations

from oncoreg.codes._tables import CodedValue, coded_table, lookup_coded, register_cache

MICROSCOPIC = frozenset({"5", "6", "7"})
DEATH_CERTIFICATE_ONLY = "0"


@register_cache
def basis_table() -> dict[str, CodedValue]:
    """IARC basis-of-diagnosis code -> label (vi/en)."""
    return coded_table("basis.tsv")


def basis(value: str | int) -> CodedValue:
    """Look up a basis-of-diagnosis code; unknown codes raise UnknownCode."""
    return lookup_coded(basis_table(), "basis of diagnosis", value)


def is_microscopically_verified(value: str | int) -> bool:
    return str(value).strip() in MICROSCOPIC
