"""From scored pairs of reports to persons: connected components with a guard against
chaining, registrar decisions first.

1. Links: every pair at or above the match threshold, the registrar's matches and (in an
   incremental run) the reports already held together by a person; never a pair the
   registrar called *not a match*.
2. Components of that graph (SciPy) are the candidate persons.
3. Guard: a component holding two reports that cannot be one person is rebuilt greedily:
   fixed links first, then model links from the most to the least probable, each skipped
   if it would join such a pair. Skipped links go to the review queue. Cannot be one
   person: the registrar said so; or, in a component of three or more reports (two reports
   linked directly keep their link), their sexes differ, their birth years are more than
   two apart, or both give a full birth date and the two differ beyond a day/month swap or
   a year off by one. Differing national IDs are not enough: a typo in one report is
   common.
4. Review queue: pairs in the uncertainty band whose reports ended in different persons,
   plus the skipped links.

Each person is keyed by the smallest report id in it, so the result does not depend on
the order of the input.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

PAIR = ["unique_id_l", "unique_id_r"]
BIRTH_YEARS_APART = 2
GUARD_FIELDS = ["unique_id", "sex", "birth_year", "dob_y", "dob_m", "dob_d"]


@dataclass(frozen=True)
class Clustering:
    """Persons and what a registrar should look at.

    Attributes:
        persons: ``unique_id`` -> ``person_key`` for every report given.
        review: pairs to review with ``unique_id_l``, ``unique_id_r``,
            ``match_probability``, ``match_weight`` and ``reason``.
    """

    persons: pl.DataFrame
    review: pl.DataFrame


def cluster(
    reports: pl.DataFrame,
    pairs: pl.DataFrame,
    *,
    match_threshold: float,
    review_threshold: float,
    fixed: pl.DataFrame | None = None,
    refused: pl.DataFrame | None = None,
) -> Clustering:
    """Group reports into persons.

    Args:
        reports: One row per report with :data:`GUARD_FIELDS` (``unique_id`` unique).
        pairs: Scored pairs (``unique_id_l`` < ``unique_id_r``, ``match_probability``,
            ``match_weight``), any order.
        match_threshold: Probability at or above which a pair links.
        review_threshold: Lower edge of the band reviewed by a registrar.
        fixed: Pairs that must be one person (registrar matches, existing persons).
        refused: Pairs that must never be one person (registrar non-matches).

    Returns:
        The persons and the review queue.
    """
    fixed = _ordered(fixed if fixed is not None else _no_pairs())
    refused = _ordered(refused if refused is not None else _no_pairs())
    pairs = _ordered(pairs).join(refused, on=PAIR, how="anti")
    links = pairs.filter(pl.col("match_probability") >= match_threshold)
    ids = reports["unique_id"].to_numpy()
    labels = _components(ids, pl.concat([fixed, links.select(PAIR)]))
    persons = pl.DataFrame({"unique_id": ids, "component": labels.astype(np.int64)})
    persons, skipped = _guard(persons, reports, links, fixed, refused)
    persons = persons.with_columns(pl.col("unique_id").min().over("component").alias("person_key"))
    return Clustering(
        persons=persons.select("unique_id", "person_key").sort("unique_id"),
        review=_review(pairs, persons, review_threshold, match_threshold, skipped),
    )


def _no_pairs() -> pl.DataFrame:
    return pl.DataFrame(schema={"unique_id_l": pl.Int64, "unique_id_r": pl.Int64})


def _ordered(pairs: pl.DataFrame) -> pl.DataFrame:
    """Pairs with the smaller id on the left, each once."""
    left, right = pl.col("unique_id_l"), pl.col("unique_id_r")
    return pairs.with_columns(
        pl.min_horizontal(left, right).cast(pl.Int64).alias("unique_id_l"),
        pl.max_horizontal(left, right).cast(pl.Int64).alias("unique_id_r"),
    ).unique(PAIR, keep="first", maintain_order=True)


def _components(ids: np.ndarray, edges: pl.DataFrame) -> np.ndarray:
    index = pl.DataFrame({"unique_id": ids, "i": np.arange(len(ids))})
    ends = (
        edges.join(index.rename({"unique_id": "unique_id_l", "i": "a"}), on="unique_id_l")
        .join(index.rename({"unique_id": "unique_id_r", "i": "b"}), on="unique_id_r")
        .select("a", "b")
    )
    a, b = ends["a"].to_numpy(), ends["b"].to_numpy()
    graph = coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(len(ids), len(ids)))
    return connected_components(graph, directed=False)[1]


def _guard(persons, reports, links, fixed, refused):
    """Rebuild the components that hold two reports that cannot be one person."""
    members = persons.join(reports.select(GUARD_FIELDS), on="unique_id")
    sizes = members.group_by("component").len().filter(pl.col("len") >= 2)
    suspect = members.join(sizes, on="component", how="semi")
    bad = _incompatible_pairs(suspect.filter(pl.len().over("component") >= 3))
    conflicted = _conflicted_components(suspect, bad, refused)
    if not conflicted:
        return persons, _no_pairs()
    kept = persons.filter(~pl.col("component").is_in(conflicted))
    rebuilt, skipped = [], []
    for (component,), group in suspect.filter(pl.col("component").is_in(conflicted)).group_by(
        "component"
    ):
        incompatible = bad.filter(pl.col("component") == component)
        labels, cut = _rebuild(group, incompatible, links, fixed, refused)
        # a rebuilt person is labelled by minus its root report id: unique, and apart
        # from the component numbers (0, 1, ...)
        roots = [-root for root in labels.values()]
        rebuilt.append(
            pl.DataFrame(
                {"unique_id": list(labels), "component": roots},
                schema={"unique_id": pl.Int64, "component": pl.Int64},
            )
        )
        skipped.extend(cut)
    skipped_frame = pl.DataFrame(skipped, schema=PAIR, orient="row") if skipped else _no_pairs()
    return pl.concat([kept, *rebuilt], how="vertical_relaxed"), skipped_frame


def _incompatible_pairs(members: pl.DataFrame) -> pl.DataFrame:
    """Pairs of reports in one component that cannot be one person."""
    both = members.join(members, on="component", suffix="_r").filter(
        pl.col("unique_id") < pl.col("unique_id_r")
    )
    both = both.rename({"unique_id": "unique_id_l"})
    bad = (
        (pl.col("sex") != pl.col("sex_r"))
        | ((pl.col("birth_year") - pl.col("birth_year_r")).abs() > BIRTH_YEARS_APART)
        | _birth_dates_conflict()
    )
    return both.filter(bad.fill_null(False)).select("component", *PAIR)


def _birth_dates_conflict() -> pl.Expr:
    """Two full birth dates that differ beyond the slips of one person's records (day and
    month swapped, or the year off by one)."""
    y, m, d = pl.col("dob_y"), pl.col("dob_m"), pl.col("dob_d")
    yr, mr, dr = pl.col("dob_y_r"), pl.col("dob_m_r"), pl.col("dob_d_r")
    same = (y == yr) & (m == mr) & (d == dr)
    swapped = (y == yr) & (m == dr) & (d == mr)
    year_slip = (m == mr) & (d == dr) & ((y - yr).abs() == 1)
    return d.is_not_null() & dr.is_not_null() & ~(same | swapped | year_slip)


def _conflicted_components(suspect, bad, refused) -> list[int]:
    refused_inside = (
        refused.join(
            suspect.select(pl.col("unique_id").alias("unique_id_l"), "component"), on="unique_id_l"
        )
        .join(
            suspect.select(
                pl.col("unique_id").alias("unique_id_r"), pl.col("component").alias("c")
            ),
            on="unique_id_r",
        )
        .filter(pl.col("component") == pl.col("c"))
    )
    return sorted(set(bad["component"].to_list()) | set(refused_inside["component"].to_list()))


def _rebuild(group: pl.DataFrame, incompatible: pl.DataFrame, links, fixed, refused):
    """Greedy constrained union inside one component: returns report -> label and the
    model links it skipped."""
    ids = set(group["unique_id"].to_list())
    forbidden = set(incompatible.select(PAIR).iter_rows())
    forbidden |= {p for p in refused.select(PAIR).iter_rows() if p[0] in ids and p[1] in ids}
    parent = {i: i for i in ids}
    sets = {i: {i} for i in ids}

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def join(a: int, b: int, force: bool) -> bool:
        ra, rb = find(a), find(b)
        if ra == rb:
            return True
        if not force and any(
            (min(x, y), max(x, y)) in forbidden for x in sets[ra] for y in sets[rb]
        ):
            return False
        parent[rb] = ra
        sets[ra] |= sets.pop(rb)
        return True

    inside = pl.col("unique_id_l").is_in(ids) & pl.col("unique_id_r").is_in(ids)
    for a, b in fixed.filter(inside).select(PAIR).iter_rows():
        join(a, b, force=True)
    cut = []
    model = links.filter(inside).sort(["match_probability", *PAIR], descending=[True, False, False])
    for a, b in model.select(PAIR).iter_rows():
        if not join(a, b, force=False):
            cut.append((a, b))
    return {i: find(i) for i in sorted(ids)}, cut


def _review(pairs, persons, review_threshold, match_threshold, skipped) -> pl.DataFrame:
    keyed = persons.select("unique_id", "person_key")
    scored = pairs.join(
        keyed.rename({"unique_id": "unique_id_l", "person_key": "p_l"}), on="unique_id_l"
    ).join(keyed.rename({"unique_id": "unique_id_r", "person_key": "p_r"}), on="unique_id_r")
    apart = pl.col("p_l") != pl.col("p_r")
    band = scored.filter(
        apart
        & (pl.col("match_probability") >= review_threshold)
        & (pl.col("match_probability") < match_threshold)
    ).with_columns(pl.lit("uncertain match").alias("reason"))
    guarded = (
        scored.join(skipped, on=PAIR, how="semi")
        .filter(apart)
        .with_columns(pl.lit("link would chain records that cannot be one person").alias("reason"))
    )
    columns = [*PAIR, "match_probability", "match_weight", "reason"]
    return pl.concat([band.select(columns), guarded.select(columns)]).sort(PAIR)
