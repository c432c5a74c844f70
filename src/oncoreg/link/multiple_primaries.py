"""Tumour consolidation: the IARC/IACR 2004 rules for multiple primary cancers.

:func:`consolidate` groups the reports (``sources``) of linked persons into tumours and
chooses each tumour's best values, recording which report gave each value.

**Rules** (IARC/IACR/ENCR, *International rules for multiple primary cancers (ICD-O third
edition)*, IARC Internal Report No. 2004/02, Lyon 2004):

1. Time does not matter (rule 1): there is no time window.
2. One tumour per organ, pair of organs or tissue (rule 3): the site is the 3-character
   ICD-O-3 topography or its group in Table 1 (``data/mp_site_groups.tsv``: C01-C02; C00,
   C03-C06; C09-C10, C12-C14; C19-C20; C23-C24; C33-C34; C40-C41; C65-C68).
3. Histologies in different groups of Table 2 (``data/mp_histology_groups.tsv``) are
   different tumours, even in one site (rule 4.2); an unspecified group is not "different"
   from the groups it covers: 5 (carcinoma NOS) from 1-4, 14 (unspecified haematopoietic)
   from 8-13, 17 (unspecified types of cancer, 8000-8005) from every group.
4. Systemic cancers are counted once per person whatever their sites (rule 4.1): Kaposi
   sarcoma (group 15) and the haematopoietic groups 8-14. Mesothelioma (group 7) is not
   named by rule 4.1 and stays site-bound (CanReg5 treats it as systemic).

**Readings where the rules are silent** (each has a test in ``tests/link``):

* *Unknown site.* A report at C80 (unknown primary) or C76 (ill-defined sites), with no or
  an unreadable topography, or with behaviour 6 or 9 (its coded site may be a metastasis)
  adds no primary: it joins a tumour of the person with a compatible histology. Several
  candidates are settled, for every report, by: a systemic tumour for a systemic report
  (counted once), then the report's own coded site, then the closest diagnosis date among
  the tumour's reports, then the same histology group, then the first founded tumour (e.g.
  a carcinoma NOS of a lung that has an adenocarcinoma and a squamous cell carcinoma; a
  lymphoma of unknown site when the person has a lymphoma and an 8000/3 of the stomach).
  Unknown-site reports without a candidate make tumours among themselves by histology.
* *Order.* A person's reports are taken most specific first (known site; specific, NOS,
  unspecified histology; /3, /2, /1, /0; earliest date; lowest source_id); each joins its
  preferred compatible tumour or founds one, and a tumour's group narrows when a more
  specific report joins. The sort is total: the result does not depend on row order.
* *Behaviour.* /2 and /3 (and /6, /9, read as /3) merge into a /3 tumour; /0 and /1 merge
  only with each other, by the same rules: a /0 and a /3 are never one tumour. A missing
  morphology counts as 8000/3 for grouping and gives no value. A histology in no group of
  Table 2 is a group of its own; ICD-O-3.1/3.2 additions are placed in
  ``histology_added`` (see ``data/SOURCES.md``).

**Best values** (ties end with the lowest source_id):

* topography: subsite .0-.7, then .8, then .9 or none, then a metastatic report's site,
  then C76, then C80; ties by highest basis, then earliest date.
* morphology: a specific histology, then group 5 or 14, then 8001-8005, then 8000; ties by
  behaviour, basis, date. The behaviour is the tumour's highest (/3 > /2, /1 > /0); when
  another report gave it, provenance names that report as ``behaviour``.
* basis: 7 > 6 > 5 > 8 > 4 > 3 > 2 > 1 > 0 > 9: the IARC order, with 3 (older IACR
  "exploratory surgery/autopsy") between 4 and 2 and 8 (not IARC: "autopsy/histology" in
  CanReg, molecular in ENCR 2022) after 5.
* incidence date: the ENCR 1997 priority list (reprinted as Annex 1 of the ENCR 2022
  "Coding Incidence Date" recommendation), as far as reports can tell the evidence apart:
  the earliest date of the histological or cytological reports (basis 5-7), else of the
  other reports except DCO (admission, outpatient and other dates: basis 1-4, 8, 9 or
  none), else of the death certificate (basis 0). A partial date (stored as the first day
  of its month or year) counts by the end of its period: "2020" yields to "2020-03-15" but
  not to "2021-01-02". The 2022 revision's own changes could not be checked and are not
  claimed. The chosen date keeps its precision.
* grade, laterality, stage: from the report that gave the morphology, else the first
  non-null in the morphology order.
* sequence: 1, 2, ... by incidence date within the person, missing dates last.

Persons whose reports are surely one tumour (see ``_one_tumour``) are found by one
group-by; only the others go through the per-person loop.
"""

