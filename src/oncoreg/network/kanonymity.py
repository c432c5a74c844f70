"""k-anonymity of a research extract: generalise the quasi-identifiers, then suppress.

A frame is k-anonymous on its quasi-identifiers when every combination of their values
that it holds is shared by at least k records (Sweeney, "k-anonymity: a model for
protecting privacy", Int J Uncertain Fuzz 2002;10(5):557-570). :func:`anonymise` reaches
it as Sweeney's Datafly algorithm does: while the records in classes smaller than k are
more than the share that may be suppressed, the quasi-identifier with the most distinct
values is generalised one level up its hierarchy; then the records still in small classes
are suppressed (dropped). A last pass steps back down any generalisation that a later
one made needless. When even the top of every hierarchy leaves too many records in
small classes, the extract is refused (:class:`KAnonymityRefused`) with the figures.

Hierarchies (each level computed from the released value of the level below):

- ``age_group``: 5-year groups -> 10-year -> 20-year -> ``all``;
- ``diagnosis_month`` -> diagnosis year -> 5-year period (``2020-2024``);
  ``diagnosis_year`` and ``death_year`` -> 5-year period;
- ``province`` -> region -> country (``VN``); ``region`` -> country;
- ``topography`` -> site category (``C50``) -> site group; ``icd10`` -> category -> site
  group; ``site_category`` -> site group;
- ``sex`` is never generalised: records in small classes are suppressed instead.

Nulls (unknown values) form a class of their own and stay null when generalised.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import polars as pl

from oncoreg.errors import InputError
from oncoreg.network.deidentify import province_regions, site_group_of

Step = Callable[[str], str]
# a level: its name, the step from the level below, and the column of ``derived`` that
# holds the level's value when it depends on more than the value below (a tumour's site
# group follows its ICD-10 code, which the morphology decides for lymphomas)
Level = tuple[str, Step | None, str | None]


class KAnonymityRefused(InputError):
    """An extract that cannot be k-anonymous without suppressing more than allowed."""

    code = "k_anonymity_refused"


@dataclass(frozen=True)
class Result:
    """What :func:`anonymise` released.

    Attributes:
        frame: the released records (generalised; small classes dropped).
        suppressed_rows: how many records were dropped.
        levels_applied: per quasi-identifier, the level it was released at
            (e.g. ``{"age_group": "10-year", "province": "region"}``).
        smallest_class: the size of the smallest class released (None when empty).
    """

    frame: pl.DataFrame
    suppressed_rows: int
    levels_applied: dict[str, str] = field(default_factory=dict)
    smallest_class: int | None = None


def _age_band(width: int) -> Step:
    """5-year groups (``40-44``, ``85+``) to ``width``-year bands; 80+ stays open."""

    def step(value: str) -> str:
        start = int(value.rstrip("+").split("-")[0])
        low = start // width * width
        if low + width > 80 and width < 80:
            return "80+"
        return f"{low}-{low + width - 1}"

    return step


def _period(value: str) -> str:
    year = int(value[:4])
    low = year // 5 * 5
    return f"{low}-{low + 4}"


def _region(value: str) -> str:
    return province_regions().get(value, "unknown")


def _site_group(category: str) -> str:
    return site_group_of(category) or "other"


def _category(value: str) -> str:
    return value[:3]


def _country(_: str) -> str:
    return "VN"


def _everyone(_: str) -> str:
    return "all"


def _year(value: str) -> str:
    return value[:4]


# name -> levels; the first level is the variable as built
HIERARCHIES: dict[str, list[Level]] = {
    "age_group": [
        ("5-year", None, None),
        ("10-year", _age_band(10), None),
        ("20-year", _age_band(20), None),
        ("all", _everyone, None),
    ],
    "diagnosis_month": [
        ("month", None, None),
        ("year", _year, None),
        ("5-year period", _period, None),
    ],
    "diagnosis_year": [("year", None, None), ("5-year period", _period, None)],
    "death_year": [("year", None, None), ("5-year period", _period, None)],
    "province": [
        ("province", None, None),
        ("region", _region, None),
        ("country", _country, None),
    ],
    "region": [("region", None, None), ("country", _country, None)],
    "topography": [
        ("subsite", None, None),
        ("site category", _category, None),
        ("site group", _site_group, "site_group"),
    ],
    "icd10": [
        ("code", None, None),
        ("category", _category, None),
        ("site group", _site_group, "site_group"),
    ],
    "site_category": [("site category", None, None), ("site group", _site_group, "site_group")],
    "site_group": [("site group", None, None)],
    "sex": [("sex", None, None)],
}


def levels(name: str) -> list[str]:
    """The generalisation levels of a quasi-identifier, from the level it is built at."""
    return [level for level, _, _ in HIERARCHIES.get(name, [(name, None, None)])]


def anonymise(
    frame: pl.DataFrame,
    quasi_identifiers: Sequence[str],
    k: int = 5,
    max_suppressed: float = 0.05,
    derived: pl.DataFrame | None = None,
) -> Result:
    """Generalise and suppress until every class of quasi-identifiers has >= k records.

    Args:
        frame: the de-identified records, one column per variable.
        quasi_identifiers: the columns that could re-identify someone in combination.
        k: the smallest class size allowed (at least 1).
        max_suppressed: the largest share of records that may be dropped (0 to 1).
        derived: optional, row by row with ``frame``: the values of levels that depend on
            more than the value below (column ``site_group``); else looked up by value.

    Returns:
        The released frame and what was done to it.

    Raises:
        KAnonymityRefused: even fully generalised, more than ``max_suppressed`` of the
            records are in classes smaller than ``k``.
        InputError: a quasi-identifier is not a column, or k / max_suppressed are invalid.
    """
    _check(frame, quasi_identifiers, k, max_suppressed)
    names = list(dict.fromkeys(quasi_identifiers))
    current = frame.with_columns(pl.col(n).cast(pl.String) for n in names)
    helpers = _helpers(frame, derived)
    at = dict.fromkeys(names, 0)
    while _small_share(current, names, k) > max_suppressed:
        name = _widest(current, names, at)
        if name is None:
            raise _refusal(current, names, k, max_suppressed)
        at[name] += 1
        current = current.with_columns(_generalised(current[name], name, at[name], helpers))
    current = _undo_needless(frame, current, names, at, helpers, (k, max_suppressed))
    released, suppressed = _suppress(current, names, k)
    applied = {n: levels(n)[at[n]] for n in names}
    return Result(released, suppressed, applied, _smallest(released, names))


def _undo_needless(
    original: pl.DataFrame,
    current: pl.DataFrame,
    names: list[str],
    at: dict[str, int],
    helpers: dict[str, pl.Series],
    limits: tuple[int, float],
) -> pl.DataFrame:
    """Step each quasi-identifier back down while the share still holds (Datafly's greedy
    climb can overshoot: a later step may make an earlier one needless)."""
    k, max_suppressed = limits
    lowered = True
    while lowered:
        lowered = False
        for name in sorted(names, key=lambda n: (-at[n], n)):
            if at[name] == 0:
                continue
            column = _at_level(original[name].cast(pl.String), name, at[name] - 1, helpers)
            trial = current.with_columns(column)
            if _small_share(trial, names, k) <= max_suppressed:
                current, at[name], lowered = trial, at[name] - 1, True
    return current


def _at_level(column: pl.Series, name: str, level: int, helpers: dict[str, pl.Series]) -> pl.Series:
    for step in range(1, level + 1):
        column = _generalised(column, name, step, helpers)
    return column


def _check(frame: pl.DataFrame, names: Sequence[str], k: int, max_suppressed: float) -> None:
    missing = [n for n in names if n not in frame.columns]
    if missing:
        raise InputError(f"quasi-identifier {missing[0]!r} is not a column of the extract")
    if k < 1:
        raise InputError(f"k must be at least 1, not {k}")
    if not 0 <= max_suppressed <= 1:
        raise InputError(f"the share that may be suppressed must be 0 to 1, not {max_suppressed}")


def _class_sizes(frame: pl.DataFrame, names: list[str]) -> pl.Series:
    """The size of each record's class (all records form one class without QIs)."""
    if not names:
        return pl.Series("size", [frame.height] * frame.height, dtype=pl.UInt32)
    return frame.select(pl.len().over(names).alias("size"))["size"]


