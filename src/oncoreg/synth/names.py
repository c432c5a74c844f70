"""Vietnamese personal names for the synthetic registry, and the ways hospitals write them.

Drawing: :func:`draw_names` gives each person a family, middle and given name from the
weights of ``data/vn_names.tsv`` (sources in ``data/SOURCES.md``), vectorised with NumPy.
About 8% of persons get two middle names (``Thị Ngọc``) and 1% none (``Lê Duẩn``). The
Southern spellings Huỳnh (of Hoàng) and Võ (of Vũ), one family each written differently
since the naming taboos of the Nguyễn lords, follow the person's region when one is given.

Reporting variations (typos, given-name variants) turn a name into what another hospital
might have typed; ASCII-only and capitalised spellings are made by the report builder
(:mod:`oncoreg.synth.fields`) in Polars. Each variation takes
an array (object dtype) and returns a new one of the same shape; apply them to a subset::

    full = join_full(family, middle, given)
    mask = rng.random(len(full)) < 0.05
    full[mask] = typo(rng, full[mask])

Parsing: :func:`oncoreg.text.split_full_name` (re-exported here) is the inverse of
:func:`join_full`, and is what the importer and the exporters use to read a full name.

Name arrays are ``object`` arrays of NFC ``str`` (a fixed-width ``<U`` array would silently
cut a variation longer than the original).
"""

from __future__ import annotations

import bisect
import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

import numpy as np

from oncoreg import text as vntext
from oncoreg.codes.provinces import ERA_2004, province
from oncoreg.errors import InputError
from oncoreg.text import (
    TONE_MARKS,
    split_full_name,
    split_tone,
    telex_keystrokes,
    tone_placement,
    tone_position,
    with_tone,
)

__all__ = [
    "NameTable",
    "NameTables",
    "draw_names",
    "given_name_variant",
    "join_full",
    "name_tables",
    "region_of_province",
    "split_full_name",
    "typo",
]

DATA_PACKAGE = "oncoreg.synth.data"
TABLE = "vn_names.tsv"
PARTS = ("family", "middle", "given")
SEX_CODES = {"1": "M", "2": "F"}
REGIONS = ("N", "C", "S")

TWO_MIDDLE_SHARE = 0.08
NO_MIDDLE_SHARE = 0.01
# Middle names that only mark sex; a second middle name is never one of them.
SEX_MARKERS = frozenset({"Văn", "Thị"})

# (northern form, southern form, share of the southern form in regions N, C, S). With the
# 2019 census population (N 36%, C 27%, S 37%) these give the national split of the table.
REGIONAL_SPELLINGS = (
    ("Hoàng", "Huỳnh", (0.03, 0.55, 0.85)),
    ("Vũ", "Võ", (0.08, 0.65, 0.75)),
)

# Given names that are the same name in two spellings, used interchangeably in records
# (i/y spellings, Phúc and its Southern form Phước); sex "" = either. Tone-mark placement
# (Hòa/Hoà, Thủy/Thuỷ) is handled for every name by oncoreg.text.tone_placement.
GIVEN_NAME_VARIANTS = (
    ("", ("Phúc", "Phước")),
    ("", ("Ly", "Li")),
    ("", ("Lý", "Lí")),
    ("F", ("Vy", "Vi")),
    ("", ("Mỹ", "Mĩ")),
    ("", ("Kỳ", "Kì")),
    ("M", ("Sỹ", "Sĩ")),
    ("", ("Quý", "Quí")),
    ("M", ("Vỹ", "Vĩ")),
)