from __future__ import annotations

import csv
import io
import re
from collections import namedtuple
from dataclasses import dataclass
from importlib import resources
from itertools import groupby
from operator import attrgetter

import polars as pl

from oncoreg.checks.site_histology import histology_codes
from oncoreg.codes._tables import register_cache
from oncoreg.errors import InputError

__all__ = ["HistologyGroup", "consolidate", "histology_group", "histology_groups", "site_group"]

HISTOLOGY_TABLE = "mp_histology_groups.tsv"
SITE_TABLE = "mp_site_groups.tsv"
NO_GROUP = 0
UNSPECIFIED_CANCER = 17
UNKNOWN_SITE = "C80"
UNKNOWN_CATEGORIES = ("76", "80")
BASIS_ORDER = ("7", "6", "5", "8", "4", "3", "2", "1", "0", "9")
HISTOLOGICAL_BASIS = ("5", "6", "7")
DEATH_CERTIFICATE_ONLY = "0"
REQUIRED = ("source_id", "person_key", "topography", "morphology", "basis", "diagnosis_date")
COPIED = ("grade", "laterality", "stage")
TEXT_COLUMNS = ("diagnosis_date_precision", *COPIED)
PROVENANCE = ("topography", "morphology", "behaviour", "basis", "diagnosis_date", *COPIED)
TUMOUR_SCHEMA = {
    **dict.fromkeys(("tumour_key", "person_key"), pl.Int64),
    **dict.fromkeys(("topography", "morphology", "basis"), pl.String),
    "diagnosis_date": pl.Date,
    **dict.fromkeys(TEXT_COLUMNS, pl.String),
    "sequence": pl.Int64,
    "provenance": pl.String,
    "reports": pl.Int64,
}
_TOPOGRAPHY = r"^C(\d{2})\.?(\d)?$"
_MORPHOLOGY = r"^M?-?(\d{4})\s*[/\s]?\s*(\d)?(\d)?$"
_DAY_OFFSET = 100_000  # day 0 is in 1696; earlier dates are clipped to it
_DAY_MISSING = (1 << 32) - 1
_LAST = (1 << 62) - 1


@dataclass(frozen=True)
class HistologyGroup:
    """A group of Table 2 of the IARC 2004 rules.

    Attributes:
        number: the group number, 1-17.
        name_en: the group's name in English.
        name_vi: the group's name in Vietnamese.
        histologies: the four-digit histologies of the published table.
        added: ICD-O-3.1/3.2 histologies outside the published ranges placed here.
        covers: for an unspecified group, the groups it is not "different" from (group 17
            also covers :data:`NO_GROUP`); empty for a specific group.
        systemic: counted once per person whatever the site (rule 4.1).
    """

    number: int
    name_en: str
    name_vi: str
    histologies: frozenset[int]
    added: frozenset[int]
    covers: frozenset[int]
    systemic: bool


def _read_table(name: str) -> tuple[dict[str, str], ...]:
    ref = resources.files("oncoreg.link").joinpath("data").joinpath(name)
    reader = csv.DictReader(io.StringIO(ref.read_text(encoding="utf-8")), delimiter="\t")
    return tuple({k: (v or "").strip() for k, v in row.items()} for row in reader)


def _covered(spec: str) -> frozenset[int]:
    if spec == "*":
        return frozenset(range(NO_GROUP, UNSPECIFIED_CANCER))
    if not spec:
        return frozenset()
    low, _, high = spec.partition("-")
    return frozenset(range(int(low), int(high or low) + 1))


