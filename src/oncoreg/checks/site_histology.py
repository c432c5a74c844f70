"""IARC site/histology check: morphological families and the sites they may (not) occur at.

Ferlay et al., *Check and conversion programs for cancer registries* (IARC Technical
Report 42, 2005), group ICD-O-3 histologies into morphological families by their site
profile:

* group 1, non-specific profile: the histology may occur at any site (not listed here);
* group 2, specific profile (``+``): the family may occur only at its listed sites;
* group 3, inverse profile (``-``): the family must not occur at its listed sites.

``data/morphology_families.tsv`` gives each family's histologies and
``data/family_sites.tsv`` its sites, both written by hand from the published rules (see
``data/SOURCES.md``). Rule ``CONS-SITE-HISTOLOGY`` warns where a report's histology
belongs to a family whose profile rejects the report's topography.

The module also holds the small parsers of code lists used by the check tables of this
package: histology lists (``8010-8041,8082``) and topography lists (``C07-C08,C76.2``).
Tables are read on first use and cached.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

import polars as pl

from oncoreg.checks.engine import Severity, rule

RULE_ID = "CONS-SITE-HISTOLOGY"
_SITE_TOKEN = re.compile(r"C(\d{2})(?:\.(\d))?(?:-C(\d{2})(?:\.(\d))?)?")
_HIST_TOKEN = re.compile(r"(\d{4})(?:-(\d{4}))?")


def read_table(name: str) -> tuple[dict[str, str], ...]:
    """The rows of a tab-separated table in ``oncoreg/checks/data`` as dicts of stripped text.

    Args:
        name: the file name, e.g. ``family_sites.tsv``.
    """
    ref = resources.files("oncoreg.checks").joinpath("data").joinpath(name)
    reader = csv.DictReader(io.StringIO(ref.read_text(encoding="utf-8")), delimiter="\t")
    return tuple({k: (v or "").strip() for k, v in row.items()} for row in reader)


def histology_codes(spec: str) -> frozenset[int]:
    """The histologies of a list such as ``8010-8041,8082`` (ranges inclusive).

    Raises:
        ValueError: a token is not ``NNNN`` or ``NNNN-NNNN`` with the bounds in order.
    """
    codes: set[int] = set()
    for token in filter(None, (t.strip() for t in spec.split(","))):
        codes.update(_expand_histology(token))
    return frozenset(codes)


def _expand_histology(token: str) -> range:
    match = _HIST_TOKEN.fullmatch(token)
    if not match:
        raise ValueError(f"bad histology range {token!r}")
    low = int(match.group(1))
    high = int(match.group(2) or low)
    if high < low:
        raise ValueError(f"bad histology range {token!r}: bounds out of order")
    return range(low, high + 1)


def site_codes(spec: str) -> frozenset[str]:
    """The subsites, written ``C509`` as the derived column ``site4``, of a topography list.

    A token is a category ``C76``, a range of categories ``C40-C41``, a subsite ``C38.4`` or
    a range of subsites of one category ``C76.2-C76.3``. Categories expand to the ten
    possible subsites; those not in ICD-O-3 never match a valid topography.

    Raises:
        ValueError: a token has none of these forms.
    """
    sites: set[str] = set()
    for token in filter(None, (t.strip() for t in spec.split(","))):
        sites.update(_expand_site(token))
    return frozenset(sites)


def _expand_site(token: str) -> list[str]:
    match = _SITE_TOKEN.fullmatch(token)
    cat1, sub1, cat2, sub2 = match.groups() if match else (None,) * 4
    sites: list[str] = []
    if cat1 is not None and sub1 is None and sub2 is None:
        last = int(cat2 or cat1)
        sites = [f"C{c:02d}{d}" for c in range(int(cat1), last + 1) for d in range(10)]
    elif sub1 is not None and (cat2 is None or (cat2 == cat1 and sub2 is not None)):
        sites = [f"C{cat1}{d}" for d in range(int(sub1), int(sub2 or sub1) + 1)]
    if not sites:
        raise ValueError(f"bad topography range {token!r}")
    return sites


@dataclass(frozen=True)
class Family:
    """An IARC morphological family with a site profile.

    Attributes:
        number: the family number (1-63 specific profile, 64-70 inverse profile).
        profile: ``+`` the family may occur only at ``sites``; ``-`` never at ``sites``.
        name_en: the family's name in English.
        name_vi: the family's name in Vietnamese.
        histologies: the four-digit histologies of the family.
        sites: subsites written ``C509`` (see :func:`site_codes`).
    """

    number: int
    profile: str
    name_en: str
    name_vi: str
    histologies: frozenset[int]
    sites: frozenset[str]

    def allows(self, site4: str) -> bool:
        """Whether the family's profile accepts the subsite ``site4`` (``C509``)."""
        return (site4 in self.sites) == (self.profile == "+")


