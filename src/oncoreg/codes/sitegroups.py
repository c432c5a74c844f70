"""Cancer site groups of GLOBOCAN 2022 and CI5, by ICD-10 code.

Each group is a set of three-character ICD-10 categories, written as IARC writes it
(``C18-C21``, ``C82-C86,C88``, ``C00-C97 excl. C44``), with English and Vietnamese labels.
The table is ``data/site_groups.tsv`` (columns ``group``, ``icd10``, ``label_en``,
``label_vi``, ``sex``, ``scheme``; see ``SOURCES.toml``), read on first use; a registry may
replace it through the ``ONCOREG_CODES_DIR`` setting.

Schemes (the ``scheme`` column lists every scheme a group belongs to, comma-separated, so
that a group defined alike by both has one id):

* ``globocan``: the 36 cancers of GLOBOCAN 2022 (Bray et al., CA Cancer J Clin 2024), in
  the ICD-10 ranges of IARC's Global Cancer Observatory, plus its aggregates colorectum
  (C18-C21), all cancers (C00-C97) and all cancers but non-melanoma skin (C00-C97 excl.
  C44). As in the 2022 release, non-Hodgkin lymphoma is C82-C86 and C88 (C96 is left to
  "other"), multiple myeloma C90, kidney C64 and gallbladder C23. What the 36 leave out
  (C14, C17, C24, C26, C30-C31, C37-C41, C47-C49, C55, C57-C58, C63, C65-C66, C68-C69,
  C74-C80, C96, C97) is GLOBOCAN's residual "other and unspecified", counted only in the
  all-cancers groups.
* ``ci5``: the site list of Cancer Incidence in Five Continents vol. XI, with its
  aggregates (colorectum C18-C21, leukaemia C91-C95, trachea, bronchus and lung C33-C34).
  CI5's non-Hodgkin lymphoma is C82-C86 and C96 (id ``nhl-ci5``) with C88 as
  immunoproliferative diseases. Myeloproliferative and myelodysplastic neoplasms (D45-D47)
  are not included.

``sex`` marks groups of organs that only one sex has (``M``/``F``); breast is not
sex-specific here, although GLOBOCAN reports it for women.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass

from oncoreg.codes._tables import read_rows, register_cache
from oncoreg.errors import InputError, UnknownCode

TABLE = "site_groups.tsv"
COLUMNS = ("group", "icd10", "label_en", "label_vi", "sex", "scheme")
SCHEMES = ("globocan", "ci5")
MAX_SUGGESTIONS = 5

_CATEGORY_RE = re.compile(r"[A-Z]\d\d")
_CODE_RE = re.compile(r"([A-Z]\d\d)(?:\.?\d{1,2})?")
_EXCLUDING = " excl. "


@dataclass(frozen=True)
class SiteGroup:
    """One cancer site group.

    Attributes:
        id: short id, e.g. ``colorectum``.
        icd10: the ICD-10 ranges as IARC writes them, e.g. ``C18-C21``.
        label_en: the English name used by GLOBOCAN/CI5.
        label_vi: the Vietnamese name (NFC), blank where none is given.
        sex: ``M`` or ``F`` for organs of one sex, else blank.
        schemes: the schemes the group belongs to, e.g. ``("globocan", "ci5")``.
        categories: the three-character ICD-10 categories the group holds.
    """

    id: str
    icd10: str
    label_en: str
    label_vi: str
    sex: str
    schemes: tuple[str, ...]
    categories: frozenset[str]

    def contains(self, icd10_code: str) -> bool:
        """True when an ICD-10 code (``C18.7``, ``C187`` or ``C61``) is in the group."""
        return _category(icd10_code) in self.categories


@dataclass(frozen=True)
class _Index:
    groups: dict[str, SiteGroup]
    by_category: dict[tuple[str, str], tuple[str, ...]]


def site_groups(scheme: str = "globocan") -> list[SiteGroup]:
    """The groups of a scheme, in table order (by ICD-10, aggregates last).

    Args:
        scheme: ``globocan`` or ``ci5``.

    Raises:
        InputError: an unknown scheme.
    """
    _check_scheme(scheme)
    return [g for g in _index().groups.values() if scheme in g.schemes]


def site_group(group_id: str) -> SiteGroup:
    """Look up a group by its id, e.g. ``colorectum``.

    Raises:
        UnknownCode: no group has this id (with the nearest ids).
    """
    groups = _index().groups
    if group_id in groups:
        return groups[group_id]
    near = difflib.get_close_matches(str(group_id), list(groups), n=MAX_SUGGESTIONS, cutoff=0.5)
    raise UnknownCode("site group", group_id, near)


def groups_for_icd10(code: str, scheme: str = "globocan") -> list[str]:
    """The ids of the groups of a scheme that hold an ICD-10 code (O(1)).

    Args:
        code: an ICD-10 code, e.g. ``C18.7``, ``C187`` or ``C61``.
        scheme: ``globocan`` or ``ci5``.

    Returns:
        Group ids in table order, e.g. ``["colon", "colorectum", "all-sites",
        "all-excl-nmsc"]``; empty when no group holds the code.

    Raises:
        InputError: the code is not written like an ICD-10 code, or an unknown scheme.
    """
    _check_scheme(scheme)
    return list(_index().by_category.get((_category(code), scheme), ()))


def _check_scheme(scheme: str) -> None:
    if scheme not in SCHEMES:
        raise InputError(
            f"{scheme!r} is not a site-group scheme", hint=f"use {' or '.join(SCHEMES)}"
        )


def _category(code: str) -> str:
    match = _CODE_RE.fullmatch(str(code).strip().upper())
    if match is None:
        raise InputError(f"{code!r} is not an ICD-10 code", hint="write it as C18.7, C187 or C61")
    return match.group(1)


@register_cache
def _index() -> _Index:
    rows, source = read_rows(TABLE, COLUMNS)
    groups: dict[str, SiteGroup] = {}
    for number, row in enumerate(rows, 2):
        group = _to_group(row, f"{source.path}, row {number}")
        if group.id in groups:
            raise InputError(f"{source.path}, row {number}: group {group.id!r} appears twice")
        groups[group.id] = group
    by_category: dict[tuple[str, str], list[str]] = {}
    for group in groups.values():
        for category in sorted(group.categories):
            for scheme in group.schemes:
                by_category.setdefault((category, scheme), []).append(group.id)
    return _Index(groups, {key: tuple(ids) for key, ids in by_category.items()})


def _to_group(row: dict[str, str], where: str) -> SiteGroup:
    schemes = tuple(s.strip() for s in row["scheme"].split(","))
    if not row["group"] or any(s not in SCHEMES for s in schemes):
        raise InputError(f"{where}: bad group id or scheme {row['scheme']!r}")
    if row["sex"] not in ("", "M", "F"):
        raise InputError(f"{where}: sex must be M, F or blank, not {row['sex']!r}")
    return SiteGroup(
        id=row["group"],
        icd10=row["icd10"],
        label_en=row["label_en"],
        label_vi=unicodedata.normalize("NFC", row["label_vi"]),
        sex=row["sex"],
        schemes=schemes,
        categories=parse_ranges(row["icd10"], where),
    )


def parse_ranges(text: str, where: str = "site group") -> frozenset[str]:
    """The ICD-10 categories of ranges written as IARC does.

    Args:
        text: e.g. ``C82-C86,C88`` or ``C00-C97 excl. C44``; the Global Cancer
            Observatory's spellings ``C82-86+C88`` and ``C00-97/C44`` are read too.
        where: names the source in error messages.

    Raises:
        InputError: the text is not a list of ICD-10 categories and ranges.
    """
    included, _, excluded = text.replace("/", _EXCLUDING, 1).partition(_EXCLUDING)
    return frozenset(_expand(included, where) - _expand(excluded, where))


def _expand(text: str, where: str) -> set[str]:
    out: set[str] = set()
    for item in filter(None, (part.strip() for part in re.split(r"[,+]", text))):
        low, _, high = item.partition("-")
        high = high if not high or high[0].isalpha() else low[0] + high
        high = high or low
        if not (_CATEGORY_RE.fullmatch(low) and _CATEGORY_RE.fullmatch(high)):
            raise InputError(f"{where}: cannot read ICD-10 range {item!r} in {text!r}")
        if low[0] != high[0] or low > high:
            raise InputError(f"{where}: range {item!r} runs backwards or across letters")
        out.update(f"{low[0]}{n:02d}" for n in range(int(low[1:]), int(high[1:]) + 1))
    return out
