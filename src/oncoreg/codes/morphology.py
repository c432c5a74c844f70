"""ICD-O-3.2 morphology (histology/behaviour), grade and behaviour codes.

A morphology code is written ``NNNN/B``: four digits of histology and one of behaviour.
Spellings accepted: ``8500/3``, ``85003``, ``8500 3``, ``M-8500/3``, ``M8500/3``, and
``850033`` (six digits: the sixth is the grade, which is dropped here; see
:func:`split_morphology`). By the ICD-O matrix principle (rule F) any histology may take
any behaviour: a combination not listed in ICD-O-3.2 is still a valid code, reported with
``listed=False`` so that the checks can ask a registrar to confirm it.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from oncoreg.codes._tables import (
    CodedValue,
    TableSource,
    coded_table,
    lookup_coded,
    read_rows,
    register_cache,
)
from oncoreg.errors import InputError, UnknownCode

BEHAVIOURS = ("0", "1", "2", "3", "6", "9")
_MORPH_RE = re.compile(r"^M?-?(\d{4})\s*[/\s]?\s*(\d)?(\d)?$")
MORPHOLOGY_COLUMNS = ("code", "term_en", "site_hint", "obsolete", "edition")
ACCEPTED_FORMS = "8500/3, 85003, 8500 3, M-8500/3 (four digits of histology, one of behaviour)"


@dataclass(frozen=True)
class Morphology:
    """One ICD-O-3.2 morphology code with its preferred term.

    Attributes:
        code: canonical ``NNNN/B``.
        term_en: the ICD-O-3.2 preferred term (for an unlisted combination, the term of the
            histology with its listed behaviour, and ``listed`` False).
        site_hint: the usual site noted in ICD-O-3.2, e.g. ``C50._`` (blank if none).
        obsolete: marked ``[obs]`` in ICD-O-3.2: not to be used for new cases.
        listed: the exact histology/behaviour pair is listed in the table.
        edition: the newest ICD-O edition that lists the code: ``3.2`` for current codes,
            ``3.0`` or ``3.1`` for codes of older data that ICD-O-3.2 no longer lists
            (always obsolete).
    """

    code: str
    term_en: str
    site_hint: str
    obsolete: bool
    listed: bool = True
    edition: str = "3.2"

    @property
    def retired(self) -> bool:
        """Listed only in an older edition (ICD-O-3 or 3.1), not in ICD-O-3.2."""
        return self.edition != "3.2"

    @property
    def histology(self) -> str:
        return self.code[:4]

    @property
    def behaviour(self) -> str:
        return self.code[5]

    @property
    def is_malignant(self) -> bool:
        return self.behaviour in ("3", "6", "9")


def split_morphology(value: str, behaviour: str | int | None = None) -> tuple[str, str, str | None]:
    """Split a morphology spelling into (histology, behaviour, grade or None).

    Args:
        value: the code as written, e.g. ``8500/3``, ``85003``, ``M-8500/3`` or ``8500``.
        behaviour: the behaviour when it is given in a separate field.

    Raises:
        InputError: the value is not a morphology code in any accepted spelling.
    """
    text = str(value).strip().upper().replace(" ", "") if value is not None else ""
    match = _MORPH_RE.match(text.replace("/", "/"))
    if not match:
        raise InputError(
            f"{value!r} is not a morphology code", hint=f"write it as {ACCEPTED_FORMS}"
        )
    histology, beh, grade = match.groups()
    if behaviour is not None and str(behaviour).strip() != "":
        given = str(behaviour).strip()
        if beh is not None and beh != given:
            raise InputError(
                f"morphology {value!r} has behaviour {beh} but {given} was given separately"
            )
        beh = given
    if beh is None:
        raise InputError(f"{value!r} has no behaviour code", hint=f"write it as {ACCEPTED_FORMS}")
    if beh not in BEHAVIOURS:
        raise InputError(f"{beh!r} is not an ICD-O-3 behaviour code", hint="use 0, 1, 2, 3, 6 or 9")
    return histology, beh, grade


def normalise_morphology(value: str, behaviour: str | int | None = None) -> str:
    """Return the canonical ``NNNN/B`` of a morphology code whose histology is known.

    Raises:
        InputError: malformed input.
        UnknownCode: the histology is not in ICD-O-3.2 (with the nearest codes).
    """
    histology, beh, _grade = split_morphology(value, behaviour)
    code = f"{histology}/{beh}"
    if histology not in histologies():
        raise UnknownCode("morphology", code, suggest_morphology(code))
    return code


def morphology(value: str, behaviour: str | int | None = None) -> Morphology:
    """Look up a morphology code (O(1)); unlisted behaviours follow the matrix principle."""
    code = normalise_morphology(value, behaviour)
    table = morphology_table()
    if code in table:
        return table[code]
    listed = [c for c in histologies()[code[:4]] if not table[c].retired] or list(
        histologies()[code[:4]]
    )
    order = "3210" if code[5] in "2369" else "0132"
    base = table[min(listed, key=lambda c: order.index(c[5]) if c[5] in order else 9)]
    return Morphology(code, base.term_en, base.site_hint, base.obsolete, False, base.edition)


def is_valid_morphology(value: str, behaviour: str | int | None = None) -> bool:
    try:
        normalise_morphology(value, behaviour)
    except InputError:
        return False
    return True


def suggest_morphology(code: str, limit: int = 5) -> list[str]:
    """The listed codes nearest to ``code``: same histology first, then by number."""
    table = morphology_table()
    same = [c for c in histologies().get(code[:4], ()) if c != code]
    keys = _sorted_codes()
    pos = bisect.bisect_left(keys, code)
    near = sorted(keys[max(0, pos - limit) : pos + limit], key=lambda c: _distance(c, code))
    out = list(dict.fromkeys(same + [c for c in near if c != code]))
    return [c for c in out if c in table][:limit]


def _distance(a: str, b: str) -> tuple[int, int]:
    return abs(int(a[:4]) - int(b[:4])), abs(int(a[5]) - int(b[5]))


@register_cache
def morphology_table() -> dict[str, Morphology]:
    """Every listed ICD-O-3.2 morphology code -> :class:`Morphology`."""
    rows, _ = read_rows("morphology.tsv", MORPHOLOGY_COLUMNS)
    return {
        row["code"]: Morphology(
            row["code"],
            row["term_en"],
            row["site_hint"],
            row["obsolete"] == "1",
            edition=row["edition"] or "3.2",
        )
        for row in rows
    }


@register_cache
def histologies() -> dict[str, tuple[str, ...]]:
    """The morphology codes of each 4-digit histology (``8140`` -> ``8140/2``, ``8140/3``)."""
    out: dict[str, list[str]] = {}
    for code in morphology_table():
        out.setdefault(code[:4], []).append(code)
    return {h: tuple(codes) for h, codes in out.items()}


@register_cache
def _sorted_codes() -> list[str]:
    return sorted(morphology_table())


def morphology_source() -> TableSource:
    return read_rows("morphology.tsv", MORPHOLOGY_COLUMNS)[1]


@register_cache
def grade_table() -> dict[str, CodedValue]:
    """ICD-O-3 grade / differentiation / cell lineage (sixth digit), 1-9."""
    return coded_table("grade.tsv")


@register_cache
def behaviour_table() -> dict[str, CodedValue]:
    """ICD-O-3 behaviour (fifth digit): 0, 1, 2, 3, 6, 9."""
    return coded_table("behaviour.tsv")


def grade(value: str | int) -> CodedValue:
    return lookup_coded(grade_table(), "grade", value)


def behaviour(value: str | int) -> CodedValue:
    return lookup_coded(behaviour_table(), "behaviour", value)