@register_cache
def histology_groups() -> dict[int, HistologyGroup]:
    """The 17 groups of Table 2, by number, read from ``data/mp_histology_groups.tsv``.

    Raises:
        ValueError: a histology is in two groups.
    """
    table: dict[int, HistologyGroup] = {}
    seen: set[int] = set()
    for row in _read_table(HISTOLOGY_TABLE):
        group = HistologyGroup(
            number=int(row["group"]),
            name_en=row["name_en"],
            name_vi=row["name_vi"],
            histologies=histology_codes(row["histology"]),
            added=histology_codes(row["histology_added"]),
            covers=_covered(row["covers"]),
            systemic=row["systemic"] == "1",
        )
        codes = group.histologies | group.added
        if codes & seen:
            raise ValueError(f"group {group.number}: histologies {sorted(codes & seen)} twice")
        seen |= codes
        table[group.number] = group
    return table


@register_cache
def _group_of_histology() -> dict[int, int]:
    return {h: g.number for g in histology_groups().values() for h in g.histologies | g.added}


@register_cache
def _site_lookup() -> dict[str, str]:
    """3-character category (``C33``) -> its Table 1 group (``C33-C34``)."""
    return {s: row["group"] for row in _read_table(SITE_TABLE) for s in row["sites"].split(",")}


@register_cache
def _systemic_groups() -> frozenset[int]:
    return frozenset(n for n, g in histology_groups().items() if g.systemic)


@register_cache
def _unspecified() -> dict[int, frozenset[int]]:
    """Unspecified group -> the groups it covers (5, 14 and 17)."""
    return {n: g.covers for n, g in histology_groups().items() if g.covers}


def _covers(group: int) -> frozenset[int]:
    return _unspecified().get(group, frozenset())


def site_group(topography: str | None) -> str:
    """The IARC 2004 site of a topography: its Table 1 group or its 3-character category.

    Args:
        topography: an ICD-O-3 topography such as ``C34.1`` or ``C341``.

    Returns:
        ``C33-C34`` for ``C34.1``, ``C18`` for ``C18.7``; ``C80`` when the code is missing
        or unreadable.
    """
    match = re.fullmatch(_TOPOGRAPHY, (topography or "").strip().upper())
    if match is None:
        return UNKNOWN_SITE
    category = f"C{match.group(1)}"
    return _site_lookup().get(category, category)


def histology_group(morphology: str | None) -> int:
    """The Table 2 group (1-17) of a morphology such as ``8140/3``.

    Returns:
        17 (unspecified types of cancer) for a missing or unreadable morphology, which
        counts as 8000/3; :data:`NO_GROUP` (0) for a histology in no group.
    """
    match = re.fullmatch(_MORPHOLOGY, (morphology or "").strip().upper())
    if match is None or not 8000 <= int(match.group(1)) <= 9999:
        return UNSPECIFIED_CANCER
    return _group_of_histology().get(int(match.group(1)), NO_GROUP)


def _validated(sources: pl.DataFrame) -> pl.DataFrame:
    missing = [c for c in REQUIRED if c not in sources.columns]
    if missing:
        raise InputError(
            f"the reports lack column(s) {', '.join(missing)}",
            hint=f"consolidate needs the columns {', '.join(REQUIRED)}",
        )
    absent = [pl.lit(None, pl.String).alias(c) for c in TEXT_COLUMNS if c not in sources.columns]
    frame = sources.with_columns(absent).select(
        pl.col("source_id", "person_key").cast(pl.Int64),
        pl.col("topography", "morphology", "basis", *TEXT_COLUMNS).cast(pl.String),
        pl.col("diagnosis_date").cast(pl.Date),
    )
    if frame["source_id"].null_count() or frame["person_key"].null_count():
        raise InputError("a report has no source_id or no person_key", hint="link persons first")
    if frame["source_id"].n_unique() != frame.height:
        raise InputError("source_id is not unique", hint="give each report its own source_id")
    return frame