def _small_share(frame: pl.DataFrame, names: list[str], k: int) -> float:
    if frame.is_empty():
        return 0.0
    return int((_class_sizes(frame, names) < k).sum()) / frame.height


def _widest(frame: pl.DataFrame, names: list[str], at: dict[str, int]) -> str | None:
    """The quasi-identifier with the most distinct values that can still be generalised
    (Datafly's choice); ties go to the first in name order."""
    open_ = [n for n in sorted(names) if at[n] + 1 < len(HIERARCHIES.get(n, [None]))]
    if not open_:
        return None
    return max(open_, key=lambda n: frame[n].n_unique())


def _helpers(frame: pl.DataFrame, derived: pl.DataFrame | None) -> dict[str, pl.Series]:
    if derived is None:
        return {}
    if derived.height != frame.height:
        raise InputError("the derived columns must have one row per record of the extract")
    return {c: derived[c].cast(pl.String) for c in derived.columns}


def _generalised(
    column: pl.Series, name: str, level: int, helpers: dict[str, pl.Series]
) -> pl.Series:
    _, step, source = HIERARCHIES[name][level]
    if source in helpers:
        values = pl.DataFrame({"value": column, "derived": helpers[source]})
        known = pl.col("derived").fill_null("other")
        out = pl.when(pl.col("value").is_null()).then(None).otherwise(known)
        return values.select(out.alias(column.name))[column.name]
    assert step is not None
    values = column.drop_nulls().unique().to_list()
    mapping = {v: step(v) for v in values}
    return column.replace_strict(mapping, default=None, return_dtype=pl.String)


def _suppress(frame: pl.DataFrame, names: list[str], k: int) -> tuple[pl.DataFrame, int]:
    keep = _class_sizes(frame, names) >= k
    released = frame.filter(keep)
    return released, frame.height - released.height


def _smallest(frame: pl.DataFrame, names: list[str]) -> int | None:
    if frame.is_empty():
        return None
    return int(_class_sizes(frame, names).min())


def _refusal(frame: pl.DataFrame, names: list[str], k: int, limit: float) -> KAnonymityRefused:
    share = _small_share(frame, names, k)
    return KAnonymityRefused(
        f"k={k} needs {_percent(share)} of the {frame.height} records removed; "
        f"the limit is {_percent(limit)}",
        hint="ask for fewer quasi-identifiers (e.g. region instead of province), more "
        "years or sites, or a smaller k",
    )


def _percent(share: float) -> str:
    """A share in percent with one decimal, rounded up (so 5.04% never reads as 5%)."""
    return f"{math.ceil(round(share * 1000, 6)) / 10:g}%"
