"""Clustering with the guard against chaining, worked out by hand."""

from __future__ import annotations

import polars as pl

from oncoreg.link.clusters import cluster
from oncoreg.link.evaluate import evaluate


def _reports(rows):
    """Reports (id, sex, birth year[, full birth date as (y, m, d)])."""
    full = [(*row[:3], *(row[3] if len(row) > 3 else (None, None, None))) for row in rows]
    schema = {
        "unique_id": pl.Int64,
        "sex": pl.String,
        "birth_year": pl.Int32,
        "dob_y": pl.Int32,
        "dob_m": pl.Int8,
        "dob_d": pl.Int8,
    }
    return pl.DataFrame(full, schema=schema, orient="row")


def _pairs(rows):
    return pl.DataFrame(
        [(a, b, p, 10.0 * p) for a, b, p in rows],
        schema=["unique_id_l", "unique_id_r", "match_probability", "match_weight"],
        orient="row",
    )


def _persons(result) -> dict[int, int]:
    return dict(result.persons.iter_rows())


def test_links_above_threshold_and_review_band():
    reports = _reports([(1, "1", 1960), (2, "1", 1960), (3, "1", 1961), (4, "2", 1970)])
    pairs = _pairs([(1, 2, 0.99), (2, 3, 0.7), (3, 4, 0.2)])
    result = cluster(reports, pairs, match_threshold=0.95, review_threshold=0.5)
    assert _persons(result) == {1: 1, 2: 1, 3: 3, 4: 4}
    assert result.review.select("unique_id_l", "unique_id_r", "reason").rows() == [
        (2, 3, "uncertain match")
    ]


def test_guard_keeps_a_man_and_a_woman_apart_when_a_third_report_chains_them():
    # 2 has no sex and no birth year: it links to both, which cannot be one person
    reports = _reports([(1, "1", 1950), (2, None, None), (3, "2", 1950)])
    pairs = _pairs([(1, 2, 0.999), (2, 3, 0.97)])
    result = cluster(reports, pairs, match_threshold=0.95, review_threshold=0.5)
    persons = _persons(result)
    assert persons[1] == persons[2] != persons[3]  # the stronger link wins
    assert result.review.select("unique_id_l", "unique_id_r").rows() == [(2, 3)]
    assert result.review["reason"][0].startswith("link would chain")


def test_guard_keeps_two_full_birth_dates_apart_but_forgives_slips():
    # two Nguyễn Văn Đức of one province, born 1960-08-27 and 1961-07-18, and a report that
    # knows only the year 1961 and links to both
    reports = _reports(
        [(1, "1", 1960, (1960, 8, 27)), (2, "1", 1961), (3, "1", 1961, (1961, 7, 18))]
    )
    pairs = _pairs([(1, 2, 0.97), (2, 3, 0.99)])
    persons = _persons(cluster(reports, pairs, match_threshold=0.95, review_threshold=0.5))
    assert persons[2] == persons[3] != persons[1]
    # the same date with day and month swapped, or a year off, is one person's slip
    for other in ((1960, 8, 27), (1960, 8, 27), (1961, 8, 27)):
        reports = _reports([(1, "1", 1960, (1960, 8, 27)), (2, "1", 1960), (3, "1", 1960, other)])
        persons = _persons(cluster(reports, pairs, match_threshold=0.95, review_threshold=0.5))
        assert persons[1] == persons[2] == persons[3]
    swapped = _reports([(1, "2", 1960, (1960, 3, 4)), (2, "2", 1960), (3, "2", 1960, (1960, 4, 3))])
    persons = _persons(cluster(swapped, pairs, match_threshold=0.95, review_threshold=0.5))
    assert persons[1] == persons[3]


def test_registrar_decisions_win():
    reports = _reports([(1, "1", 1950), (2, "1", 1950), (3, "1", 1950)])
    pairs = _pairs([(1, 2, 0.999), (2, 3, 0.6)])
    refused = pl.DataFrame({"unique_id_l": [2], "unique_id_r": [1]})  # either order
    fixed = pl.DataFrame({"unique_id_l": [3], "unique_id_r": [2]})
    result = cluster(
        reports, pairs, match_threshold=0.95, review_threshold=0.5, fixed=fixed, refused=refused
    )
    persons = _persons(result)
    assert persons[2] == persons[3] != persons[1]
    assert result.review.is_empty()


def test_result_does_not_depend_on_input_order():
    reports = _reports([(i, "1" if i % 2 else "2", 1950 + i % 3) for i in range(1, 40)])
    pairs = _pairs([(i, i + 1, 0.5 + (i % 5) / 10) for i in range(1, 39)])
    a = cluster(reports, pairs, match_threshold=0.95, review_threshold=0.5)
    b = cluster(reports.reverse(), pairs.reverse(), match_threshold=0.95, review_threshold=0.5)
    assert a.persons.equals(b.persons) and a.review.equals(b.review)


def test_evaluation_counts_pairs_and_exact_clusters():
    truth = pl.DataFrame({"record": [1, 2, 3, 4, 5], "entity": ["a", "a", "a", "b", "c"]})
    found = pl.DataFrame({"record": [1, 2, 3, 4, 5], "cluster": [1, 1, 3, 3, 5]})
    got = evaluate(found, truth)
    # true pairs: (1,2) (1,3) (2,3); found: (1,2) (3,4); correct: (1,2)
    assert (got["true_pairs"], got["found_pairs"], got["correct_pairs"]) == (3, 2, 1)
    assert got["precision"] == 0.5 and abs(got["recall"] - 1 / 3) < 1e-12
    assert got["exact_entities"] == 1  # only c