def _parsed(frame: pl.DataFrame) -> pl.DataFrame:
    topography = pl.col("topography").str.strip_chars().str.to_uppercase()
    morphology = pl.col("morphology").str.strip_chars().str.to_uppercase()
    site = topography.str.extract_groups(_TOPOGRAPHY).struct.rename_fields(["_cat", "_sub"])
    code = morphology.str.extract_groups(_MORPHOLOGY).struct.rename_fields(["_h", "_raw_beh", "_"])
    hist = pl.col("_h").cast(pl.Int32)
    return (
        frame.with_columns(site.alias("_site_parts"), code.alias("_morph_parts"))
        .unnest("_site_parts", "_morph_parts")
        .with_columns(
            _hist=pl.when(hist.is_between(8000, 9999)).then(hist),
            **{c: _blank_to_null(pl.col(c)) for c in ("basis", *COPIED)},
        )
        .drop("_h", "_")
    )


def _blank_to_null(text: pl.Expr) -> pl.Expr:
    text = text.str.strip_chars()
    return pl.when(text.str.len_chars() > 0).then(text)


def _first_match(cases: list[tuple[pl.Expr, object]], default: object) -> pl.Expr:
    """The value (a literal or an expression) of the first true condition, else ``default``."""
    expr = default if isinstance(default, pl.Expr) else pl.lit(default)
    for condition, value in reversed(cases):
        expr = pl.when(condition).then(value).otherwise(expr)
    return expr


def _coded(frame: pl.DataFrame) -> pl.DataFrame:
    """Group columns: site group, histology group, behaviour class, unknown site."""
    lookup = _group_of_histology()
    hist, cat, raw = pl.col("_hist"), pl.col("_cat"), pl.col("_raw_beh")
    metastatic = hist.is_not_null() & raw.is_in(["6", "9"])
    group = hist.replace_strict(list(lookup), list(lookup.values()), default=NO_GROUP)
    site = pl.concat_str(pl.lit("C"), cat).replace(_site_lookup()).fill_null(UNKNOWN_SITE)
    beh = pl.when(hist.is_not_null() & raw.is_in(["0", "1", "2"])).then(raw).otherwise(pl.lit("3"))
    return frame.with_columns(
        _group=pl.when(hist.is_null()).then(UNSPECIFIED_CANCER).otherwise(group).cast(pl.Int32),
        _beh=beh,
        _class=beh.is_in(["0", "1"]).cast(pl.Int8),
        _metastatic=metastatic,
        _site=site,
        _unknown=cat.is_null() | cat.is_in(UNKNOWN_CATEGORIES) | metastatic,
    )


def _code_ranks() -> dict[str, pl.Expr]:
    cat, sub, group, hist = pl.col("_cat"), pl.col("_sub"), pl.col("_group"), pl.col("_hist")
    level = _first_match([(sub.is_in(list("01234567")), 0), (sub == "8", 1)], 2)
    metastatic = pl.col("_metastatic").cast(pl.Int32) * 3
    nos = group.is_in([5, 14])
    unspecified = group == UNSPECIFIED_CANCER
    basis = pl.col("basis").replace_strict(
        BASIS_ORDER, list(range(len(BASIS_ORDER))), default=len(BASIS_ORDER)
    )
    behaviour = pl.col("_beh").replace_strict(["3", "2", "1", "0"], [0, 1, 2, 3])
    return {
        "_topo_rank": pl.coalesce(
            _first_match([(cat.is_null(), 8), (cat == "80", 7), (cat == "76", 6)], None),
            level + metastatic,
        ),
        "_morph_rank": _first_match(
            [(hist.is_null(), 4), (hist == 8000, 3), (unspecified, 2), (nos, 1)], 0
        ),
        "_hspec": _first_match([(unspecified, 2), (nos, 1)], 0),
        "_beh_rank": pl.when(hist.is_null()).then(4).otherwise(behaviour),
        "_basis_rank": basis.fill_null(len(BASIS_ORDER) + 1),
    }


def _date_ranks() -> dict[str, pl.Expr]:
    date = pl.col("diagnosis_date")
    precision, basis = pl.col("diagnosis_date_precision"), pl.col("basis")
    year, month = precision == "year", precision == "month"
    year_end = pl.date(date.dt.year(), 12, 31)
    return {
        "_date_priority": _first_match(
            [(basis.is_in(HISTOLOGICAL_BASIS), 0), (basis == DEATH_CERTIFICATE_ONLY, 2)], 1
        ),
        "_date_quality": _first_match(
            [(date.is_null(), 2), (precision.is_in(["unknown", "invalid"]), 1)], 0
        ),
        "_level": _first_match([(year, 2), (month, 1)], 0),
        "_period_end": _first_match([(year, year_end), (month, date.dt.month_end())], date),
    }


