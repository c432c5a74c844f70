"""IARC age/site/histology check: tumours unlikely at the age of the patient.

The IARC/IACR check program (Ferlay et al., IARC Technical Report 42, 2005) lists
combinations of age, site and histology that are rare enough to be confirmed by a
registrar: tumours of childhood at adult ages (hepatoblastoma, retinoblastoma, Wilms
tumour, ...), carcinomas in young children (ICCC-3 groups) and adult cancers in young
people (prostate, colon, breast, ...). ``data/age_site_histology.tsv`` holds those rules
as written by hand for this package (see ``data/SOURCES.md``): one or more rows per rule,
each an age range (in completed years, inclusive) with a topography list and a
histology list; an empty list means any site or any histology. A rule fires when any of
its rows matches.

Each IARC rule is registered as its own warning ``AGE-SITE-HIST-NN`` so that the
registrar sees which rule fired. Registering them reads the table (once, cached); the
engine imports this module only when the rules are first needed. Reports with no age,
or an age outside 0-120 (left to the validity checks), never warn.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import polars as pl

from oncoreg.checks.engine import Severity, rule
from oncoreg.checks.site_histology import histology_codes, read_table, site_codes

TABLE = "age_site_histology.tsv"
ID_PREFIX = "AGE-SITE-HIST-"
MAX_AGE = 120


@dataclass(frozen=True)
class Condition:
    """One row of a rule: ages ``age_min``-``age_max`` with the sites and histologies.

    Attributes:
        age_min: the lowest age (completed years) the row applies to.
        age_max: the highest age, None for no upper bound (up to :data:`MAX_AGE`).
        sites: subsites written ``C509``; empty for any site.
        histologies: four-digit histologies; empty for any histology.
    """

    age_min: int
    age_max: int | None
    sites: frozenset[str]
    histologies: frozenset[int]

    @property
    def age_limit(self) -> int:
        """The highest age the row applies to, at most :data:`MAX_AGE`."""
        return MAX_AGE if self.age_max is None else min(self.age_max, MAX_AGE)

    def matches(self, age: int, site4: str | None, histology: int | None) -> bool:
        """Whether one report (age, ``C509``-style subsite, histology) meets the row."""
        if not self.age_min <= age <= self.age_limit:
            return False
        site_ok = not self.sites or site4 in self.sites
        return site_ok and (not self.histologies or histology in self.histologies)


@dataclass(frozen=True)
class AgeRule:
    """One IARC age/site/histology rule: its number, rows, severity and message."""

    number: int
    conditions: tuple[Condition, ...]
    severity: Severity
    source: str
    description_en: str
    description_vi: str

    @property
    def id(self) -> str:
        """The engine rule id, ``AGE-SITE-HIST-06`` for rule 6."""
        return f"{ID_PREFIX}{self.number:02d}"

    @property
    def fields(self) -> tuple[str, ...]:
        """The report fields the rule reads (the registrar checks these)."""
        fields = ["age_at_diagnosis"]
        if any(c.sites for c in self.conditions):
            fields.append("topography")
        if any(c.histologies for c in self.conditions):
            fields.append("morphology")
        return tuple(fields)

    def matches(self, age: int, site4: str | None, histology: int | None) -> bool:
        """Whether one report meets any row of the rule (a reference for tests)."""
        return any(c.matches(age, site4, histology) for c in self.conditions)


def _condition(row: dict[str, str]) -> Condition:
    age_max = int(row["age_max"]) if row["age_max"] else None
    return Condition(
        int(row["age_min"]),
        age_max,
        site_codes(row["topography"]),
        histology_codes(row["morphology"]),
    )


@cache
def age_rules() -> tuple[AgeRule, ...]:
    """The rules of ``data/age_site_histology.tsv``, in the order of their numbers.

    Raises:
        ValueError: the rows of one rule disagree on severity or message.
    """
    grouped: dict[int, list[dict[str, str]]] = {}
    for row in read_table(TABLE):
        grouped.setdefault(int(row["rule"]), []).append(row)
    return tuple(_age_rule(number, rows) for number, rows in sorted(grouped.items()))


def _age_rule(number: int, rows: list[dict[str, str]]) -> AgeRule:
    first = rows[0]
    keys = ("severity", "source", "description_en", "description_vi")
    if any(row[k] != first[k] for row in rows for k in keys):
        raise ValueError(f"age/site/histology rule {number}: rows disagree on {keys}")
    return AgeRule(
        number,
        tuple(_condition(row) for row in rows),
        Severity(first["severity"]),
        first["source"],
        first["description_en"],
        first["description_vi"],
    )


def condition_expression(condition: Condition) -> pl.Expr:
    """True where a report meets one row (null where the age or a needed code is unknown)."""
    expr = pl.col("age").is_between(condition.age_min, condition.age_limit)
    if condition.sites:
        expr = expr & pl.col("site4").is_in(sorted(condition.sites))
    if condition.histologies:
        expr = expr & pl.col("histology").is_in(sorted(condition.histologies))
    return expr


def rule_expression(age_rule: AgeRule) -> pl.Expr:
    """True where a report meets any row of the rule; nulls count as not met."""
    parts = [condition_expression(c).fill_null(False) for c in age_rule.conditions]
    return pl.any_horizontal(parts)


def _check_of(number: int) -> Callable[[], pl.Expr]:
    def check() -> pl.Expr:
        by_number = {r.number: r for r in age_rules()}
        return rule_expression(by_number[number])

    return check


def _register() -> None:
    for age_rule in age_rules():
        rule(
            age_rule.id,
            age_rule.severity,
            age_rule.fields,
            en=age_rule.description_en,
            vi=age_rule.description_vi,
            family="age_site_histology",
        )(_check_of(age_rule.number))


_register()
