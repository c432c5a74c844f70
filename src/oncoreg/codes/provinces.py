"""Vietnam's provinces before and after the merger of 1 July 2025.

Two eras share one table (``data/provinces.tsv``):

- ``"2004"``: the 63 provinces and centrally-run cities in force until 30 June 2025, with
  their GSO 2-digit codes (Decision 124/2004/QD-TTg);
- ``"2025"``: the 34 units of National Assembly Resolution 202/2025/QH15, in force from
  1 July 2025. Each keeps the code of one of the provinces merged into it, so every 2025
  code is also a 2004 code, often of a smaller unit (``08`` is Tuyên Quang in both eras,
  but the 2025 Tuyên Quang also holds the old Hà Giang ``02``).

Because a code or a name can mean a different area in each era, lookups take an ``era``.
With ``era=None`` a lookup succeeds only when the code or name belongs to one era (e.g. a
retired code such as ``02``); when it exists in both, an :class:`~oncoreg.errors.InputError`
asks for the era. Nothing silently prefers the 2025 unit.

To normalise a record of any date to the 2025 units::

    to_2025(find_province("Hà Giang", era="2004").code)  # -> "08"

This works for every name a record may carry: each 2025 name is also a 2004 name or an
alias of one (Huế). Names match with or without diacritics, type prefix (``Tỉnh``,
``Thành phố``, ``TP.``), spaces or hyphens, and through common aliases (``TP.HCM``,
``Sài Gòn``, ``BR-VT``).

The 2004 row of code ``46`` keeps the name the province had for almost the whole era,
``Tỉnh Thừa Thiên Huế``; it became ``Thành phố Huế`` on 1 January 2025, and both names
find it.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from unicodedata import normalize

from oncoreg.codes._tables import read_rows, register_cache
from oncoreg.errors import InputError, ProblemCollector, UnknownCode
from oncoreg.text import fold_vietnamese

__all__ = [
    "ERA_2004",
    "ERA_2025",
    "ERAS",
    "Province",
    "find_province",
    "legacy_codes",
    "name_key",
    "province",
    "provinces",
    "to_2025",
]

ERA_2004 = "2004"
ERA_2025 = "2025"
ERAS = (ERA_2004, ERA_2025)

TABLE = "provinces.tsv"
COLUMNS = ("code", "era", "name_vi", "name_en", "new_code")

# Other ways records write a province, each with the code it names. An alias applies in
# every era that has the code (``BR-VT`` only in 2004). Variants of spacing, hyphens,
# diacritics and type prefix ("Hanoi", "TP. HCM", "Bà Rịa Vũng Tàu") need no alias: they
# share the name's key (see :func:`name_key`).
ALIASES: dict[str, str] = {
    "HCM": "79",
    "TPHCM": "79",
    "HCMC": "79",
    "Sài Gòn": "79",
    "Huế": "46",
    "Thừa Thiên Huế": "46",
    "BR-VT": "77",
    "Bắc Cạn": "06",
}

_TYPE_PREFIX = re.compile(r"^(?:thanh pho|tinh|t\.? ?p)(?:\.|\s)+")
_TYPE_NAMES = ("Thành phố ", "Tỉnh ")


@dataclass(frozen=True)
class Province:
    """A province or centrally-run city of one era.

    Attributes:
        code: GSO 2-digit code, e.g. ``"08"``.
        era: ``"2004"`` (until 30 June 2025) or ``"2025"`` (from 1 July 2025).
        name_vi: Official name with its type, NFC, e.g. ``"Tỉnh Tuyên Quang"``.
        name_en: English short name without diacritics, e.g. ``"Tuyen Quang"``.
        new_code: The 2025 unit this province is (part of); a 2025 unit's own code.
    """

    code: str
    era: str
    name_vi: str
    name_en: str
    new_code: str

    @property
    def short_name_vi(self) -> str:
        """The Vietnamese name without its type, e.g. ``"Hồ Chí Minh"``."""
        for prefix in _TYPE_NAMES:
            if self.name_vi.startswith(prefix):
                return self.name_vi[len(prefix) :]
        return self.name_vi


@dataclass(frozen=True)
class _Index:
    by_code: dict[str, dict[str, Province]]  # era -> code -> province
    by_key: dict[str, dict[str, str]]  # era -> name key -> code
    legacy: dict[str, tuple[str, ...]]  # 2025 code -> 2004 codes


def name_key(name: str) -> str:
    """The key names are matched on: folded, type prefix removed, letters and digits only.

    Args:
        name: A province name as written, e.g. ``"TP. Hồ Chí Minh"``.

    Returns:
        The key, e.g. ``"hochiminh"``.
    """
    folded = _TYPE_PREFIX.sub("", fold_vietnamese(name))
    return re.sub(r"[^a-z0-9]", "", folded)


def _normalise_code(code: str | int) -> str:
    text = str(code).strip()
    if text.isascii() and text.isdigit():
        return f"{int(text):02d}"
    return text


def _check_era(era: str | None) -> tuple[str, ...]:
    if era is None:
        return ERAS
    if era not in ERAS:
        raise InputError(f"{era!r} is not a province era", hint="use era='2004' or era='2025'")
    return (era,)


def _to_province(row: dict[str, str]) -> Province:
    return Province(
        code=_normalise_code(row["code"]),
        era=row["era"],
        name_vi=normalize("NFC", row["name_vi"]),
        name_en=row["name_en"],
        new_code=_normalise_code(row["new_code"]),
    )


def _check_rows(items: list[Province], origin: str) -> None:
    found = ProblemCollector()
    new_codes = {p.code for p in items if p.era == ERA_2025}
    seen: set[tuple[str, str]] = set()
    for line, p in enumerate(items, start=2):
        if p.era not in ERAS:
            found.add(f"era {p.era!r} is neither 2004 nor 2025", file=origin, row=line)
        if (p.era, p.code) in seen:
            found.add(f"code {p.code} repeats in era {p.era}", file=origin, row=line)
        if p.new_code not in new_codes or (p.era == ERA_2025 and p.new_code != p.code):
            found.add(f"new_code {p.new_code} is not a 2025 code", file=origin, row=line)
        seen.add((p.era, p.code))
    found.raise_if_any(f"{origin}: the province table is inconsistent")


def _name_keys(items: list[Province]) -> dict[str, str]:
    codes = {p.code for p in items}
    pairs = [(n, p.code) for p in items for n in (p.name_vi, p.name_en)]
    pairs += [(alias, code) for alias, code in ALIASES.items() if code in codes]
    keys: dict[str, str] = {}
    for name, code in pairs:
        if keys.setdefault(name_key(name), code) != code:
            raise InputError(
                f"province name {name!r} matches two codes ({keys[name_key(name)]}, {code})",
                hint="give each province of an era a distinct name",
            )
    return keys


@register_cache
def _index() -> _Index:
    rows, source = read_rows(TABLE, COLUMNS)
    items = [_to_province(r) for r in rows]
    _check_rows(items, source.path)  # in file order, so problems name the file's lines
    items.sort(key=lambda p: (p.era, p.code))
    by_era = {era: [p for p in items if p.era == era] for era in ERAS}
    legacy: dict[str, list[str]] = {p.code: [] for p in by_era[ERA_2025]}
    for p in by_era[ERA_2004]:
        legacy[p.new_code].append(p.code)
    return _Index(
        by_code={era: {p.code: p for p in by_era[era]} for era in ERAS},
        by_key={era: _name_keys(by_era[era]) for era in ERAS},
        legacy={code: tuple(old) for code, old in legacy.items()},
    )


def _ambiguous(value: str, hits: list[Province]) -> InputError:
    both = "; ".join(f"{p.era}: {p.code} {p.name_vi}" for p in hits)
    return InputError(
        f"province {value!r} exists in both eras ({both})",
        hint="pass era='2004' for records before 1 July 2025, era='2025' from that date",
    )


def _successor(p: Province) -> Province:
    return _index().by_code[ERA_2025][p.new_code]


def _label(p: Province) -> str:
    return f"{p.code} {p.name_vi}"


def _code_suggestions(code: str, eras: tuple[str, ...]) -> list[str]:
    idx = _index()
    if eras == (ERA_2025,) and code in idx.by_code[ERA_2004]:
        return [_label(_successor(idx.by_code[ERA_2004][code]))]
    if not (code.isascii() and code.isdigit()):
        return [_label(p) for p in _closest_names(name_key(code), eras)]
    known = sorted({c for era in eras for c in idx.by_code[era]})
    nearest = sorted(known, key=lambda c: abs(int(c) - int(code)))[:3]
    return [_label(next(idx.by_code[e][c] for e in eras if c in idx.by_code[e])) for c in nearest]


def _closest_names(key: str, eras: tuple[str, ...]) -> list[Province]:
    idx = _index()
    found: list[Province] = []
    for era in eras:
        if era == ERA_2025 and key in idx.by_key[ERA_2004]:
            found.append(_successor(idx.by_code[ERA_2004][idx.by_key[ERA_2004][key]]))
        for close in difflib.get_close_matches(key, idx.by_key[era], n=3, cutoff=0.6):
            found.append(idx.by_code[era][idx.by_key[era][close]])
    unique: dict[tuple[str, str], Province] = {}
    for p in found:
        unique.setdefault((p.code, p.name_vi), p)
    return list(unique.values())[:4]


def province(code: str | int, era: str | None = None) -> Province:
    """Look up a province by its GSO code.

    Args:
        code: The 2-digit code; ``"1"``, ``"01"`` and ``" 01 "`` are the same code.
        era: ``"2004"`` or ``"2025"``. May be left out only for a code that exists in one
            era (a code retired on 1 July 2025, such as ``"02"``).

    Returns:
        The province of that code and era.

    Raises:
        UnknownCode: No province has the code in that era; suggests the nearest codes, or
            for a retired code asked in 2025 the unit it became part of.
        InputError: ``era`` is unknown, or left out for a code used in both eras.
    """
    eras = _check_era(era)
    normal = _normalise_code(code)
    idx = _index()
    hits = [idx.by_code[e][normal] for e in eras if normal in idx.by_code[e]]
    if len(hits) > 1:
        raise _ambiguous(str(code), hits)
    if not hits:
        raise UnknownCode("province", str(code), _code_suggestions(normal, eras))
    return hits[0]


def find_province(name: str, era: str | None = None) -> Province:
    """Find a province by name.

    Matching ignores case, diacritics (``đ`` = ``d``), spaces, hyphens and the type prefix
    (``Tỉnh``, ``Thành phố``, ``TP.``, ``TP``), and knows common aliases such as ``TP.HCM``,
    ``Sài Gòn``, ``Hanoi``, ``Thừa Thiên Huế``/``Huế`` and ``BR-VT``. English names match too.

    Args:
        name: The name as written, e.g. ``"TP. Hồ Chí Minh"`` or ``"ha giang"``.
        era: ``"2004"`` or ``"2025"``. May be left out only for a name of one era.

    Returns:
        The province of that name and era.

    Raises:
        UnknownCode: No province of that era has the name; suggests the nearest names, and
            for a pre-2025 name asked in 2025 the unit it became part of.
        InputError: ``era`` is unknown, or left out for a name used in both eras.
    """
    eras = _check_era(era)
    key = name_key(name)
    idx = _index()
    hits = [idx.by_code[e][idx.by_key[e][key]] for e in eras if key in idx.by_key[e]]
    if len(hits) > 1:
        raise _ambiguous(name, hits)
    if not hits:
        raise UnknownCode("province", name, [p.name_vi for p in _closest_names(key, eras)])
    return hits[0]


def provinces(era: str) -> list[Province]:
    """All provinces of one era, in code order.

    Args:
        era: ``"2004"`` (63 provinces) or ``"2025"`` (34 provinces).

    Returns:
        A new list of the era's provinces.
    """
    if era not in ERAS:
        raise InputError(f"{era!r} is not a province era", hint="use era='2004' or era='2025'")
    return list(_index().by_code[era].values())


def to_2025(old_code: str | int) -> str:
    """The code of the 2025 province that a pre-2025 province became (part of).

    Every 2025 code is also a 2004 code that maps to itself, so the function is
    idempotent: ``to_2025(to_2025(c)) == to_2025(c)``.

    Args:
        old_code: A 2004-era code, e.g. ``"02"`` (Hà Giang).

    Returns:
        The 2025 code, e.g. ``"08"`` (Tuyên Quang).

    Raises:
        UnknownCode: ``old_code`` is not a 2004-era code.
    """
    return province(old_code, era=ERA_2004).new_code


def legacy_codes(new_code: str | int) -> tuple[str, ...]:
    """The pre-2025 provinces merged into a 2025 province, in code order.

    Args:
        new_code: A 2025-era code, e.g. ``"79"``.

    Returns:
        Their 2004-era codes, e.g. ``("74", "77", "79")``.

    Raises:
        UnknownCode: ``new_code`` is not a 2025-era code.
    """
    return _index().legacy[province(new_code, era=ERA_2025).code]