def _prepared(sources: pl.DataFrame) -> pl.DataFrame:
    """The reports with their codes parsed, grouped and ranked (lower ranks are better)."""
    coded = _coded(_parsed(_validated(sources)))
    return coded.with_columns(**_code_ranks(), **_date_ranks())


def _one_tumour() -> pl.Expr:
    """Per person (in a group-by): true when its reports are surely one tumour.

    That is: one behaviour class, at most one specific histology group (one histology if in
    no group), every unspecified group covering it, no two unspecified groups that differ
    (5 and 14), and one known site group unless every report is systemic.
    """
    group, covers = pl.col("_group"), _unspecified()
    specific = pl.when(~group.is_in(list(covers))).then(
        pl.when(group == NO_GROUP).then(-pl.col("_hist")).otherwise(group)
    )
    site = pl.when(~pl.col("_unknown")).then(pl.col("_site"))
    cls = pl.col("_class")
    one = [
        cls.max() == cls.min(),
        (specific.max() == specific.min()).fill_null(True),
        (site.max() == site.min()).fill_null(True) | group.is_in(list(_systemic_groups())).all(),
    ]
    spec = specific.max().clip(lower_bound=NO_GROUP)
    for number, covered in covers.items():
        one.append(~(group == number).any() | spec.is_null() | spec.is_in(list(covered)))
        for other in covers:
            if other > number and other not in covered and number not in covers[other]:
                one.append(~((group == number).any() & (group == other).any()))
    return pl.all_horizontal(one)


def _assignment(frame: pl.DataFrame, fast: bool = True) -> pl.DataFrame:
    """``source_id`` -> ``tumour_key`` (the smallest source_id of the tumour's reports)."""
    persons = frame.group_by("person_key").agg(
        _one=_one_tumour() if fast else pl.lit(False), _key=pl.col("source_id").min()
    )
    marked = frame.join(persons, on="person_key")
    simple = marked.filter(pl.col("_one")).select("source_id", tumour_key="_key")
    return pl.concat([simple, _loop_assignment(marked.filter(~pl.col("_one")))])


# A report in the loop: person, source_id, histology group and histology, behaviour class,
# site group, unknown-site flag, diagnosis day (or None).
_Report = namedtuple("_Report", "person source_id group hist cls site unknown day")
_LOOP_ORDER = ["person_key", "_unknown", "_hspec", "_beh_rank", "diagnosis_date", "source_id"]
_LOOP_COLUMNS = ["person_key", "source_id", "_group", "_hist", "_class", "_site", "_unknown"]


def _loop_assignment(frame: pl.DataFrame) -> pl.DataFrame:
    ordered = frame.sort(_LOOP_ORDER, nulls_last=True).select(
        *_LOOP_COLUMNS, _day=pl.col("diagnosis_date").cast(pl.Int32)
    )
    reports = (_Report(*row) for row in ordered.iter_rows())
    by_person = groupby(reports, key=attrgetter("person"))
    keys = [key for _, rows in by_person for key in _assign_person(list(rows))]
    return pl.DataFrame(
        {"source_id": ordered["source_id"], "tumour_key": pl.Series(keys, dtype=pl.Int64)}
    )


def _histologies_agree(a: int, hist_a: int | None, b: int, hist_b: int | None) -> bool:
    """Not "different" histologies under rule 4.2."""
    if a == b:
        return a != NO_GROUP or hist_a == hist_b
    return b in _covers(a) or a in _covers(b)


