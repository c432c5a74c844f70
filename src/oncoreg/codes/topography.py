"""ICD-O-3 topography: the 70 categories C00-C80 and their 330 subsites.

The canonical spelling is ``C50`` for a category and ``C50.9`` for a subsite. Spellings
accepted on input: ``C50.9``, ``C509``, ``c50.9``, ``C 50.9``, ``50.9``, ``509`` and, for a
category, ``C50`` or ``50``. The table is ``data/topography.tsv`` (see ``SOURCES.toml``); a
registry may replace it with its own file through the ``ONCOREG_CODES_DIR`` setting. It is
read on first use, never at import.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from oncoreg.codes._tables import TableSource, read_rows, register_cache
from oncoreg.errors import InputError, UnknownCode

TABLE = "topography.tsv"
COLUMNS = ("code", "level", "label_en", "label_vi")
ACCEPTED_FORMS = "C50.9, C509, 50.9, 509 (a subsite) or C50, 50 (a category)"
MAX_SUGGESTIONS = 5

_SPELLING_RE = re.compile(r"[Cc]?[ \t]*([0-9]{2})(?:\.?([0-9]))?")
_CANONICAL_RE = re.compile(r"C[0-9]{2}(?:\.[0-9])?")


@dataclass(frozen=True)
class Topography:
    """One ICD-O-3 topography code.

    Attributes:
        code: canonical code, ``C50`` (category) or ``C50.9`` (subsite).
        label_en: the WHO ICD-O-3 English title.
        label_vi: the Vietnamese label, blank where the table gives none.
        category: the three-character category, e.g. ``C50`` for ``C50.9``.
    """

    code: str
    label_en: str
    label_vi: str
    category: str

    @property
    def is_category(self) -> bool:
        """True for a three-character category such as ``C50``."""
        return len(self.code) == 3


def _row_to_topography(row: dict[str, str], origin: str) -> Topography:
    code = row["code"].upper()
    if not _CANONICAL_RE.fullmatch(code):
        raise InputError(
            f"{origin}: {row['code']!r} is not a topography code",
            hint="write codes in the table as C50 (category) or C50.9 (subsite)",
        )
    return Topography(code, row["label_en"], row["label_vi"], code[:3])


@register_cache
def topography_table() -> dict[str, Topography]:
    """All topography codes of the table in use, keyed by canonical code.

    Returns:
        A dict ``code -> Topography`` in table order (categories before their subsites).

    Raises:
        InputError: the table lacks a column or holds a malformed code.
    """
    rows, source = read_rows(TABLE, COLUMNS)
    items = (_row_to_topography(row, source.path) for row in rows)
    return {item.code: item for item in items}


def topography_source() -> TableSource:
    """Where the topography table in use comes from (shipped or a registry override)."""
    return read_rows(TABLE, COLUMNS)[1]


def _canonical(value: str) -> str:
    """The canonical spelling of a well-formed code, without looking it up."""
    text = value.strip() if isinstance(value, str) else None
    match = _SPELLING_RE.fullmatch(text) if text is not None else None
    if match is None:
        raise InputError(
            f"{value!r} is not a topography code",
            hint=f"write it as {ACCEPTED_FORMS}: C and 2 or 3 digits, '.' before the last",
        )
    category, subsite = match.groups()
    return f"C{category}.{subsite}" if subsite else f"C{category}"


def _number(code: str) -> int:
    """Position of a code on one axis: C50 -> 500, C50.9 -> 509."""
    return int(code[1:3]) * 10 + (int(code[4]) if len(code) == 5 else 0)


def suggest_topography(code: str, limit: int = MAX_SUGGESTIONS) -> list[str]:
    """The valid codes nearest to a well-formed canonical code.

    Subsites of the same category come first, then the other codes nearest by number.

    Args:
        code: a canonical code such as ``C14.1`` (need not be in the table).
        limit: how many codes to return at most.

    Returns:
        Up to ``limit`` table codes, nearest first.
    """
    target = _number(code)

    def rank(candidate: str) -> tuple[bool, int, str]:
        sibling = len(candidate) == 5 and candidate[:3] == code[:3]
        return (not sibling, abs(_number(candidate) - target), candidate)

    return sorted(topography_table(), key=rank)[:limit]


def normalise_topography(value: str) -> str:
    """Turn any accepted spelling of a topography code into its canonical form.

    Args:
        value: the code as written, e.g. ``C509``, ``c50.9``, `` c 50.9 ``, ``509`` or ``50``.

    Returns:
        The canonical code, e.g. ``C50.9`` or ``C50``.

    Raises:
        InputError: the value is not written like a topography code.
        UnknownCode: the value is well formed but not in the table (with suggestions).
    """
    code = _canonical(value)
    if code not in topography_table():
        raise UnknownCode("topography", value, suggest_topography(code))
    return code


def is_valid_topography(value: str) -> bool:
    """True when ``value`` is an accepted spelling of a code in the table."""
    try:
        normalise_topography(value)
    except InputError:
        return False
    return True


def topography(value: str) -> Topography:
    """Look up a topography code written in any accepted spelling.

    Args:
        value: the code as written, e.g. ``C50.9`` or ``509``.

    Returns:
        The table entry for the code.

    Raises:
        InputError: the value is not written like a topography code.
        UnknownCode: the value is well formed but not in the table (with suggestions).
    """
    return topography_table()[normalise_topography(value)]
