"""Standard populations for direct age standardisation.

Shipped standards (weights per 100,000; see data/SOURCES.toml):

==================== ====== =====================================================
name                 groups standard
==================== ====== =====================================================
world-segi           18     Segi 1960 world, as modified by Doll et al. 1966
world-who-2000       18     WHO world 2000-2025, 85+ collapsed (sums to 100,035)
world-who-2000-21    21     WHO world 2000-2025, to 100+
europe-2013          19     Revised European Standard Population 2013, to 90+
europe-1976          19     European Standard Population 1976 (0 and 1-4 apart)
==================== ====== =====================================================

:func:`weights_for` maps a standard onto the age groups of the data (e.g. merges
europe-1976's 0 and 1-4 into 0-4, or WHO's 85-89 ... 100+ into 85+), refusing groupings
that would split a standard group.
"""

from __future__ import annotations

from dataclasses import dataclass

from oncoreg.codes._tables import read_rows, register_cache
from oncoreg.errors import InputError, UnknownCode

OPEN_END = 200


@dataclass(frozen=True)
class AgeGroup:
    """An age band in completed years; ``end`` None means open-ended (``85+``)."""

    start: int
    end: int | None

    @property
    def label(self) -> str:
        if self.end is None:
            return f"{self.start}+"
        return str(self.start) if self.start == self.end else f"{self.start}-{self.end}"

    @property
    def upper(self) -> int:
        return OPEN_END if self.end is None else self.end

    def contains(self, other: AgeGroup) -> bool:
        return self.start <= other.start and other.upper <= self.upper


@dataclass(frozen=True)
class StandardPopulation:
    name: str
    groups: tuple[AgeGroup, ...]
    weights: tuple[float, ...]

    @property
    def total(self) -> float:
        return sum(self.weights)


def parse_age_group(label: str) -> AgeGroup:
    """Parse ``0-4``, ``85+``, ``0`` or ``85-89`` into an :class:`AgeGroup`."""
    text = str(label).strip().replace("–", "-")
    try:
        if text.endswith("+"):
            return AgeGroup(int(text[:-1]), None)
        if "-" in text:
            lo, hi = text.split("-", 1)
            group = AgeGroup(int(lo), int(hi))
        else:
            group = AgeGroup(int(text), int(text))
    except ValueError:
        raise InputError(
            f"{label!r} is not an age group", hint="write 0-4, 5-9, ..., 85+"
        ) from None
    if group.end is not None and group.end < group.start:
        raise InputError(f"age group {label!r} ends before it starts")
    return group


@register_cache
def standard_populations() -> dict[str, StandardPopulation]:
    """Every shipped standard population by name."""
    rows, _ = read_rows("standard_populations.tsv", ("standard", "age_start", "age_end", "weight"))
    grouped: dict[str, list[tuple[AgeGroup, float]]] = {}
    for row in rows:
        end = int(row["age_end"]) if row["age_end"] else None
        grouped.setdefault(row["standard"], []).append(
            (AgeGroup(int(row["age_start"]), end), float(row["weight"]))
        )
    return {
        name: StandardPopulation(name, tuple(g for g, _ in items), tuple(w for _, w in items))
        for name, items in grouped.items()
    }


def standard_population(name: str) -> StandardPopulation:
    """A standard by name (``world-segi``, ``world-who-2000``, ``europe-2013``, ...)."""
    table = standard_populations()
    if name not in table:
        raise UnknownCode("standard population", name, sorted(table))
    return table[name]


def weights_for(name: str, groups: list[str] | tuple[str, ...]) -> dict[str, float]:
    """The standard's weights summed into the data's age groups.

    Args:
        name: a standard population name.
        groups: the data's age-group labels, covering ages 0 to the open end.

    Returns:
        label -> weight per 100,000 (the standard's own total is kept).

    Raises:
        InputError: a standard group would be split between two of ``groups``, or is
            not covered by any of them.
    """
    std = standard_population(name)
    targets = [(label, parse_age_group(label)) for label in groups]
    out = {label: 0.0 for label, _ in targets}
    for group, weight in zip(std.groups, std.weights, strict=True):
        home = [label for label, target in targets if target.contains(group)]
        if len(home) != 1:
            raise InputError(
                f"standard {name}: its age group {group.label} does not fall within exactly one "
                f"of the groups {', '.join(groups)}",
                hint="use 5-year groups 0-4 ... 85+ or the standard's own groups",
            )
        out[home[0]] += weight
    return out