class _Tumour:
    """A tumour being built: its narrowest histology group, known sites and dates."""

    __slots__ = ("group", "hist", "cls", "sites", "days", "order", "key")

    def __init__(self, report: _Report, order: int) -> None:
        self.group, self.hist, self.cls = report.group, report.hist, report.cls
        self.sites = set() if report.unknown else {report.site}
        self.days = [] if report.day is None else [report.day]
        self.order, self.key = order, report.source_id

    def accepts(self, report: _Report) -> bool:
        agree = _histologies_agree(report.group, report.hist, self.group, self.hist)
        if report.cls != self.cls or not agree:
            return False
        systemic = _systemic_groups()
        if report.group in systemic and self.group in systemic:
            return True
        return report.unknown or report.site in self.sites

    def preference(self, report: _Report) -> tuple[int, int, int, int, int]:
        """Lower is better: a systemic match (counted once), own site, date, group."""
        systemic = _systemic_groups()
        once = 0 if report.group in systemic and self.group in systemic else 1
        gaps = (abs(day - report.day) for day in self.days if report.day is not None)
        distance = min(gaps, default=_LAST)
        own_site = 0 if report.site in self.sites else 1
        return once, own_site, distance, 0 if report.group == self.group else 1, self.order

    def add(self, report: _Report) -> None:
        if report.group != self.group and report.group in _covers(self.group):
            self.group, self.hist = report.group, report.hist
        if not report.unknown:
            self.sites.add(report.site)
        if report.day is not None:
            self.days.append(report.day)
        self.key = min(self.key, report.source_id)


def _assign_person(reports: list[_Report]) -> list[int]:
    """Tumour keys of one person's reports, given most specific first."""
    tumours: list[_Tumour] = []
    chosen: list[_Tumour] = []
    for report in reports:
        fits = [t for t in tumours if t.accepts(report)]
        if fits:
            tumour = min(fits, key=lambda t: t.preference(report))
            tumour.add(report)
        else:
            tumour = _Tumour(report, len(tumours))
            tumours.append(tumour)
        chosen.append(tumour)
    return [t.key for t in chosen]


def _packed(*parts: tuple[pl.Expr, int]) -> pl.Expr:
    """One Int64 sort key from non-negative ranks of given bit widths, most significant first."""
    key = pl.lit(0, pl.Int64)
    for rank, bits in parts:
        key = key * (1 << bits) + rank.cast(pl.Int64)
    return key


def _day(date: pl.Expr) -> tuple[pl.Expr, int]:
    """A date as a 32-bit rank (days from 1696), missing dates last."""
    days = (date.cast(pl.Int64) + _DAY_OFFSET).clip(0, _DAY_MISSING - 1)
    return days.fill_null(_DAY_MISSING), 32


def _sort_keys() -> dict[str, pl.Expr]:
    """The orders of the best-value choices (see the module docstring) as packed keys."""
    basis, day = (pl.col("_basis_rank"), 4), _day(pl.col("diagnosis_date"))
    morph = _packed((pl.col("_morph_rank"), 3), (pl.col("_beh_rank"), 3), basis, day)
    quality, priority = (pl.col("_date_quality"), 2), (pl.col("_date_priority"), 2)
    return {
        "_topo_key": _packed((pl.col("_topo_rank"), 4), basis, day),
        "_morph_key": morph,
        "_beh_key": _packed((pl.col("_beh_rank"), 3), (morph, 42)),
        "_basis_key": _packed(basis, day),
        "_date_key": _packed(quality, priority, _day(pl.col("_period_end")), (pl.col("_level"), 2)),
    }


def _pick(column: str, key: str, name: str) -> dict[str, pl.Expr]:
    """The first present ``column`` in ``key`` order (ties: lowest source_id) and its source."""
    present = pl.col(column).is_not_null()
    at = pl.when(present).then(pl.col(key)).otherwise(pl.lit(_LAST, pl.Int64)).arg_min()
    return {name: pl.col(column).get(at), f"{name}_src": pl.col("source_id").get(at)}