@cache
def families() -> dict[int, Family]:
    """Every family by number, from the two family tables.

    Raises:
        ValueError: a histology is in two families, or a family lacks its sites.
    """
    sites = {int(r["family"]): site_codes(r["sites"]) for r in read_table("family_sites.tsv")}
    table: dict[int, Family] = {}
    for row in read_table("morphology_families.tsv"):
        number = int(row["family"])
        if row["profile"] not in ("+", "-") or number not in sites:
            raise ValueError(f"family {number}: bad profile or no sites")
        hist = histology_codes(row["histology"])
        table[number] = Family(
            number, row["profile"], row["name_en"], row["name_vi"], hist, sites[number]
        )
    _check_disjoint(table)
    return table


def _check_disjoint(table: dict[int, Family]) -> None:
    seen: dict[int, int] = {}
    for family in table.values():
        for code in family.histologies:
            if code in seen:
                raise ValueError(
                    f"histology {code} is in families {seen[code]} and {family.number}"
                )
            seen[code] = family.number


@cache
def _family_by_histology() -> dict[int, int]:
    return {code: f.number for f in families().values() for code in f.histologies}


def family_of(histology: int | str) -> Family | None:
    """The family of a histology (``8500`` or ``"8500"``), None for a non-specific one."""
    number = _family_by_histology().get(int(histology))
    return None if number is None else families()[number]


def _site_number(site4: str) -> int:
    return int(site4[1:])


@cache
def _keys(profile: str) -> tuple[int, ...]:
    """``family * 1000 + subsite number`` of the listed sites of the families of a profile."""
    return tuple(
        sorted(
            f.number * 1000 + _site_number(s)
            for f in families().values()
            if f.profile == profile
            for s in f.sites
        )
    )


@cache
def _families_of(profile: str) -> tuple[int, ...]:
    return tuple(sorted(n for n, f in families().items() if f.profile == profile))


def site_histology_violation() -> pl.Expr:
    """True where the histology's family rejects the subsite; null when either is invalid."""
    mapping = _family_by_histology()
    family = pl.col("histology").replace_strict(
        list(mapping), list(mapping.values()), default=None, return_dtype=pl.Int32
    )
    key = family * 1000 + pl.col("site4").str.slice(1).cast(pl.Int32)
    outside = family.is_in(_families_of("+")) & ~key.is_in(_keys("+"))
    forbidden = family.is_in(_families_of("-")) & key.is_in(_keys("-"))
    return outside | forbidden


@rule(
    RULE_ID,
    Severity.WARNING,
    ("topography", "morphology"),
    en=(
        "The histology is unlikely at this site (IARC morphological family and site rule): "
        "confirm the topography and the morphology"
    ),
    vi=(
        "Mô bệnh học này hiếm gặp ở vị trí này (quy tắc nhóm hình thái học và vị trí của IARC): "
        "cần xác nhận mã vị trí và mã hình thái học"
    ),
    family="site_histology",
)
def site_histology() -> pl.Expr:
    """IARC site/histology check over the morphological families."""
    return site_histology_violation()