@dataclass(frozen=True)
class NameTable:
    """The names of one part (family, middle or given) for one sex, with probabilities.

    Attributes:
        names: The names, an object array of NFC strings.
        p: Their probabilities (same length, summing to 1).
    """

    names: np.ndarray
    p: np.ndarray

    def draw_index(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Indices into :attr:`names` of ``size`` independent draws."""
        return rng.choice(len(self.names), size=size, p=self.p)

    def index(self, name: str) -> int:
        """The position of a name in the table (``-1`` if absent)."""
        hits = np.flatnonzero(self.names == name)
        return int(hits[0]) if hits.size else -1

    def share(self, name: str) -> float:
        """The probability of a name (0 if absent)."""
        i = self.index(name)
        return float(self.p[i]) if i >= 0 else 0.0

    def without(self, excluded: frozenset[str]) -> NameTable:
        """The same table without some names, probabilities renormalised."""
        keep = ~np.isin(self.names, list(excluded))
        return NameTable(self.names[keep], self.p[keep] / self.p[keep].sum())


@dataclass(frozen=True)
class NameTables:
    """All name tables, by part and sex (``"M"``/``"F"``); rows of blank sex are in both."""

    tables: dict[tuple[str, str], NameTable]

    def table(self, part: str, sex: str) -> NameTable:
        """The table of one part (``family``, ``middle``, ``given``) and sex (``M``, ``F``)."""
        return self.tables[(part, sex)]

    @classmethod
    def from_text(cls, text: str, origin: str = TABLE) -> NameTables:
        """Parse a names TSV (header ``part sex name weight``), checking every row.

        Raises:
            InputError: A row has an unknown part or sex, a bad weight, a name that is
                empty, not NFC or repeated, or a part and sex have no names.
        """
        rows = list(csv.DictReader(io.StringIO(text), delimiter="\t"))
        _check_rows(rows, origin)
        tables = {}
        for part in PARTS:
            for sex in ("M", "F"):
                mine = [r for r in rows if r["part"] == part and r["sex"] in ("", sex)]
                if not mine:
                    raise InputError(f"{origin}: no {part} names for sex {sex}")
                weights = np.array([float(r["weight"]) for r in mine])
                names = np.array([r["name"] for r in mine], dtype=object)
                tables[(part, sex)] = NameTable(names, weights / weights.sum())
        return cls(tables)


def _check_rows(rows: list[dict[str, str]], origin: str) -> None:
    seen: set[tuple[str, str, str]] = set()
    for line, row in enumerate(rows, start=2):
        part, sex, name = row.get("part"), row.get("sex") or "", row.get("name") or ""
        problem = None
        if part not in PARTS or sex not in ("", "M", "F"):
            problem = f"unknown part {part!r} or sex {sex!r}"
        elif not name or name != unicodedata.normalize("NFC", name.strip()):
            problem = "the name is empty, padded or not NFC"
        elif not _positive(row.get("weight")):
            problem = "the weight is not a positive number"
        elif any((part, s, name) in seen for s in sex or "MF"):
            problem = "the name repeats"
        if problem:
            raise InputError(f"{origin}, row {line}: {problem}", hint="fix the names table")
        seen.update((part, s, name) for s in sex or "MF")


def _positive(value: str | None) -> bool:
    try:
        return float(value or "") > 0
    except ValueError:
        return False


@cache
def name_tables() -> NameTables:
    """The shipped name tables, read on first use and cached."""
    text = resources.files(DATA_PACKAGE).joinpath(TABLE).read_text(encoding="utf-8")
    return NameTables.from_text(text, f"oncoreg/synth/data/{TABLE}")


# --- drawing ----------------------------------------------------------------------------


def draw_names(
    rng: np.random.Generator, sex: np.ndarray, region: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Draw a family, middle and given name for each person.

    Args:
        rng: The random generator (the only source of randomness: same seed, same names).
        sex: One code per person, ``"1"`` male or ``"2"`` female (integers 1/2 also work).
        region: Optional, one of ``"N"``, ``"C"``, ``"S"`` per person (see
            :func:`region_of_province`); spells Hoàng/Huỳnh and Vũ/Võ by region. Without
            it, the national split of the table.

    Returns:
        Three object arrays of NFC strings: family, middle (``""`` for 1% of persons,
        two words for 8%) and given names.

    Raises:
        ValueError: A sex code is not 1 or 2, or a region is not N, C or S.
    """
    masks = _sex_masks(sex)
    regions = None if region is None else _check_regions(region, len(masks[0]))
    tables = name_tables()
    family, middle, given = (np.empty(len(masks[0]), dtype=object) for _ in PARTS)
    for code, mask in zip(("M", "F"), masks, strict=True):
        size = int(mask.sum())
        sub_regions = None if regions is None else regions[mask]
        family[mask] = _draw_family(rng, tables.table("family", code), size, sub_regions)
        middles, last = _draw_middle(rng, tables.table("middle", code), size)
        middle[mask] = middles
        given[mask] = _draw_given(rng, tables.table("given", code), last)
    return family, middle, given


def _sex_masks(sex: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    codes = np.asarray(sex)
    if codes.dtype.kind in "iu":
        male, female = codes == 1, codes == 2
    else:
        male, female = codes == "1", codes == "2"
    if not (male | female).all():
        bad = sorted({str(c) for c in codes[~(male | female)].tolist()})[:5]
        raise ValueError(f"sex must be '1' (male) or '2' (female), got {bad}")
    return male, female


def _check_regions(region: np.ndarray, size: int) -> np.ndarray:
    regions = np.asarray(region)
    if regions.shape != (size,):
        raise ValueError(f"region has shape {regions.shape}, expected ({size},)")
    known = np.isin(regions, REGIONS)
    if not known.all():
        bad = sorted({str(r) for r in regions[~known].tolist()})[:5]
        raise ValueError(f"region must be one of N, C, S, got {bad}")
    return regions


def _draw_family(
    rng: np.random.Generator, table: NameTable, size: int, regions: np.ndarray | None
) -> np.ndarray:
    idx = table.draw_index(rng, size)
    if regions is None:
        return table.names[idx]
    for north, south, shares in REGIONAL_SPELLINGS:
        # Redraw the spelling of the family's two rows by each person's region.
        in_family = (idx == table.index(north)) | (idx == table.index(south))
        share = np.select([regions == r for r in REGIONS], shares)[in_family]
        spelt = rng.random(share.size) < share
        idx[in_family] = np.where(spelt, table.index(south), table.index(north))
    return table.names[idx]


def _draw_middle(rng: np.random.Generator, table: NameTable, size: int) -> tuple[np.ndarray, ...]:
    """Middle names, and the last word of each (to keep given names from repeating it)."""
    first = table.names[table.draw_index(rng, size)]
    u = rng.random(size)
    two = u >= 1 - TWO_MIDDLE_SHARE
    second_table = table.without(SEX_MARKERS)
    idx = second_table.draw_index(rng, int(two.sum()))
    same = second_table.names[idx] == first[two]
    second = second_table.names[np.where(same, (idx + 1) % len(second_table.names), idx)]
    middle, last = first.copy(), first.copy()
    middle[two] = first[two] + " " + second
    last[two] = second
    middle[u < NO_MIDDLE_SHARE] = ""
    return middle, last


def _draw_given(rng: np.random.Generator, table: NameTable, last_middle: np.ndarray) -> np.ndarray:
    idx = table.draw_index(rng, len(last_middle))
    repeats = table.names[idx] == last_middle
    return table.names[np.where(repeats, (idx + 1) % len(table.names), idx)]


def region_of_province(code_2004: str) -> str:
    """The region of a pre-2025 province: ``"N"`` North, ``"C"`` Centre, ``"S"`` South.

    Regions group the GSO socio-economic regions: North = Northern Midlands and Mountains
    and the Red River Delta (codes 01-37); Centre = North Central and Central Coast and
    the Central Highlands (38-68); South = Southeast and Mekong River Delta (70-96).

    Args:
        code_2004: A province code of the 2004 era, e.g. ``"79"`` (Hồ Chí Minh City).

    Returns:
        ``"N"``, ``"C"`` or ``"S"``.

    Raises:
        UnknownCode: The code is not a 2004-era province code.
    """
    number = int(province(code_2004, era=ERA_2004).code)
    if number <= 37:
        return "N"
    return "C" if number <= 68 else "S"


# --- full names -------------------------------------------------------------------------


def join_full(
    family: np.ndarray | str, middle: np.ndarray | str, given: np.ndarray | str
) -> np.ndarray | str:
    """Join name parts into full names, family first: ``"Nguyễn Thị Hồng"``.

    Empty parts are left out (no double spaces). Works on three strings or on three
    arrays of the same shape.

    Args:
        family: Family name(s).
        middle: Middle name(s), possibly ``""``.
        given: Given name(s).

    Returns:
        A string, or an object array of full names.
    """
    if isinstance(family, str) and isinstance(middle, str) and isinstance(given, str):
        return " ".join(part for part in (family, middle, given) if part)
    parts = np.broadcast_arrays(*(np.asarray(a, dtype=object) for a in (family, middle, given)))
    full = np.empty(parts[0].shape, dtype=object)
    columns = [p.ravel().tolist() for p in parts]
    full.ravel()[:] = [" ".join(names) for names in zip(*columns, strict=True)]
    gaps = (parts[0] == "") | (parts[1] == "") | (parts[2] == "")
    columns = [p[gaps].tolist() for p in parts]
    full[gaps] = [join_full(*names) for names in zip(*columns, strict=True)]
    return full


# --- reporting variations ---------------------------------------------------------------


def given_name_variant(rng: np.random.Generator, given: np.ndarray, sex: np.ndarray) -> np.ndarray:
    """Given names in another spelling of the same name, where the name has one.

    The variants are those records use interchangeably: tone-mark placement of the old and
    new orthography (``Hòa``/``Hoà``, ``Thủy``/``Thuỷ``, ``Thúy``/``Thuý``), ``i``/``y``
    (``Ly``/``Li``, ``Vy``/``Vi``, ``Mỹ``/``Mĩ``) and ``Phúc``/``Phước``. A name with none
    is returned unchanged (compare the result with the input to see which changed).

    Args:
        rng: The random generator (picks among several variants).
        given: An array of given names.
        sex: The persons' sex codes (``"1"``/``"2"``), same length: some variants are
            for one sex only.

    Returns:
        A new object array of given names.

    Raises:
        ValueError: A sex code is not 1 or 2.
    """
    names = np.asarray(given, dtype=object)
    male, _ = _sex_masks(sex)
    u = rng.random(names.size).tolist()
    sexes = np.where(male, "M", "F").tolist()
    out = np.empty(names.shape, dtype=object)
    out.ravel()[:] = [_variant(n, s, x) for n, s, x in zip(names.tolist(), sexes, u, strict=True)]
    return out


def _variant(name: str, sex: str, u: float) -> str:
    options = _variants(name, sex)
    return options[int(u * len(options))] if options else name


@lru_cache(maxsize=4096)
def _variants(name: str, sex: str) -> tuple[str, ...]:
    found = {tone_placement(name, "old"), tone_placement(name, "new")}
    for only, group in GIVEN_NAME_VARIANTS:
        for spelling in group:
            if only in ("", sex) and name in (spelling, spelling.upper()):
                case = str.upper if name.isupper() and len(name) > 1 else str
                found.update(case(other) for other in group)
    found.discard(name)
    return tuple(sorted(found))


# --- typing slips -----------------------------------------------------------------------

_WORD = re.compile(r"\w+")
_MARKED_LETTERS = frozenset("ăâêôơưđ")


def typo(rng: np.random.Generator, values: np.ndarray) -> np.ndarray:
    """One typing slip in each name, of the kinds seen in keyed-in records.

    The kinds, by weight: a wrong tone mark (``Hồng`` -> ``Hông``, ``Hống``) or one added
    to a level-tone word; a dropped letter; two adjacent letters swapped; a doubled
    letter; a lost vowel mark (``ư`` -> ``u``, ``ơ`` -> ``o``, ``â`` -> ``a``, ``đ`` -> ``d``);
    and a word left as raw Telex keystrokes (``Hồng`` -> ``Hoongf``), as when the Vietnamese
    input method was off. A slip never empties a word, so never a name. Strings without a
    letter are returned unchanged.

    Args:
        rng: The random generator.
        values: An array of names (parts or full names).

    Returns:
        A new object array of NFC strings, each differing from its input by one slip.
    """
    arr = np.asarray(values, dtype=object)
    draws = rng.random((arr.size, 3)).tolist()
    out = np.empty(arr.shape, dtype=object)
    out.ravel()[:] = [_typo_one(s, u) for s, u in zip(arr.ravel().tolist(), draws, strict=True)]
    return out


def _typo_one(text: str, u: list[float]) -> str:
    text = unicodedata.normalize("NFC", text)
    if not any(ch.isalpha() for ch in text):
        return text
    start = bisect.bisect_right(_SLIP_CUMULATIVE, u[0])
    for k in range(len(_SLIPS)):
        slipped = _SLIPS[(start + k) % len(_SLIPS)](text, u[1], u[2])
        if slipped and slipped != text:
            return unicodedata.normalize("NFC", slipped)
    return _double(text, u[1], u[2])  # pragma: no cover - doubling always changes a text


def _pick(items: list, u: float):
    return items[min(int(u * len(items)), len(items) - 1)] if items else None


def _words_of(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in _WORD.finditer(text)]


def _drop(text: str, u: float, _: float) -> str | None:
    spots = [i for a, b in _words_of(text) if b - a > 1 for i in range(a, b)]
    i = _pick(spots, u)
    return None if i is None else text[:i] + text[i + 1 :]


def _double(text: str, u: float, _: float) -> str | None:
    i = _pick([i for i, ch in enumerate(text) if ch.isalpha()], u)
    return None if i is None else text[: i + 1] + text[i:]


def _swap(text: str, u: float, _: float) -> str | None:
    pairs = [i for a, b in _words_of(text) for i in range(a, b - 1) if text[i] != text[i + 1]]
    i = _pick(pairs, u)
    return None if i is None else text[:i] + text[i + 1] + text[i] + text[i + 2 :]


def _wrong_tone(text: str, u: float, v: float) -> str | None:
    a, b = _pick(_words_of(text), u)  # the text has a letter, so a word
    word = text[a:b]
    toned = [i for i, ch in enumerate(word) if split_tone(ch)[1]]
    i = toned[0] if toned else tone_position(word)
    if i is None:
        return None
    choices = [t for t in ("",) + TONE_MARKS if t != split_tone(word[i])[1]]
    new_word = word[:i] + with_tone(word[i], _pick(choices, v)) + word[i + 1 :]
    return text[:a] + new_word + text[b:]


def _lose_vowel_mark(text: str, u: float, _: float) -> str | None:
    spots = [i for i, ch in enumerate(text) if split_tone(ch)[0].lower() in _MARKED_LETTERS]
    i = _pick(spots, u)
    if i is None:
        return None
    base, tone = split_tone(text[i])
    return text[:i] + with_tone(vntext.strip_diacritics(base), tone) + text[i + 1 :]


def _raw_telex(text: str, u: float, _: float) -> str | None:
    spans = [(a, b) for a, b in _words_of(text) if vntext.strip_diacritics(text[a:b]) != text[a:b]]
    span = _pick(spans, u)
    if span is None:
        return None
    a, b = span
    return text[:a] + telex_keystrokes(text[a:b]) + text[b:]


_SLIPS = (_wrong_tone, _drop, _swap, _double, _lose_vowel_mark, _raw_telex)
# Cumulative weights of the slips above: 0.30, 0.20, 0.15, 0.12, 0.18 and 0.05.
_SLIP_CUMULATIVE = (0.3, 0.5, 0.65, 0.77, 0.95)