def _values(frame: pl.DataFrame) -> pl.DataFrame:
    """One row per tumour: its best values and their sources (rows in source_id order)."""
    cat, sub = pl.col("_cat"), pl.col("_sub")
    code = pl.concat_str(pl.lit("C"), cat, pl.concat_str(pl.lit("."), sub).fill_null(""))
    morph, rank = pl.col("_morph_key"), pl.col("_beh_rank")
    needed = ["tumour_key", "person_key", "source_id", "_hist", "_beh_rank", "basis", *TEXT_COLUMNS]
    keyed = frame.select(*needed, "diagnosis_date", _code=code, **_sort_keys()).sort("source_id")
    return keyed.group_by("tumour_key").agg(
        person_key=pl.col("person_key").first(),
        reports=pl.len().cast(pl.Int64),
        **_pick("_code", "_topo_key", "topography"),
        **_pick("_hist", "_morph_key", "morphology"),
        _winner_beh=rank.get(morph.arg_min()),
        _best_beh=rank.min(),
        behaviour_src=pl.col("source_id").get(pl.col("_beh_key").arg_min()),
        **_pick("basis", "_basis_key", "basis"),
        **_pick("diagnosis_date", "_date_key", "diagnosis_date"),
        diagnosis_date_precision=pl.col("diagnosis_date_precision").get(
            pl.col("_date_key").arg_min()
        ),
        **{k: v for c in COPIED for k, v in _pick(c, "_morph_key", c).items()},
    )


def _finished(values: pl.DataFrame) -> pl.DataFrame:
    """Morphology with the tumour's behaviour; sources only for present values."""
    hist = pl.col("morphology")
    behaviour = pl.col("_best_beh").replace_strict([0, 1, 2, 3], ["3", "2", "1", "0"], default="3")
    differs = hist.is_not_null() & (pl.col("_winner_beh") != pl.col("_best_beh"))
    sources = {
        f"{f}_src": pl.when(pl.col(f).is_not_null()).then(pl.col(f"{f}_src"))
        for f in PROVENANCE
        if f != "behaviour"
    }
    return values.with_columns(
        **sources,
        behaviour_src=pl.when(differs).then(pl.col("behaviour_src")),
        morphology=pl.concat_str(hist.cast(pl.String), pl.lit("/"), behaviour),
    )


def _provenance() -> pl.Expr:
    """Compact JSON: field -> source_id of each non-null value."""
    pairs = [
        pl.concat_str(pl.lit(f'"{f}":'), pl.col(f"{f}_src").cast(pl.String), pl.lit(","))
        for f in PROVENANCE
    ]
    body = pl.concat_str(pairs, ignore_nulls=True).str.strip_chars_end(",")
    return pl.concat_str(pl.lit("{"), body, pl.lit("}"))


def _tumours(frame: pl.DataFrame) -> pl.DataFrame:
    sequence = pl.int_range(1, pl.len() + 1, dtype=pl.Int64).over("person_key")
    return (
        _finished(_values(frame))
        .with_columns(provenance=_provenance())
        .sort(["person_key", "diagnosis_date", "tumour_key"], nulls_last=True)
        .with_columns(sequence=sequence)
        .select(pl.col(c).cast(t) for c, t in TUMOUR_SCHEMA.items())
        .sort("tumour_key")
    )


def consolidate(sources: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Group the reports of linked persons into tumours by the IARC/IACR 2004 rules.

    Args:
        sources: one row per report: ``source_id`` (unique), ``person_key``,
            ``topography`` (``C34.1``), ``morphology`` (``8140/3``), ``basis`` (``0``-``9``),
            ``diagnosis_date``, and optionally ``diagnosis_date_precision`` (``day``,
            ``month``, ``year``, ``unknown``), ``grade``, ``laterality``, ``stage``. Other
            columns are ignored.

    Returns:
        ``assignment`` (``source_id``, ``tumour_key``), and ``tumours``: one row per
        ``tumour_key`` (the smallest source_id of its reports) with ``person_key``, the best
        ``topography``, ``morphology``, ``basis``, ``diagnosis_date`` and its precision,
        ``grade``, ``laterality``, ``stage``, the ``sequence`` within the person,
        ``provenance`` (JSON: field -> source_id) and the number of ``reports``.

    Raises:
        InputError: a required column is missing, a source_id or person_key is null, or a
            source_id is repeated.

    Example:
        >>> assignment, tumours = consolidate(reports)  # doctest: +SKIP
    """
    frame = _prepared(sources)
    if frame.height == 0:
        empty = pl.DataFrame(schema={"source_id": pl.Int64, "tumour_key": pl.Int64})
        return empty, pl.DataFrame(schema=TUMOUR_SCHEMA)
    assignment = _assignment(frame).sort("source_id")
    tumours = _tumours(frame.join(assignment, on="source_id"))
    return assignment, tumours
