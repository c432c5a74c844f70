"""Age groups, exact Poisson limits, age-specific and crude rates, counts from cases.

Reference numbers come from ``reference/rates_reference.json``, written by
``reference/rates_reference.R`` (R 4.2.2, epitools 0.5-10.1; see its header). The tests
never run R.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oncoreg.errors import InputError
from oncoreg.stats.rates import (
    AGE_GROUPS,
    age_group_of,
    age_specific_rates,
    counts_from_cases,
    crude_rates,
    poisson_limits,
    prepare_counts,
    z_value,
)

REF = json.loads((Path(__file__).parent / "reference" / "rates_reference.json").read_text())
RTOL = 1e-9


def dataset(name: str) -> pl.DataFrame:
    """A reference table as the user gives it: rows marked missing in R are left out."""
    d = REF["datasets"][name]
    frame = pl.DataFrame({k: d[k] for k in ("stratum", "age_group", "cases", "pyrs")})
    return frame.filter(~pl.Series(d["missing_row"]))


def test_age_groups_are_the_18_five_year_groups():
    assert len(AGE_GROUPS) == 18
    assert AGE_GROUPS[:3] == ("0-4", "5-9", "10-14") and AGE_GROUPS[-2:] == ("80-84", "85+")


@pytest.mark.parametrize(
    ("age", "group"),
    [(0, "0-4"), (4.999, "0-4"), (5, "5-9"), (64.9, "60-64"), (84.99, "80-84"), (85, "85+")],
)
def test_age_group_of(age, group):
    assert age_group_of(age) == group


def test_age_group_of_very_old_and_finer_groups():
    assert age_group_of(107) == "85+"
    europe76 = ("0", "1-4", *AGE_GROUPS[1:])
    assert age_group_of(0.5, europe76) == "0"
    assert age_group_of(1, europe76) == "1-4"


@pytest.mark.parametrize("age", [-1, -0.01, float("nan"), float("inf")])
def test_age_group_of_refuses_impossible_ages(age):
    with pytest.raises(InputError):
        age_group_of(age)


def test_z_is_qnorm():
    """R: ``qnorm(0.975)`` = 1.959963984540054; rtol=1e-15."""
    assert z_value(0.95) == pytest.approx(1.959963984540054, rel=1e-15)
    assert z_value(0.95) == pytest.approx(REF["meta"]["z_975"], rel=1e-14)


@pytest.mark.parametrize("row", REF["poisson"], ids=lambda r: f"{r['cases']}-{r['conf']}")
def test_poisson_limits_equal_r(row):
    """R: ``qchisq(a/2, 2*x)/2``, ``qchisq(1-a/2, 2*(x+1))/2`` and
    ``poisson.test(x, conf.level = conf)$conf.int``; rtol=1e-9."""
    lower, upper = poisson_limits(row["cases"], row["conf"])
    assert lower == pytest.approx(row["lower"], rel=RTOL, abs=0)
    assert upper == pytest.approx(row["upper"], rel=RTOL)
    assert lower == pytest.approx(row["poisson_test_lower"], rel=RTOL, abs=0)
    assert upper == pytest.approx(row["poisson_test_upper"], rel=RTOL)


def test_poisson_limits_equal_epitools_pois_exact():
    """R: ``epitools::pois.exact(x, conf.level = conf)``; atol=1.22e-4, because pois.exact
    finds the limits with ``uniroot`` at its default tolerance ``.Machine$double.eps^0.25``
    = 1.22e-4 (largest difference seen: 3.0e-5). It fails for x = 0 at 99% (NA in the
    reference)."""
    compared = 0
    for row in REF["poisson"]:
        if row["pois_exact_upper"] is None:
            continue
        lower, upper = poisson_limits(row["cases"], row["conf"])
        assert lower == pytest.approx(row["pois_exact_lower"], rel=0, abs=1.22e-4)
        assert upper == pytest.approx(row["pois_exact_upper"], rel=0, abs=1.22e-4)
        compared += 1
    assert compared == 32


@pytest.mark.parametrize("bad", [-1, float("nan")])
def test_poisson_limits_refuse_bad_counts(bad):
    with pytest.raises(InputError):
        poisson_limits(bad)


def _reference_age_rows(name: str, conf: float) -> list[dict]:
    return [r for r in REF["age_specific"] if r["dataset"] == name and r["conf"] == conf]


@pytest.mark.parametrize("conf", [0.95, 0.90])
@pytest.mark.parametrize("name", sorted(REF["datasets"]))
def test_age_specific_rates_equal_r(name, conf):
    """R: ``1e5 * d / y`` with limits ``1e5 * qchisq(a/2, 2d)/2 / y`` and
    ``1e5 * qchisq(1-a/2, 2(d+1))/2 / y``; NA (here null) where y = 0; rtol=1e-9.
    Rows missing from the input come back as 0 cases, 0 pyrs and null rates."""
    got = age_specific_rates(dataset(name), by=["stratum"], conf=conf)
    expected = _reference_age_rows(name, conf)
    assert got.height == len(expected)
    for ours, ref in zip(got.iter_rows(named=True), expected, strict=True):
        assert (ours["stratum"], ours["age_group"]) == (ref["stratum"], ref["age_group"])
        assert (ours["cases"], ours["pyrs"]) == (ref["cases"], ref["pyrs"])
        for column in ("rate", "rate_lower", "rate_upper"):
            if ref[column] is None:
                assert ours[column] is None
            else:
                assert ours[column] == pytest.approx(ref[column], rel=RTOL, abs=0)


def test_age_specific_columns_and_no_nan():
    got = age_specific_rates(dataset("small"), by=["stratum"])
    assert got.columns == [
        "stratum",
        "age_group",
        "cases",
        "pyrs",
        "rate",
        "rate_lower",
        "rate_upper",
    ]
    numbers = got.select("rate", "rate_lower", "rate_upper")
    assert not numbers.select(pl.all().is_nan().any()).row(0)[0]
    empty = got.filter(pl.col("pyrs") == 0)
    assert empty.height == 3 and empty["rate"].null_count() == 3


@pytest.mark.parametrize("name", sorted(REF["datasets"]))
def test_crude_rates_equal_r(name):
    """R: ``1e5 * sum(d) / sum(y)`` with Garwood limits of ``sum(d)``; rtol=1e-9."""
    got = crude_rates(dataset(name), by=["stratum"])
    for ours in got.iter_rows(named=True):
        ref = next(
            r
            for r in REF["asr"]
            if r["dataset"] == name and r["stratum"] == ours["stratum"] and r["conf"] == 0.95
        )
        assert ours["cases"] == ref["cases"] and ours["pyrs"] == ref["pyrs"]
        for column in ("crude_rate", "crude_lower", "crude_upper"):
            assert ours[column] == pytest.approx(ref[column], rel=RTOL)


def test_crude_rates_without_age_groups():
    frame = pl.DataFrame({"year": [2001, 2002], "cases": [3, 0], "pyrs": [1000.0, 0.0]})
    got = crude_rates(frame, by=["year"], per=1000)
    assert got["crude_rate"].to_list() == [3.0, None]


def test_counts_from_cases_by_age_and_by_group():
    population = pl.DataFrame(
        {"sex": ["M", "M", "F"], "age_group": ["0-4", "85+", "0-4"], "pyrs": [100.0, 50, 80]}
    )
    by_age = pl.DataFrame({"sex": ["M", "M", "M", "F"], "age": [0.5, 4.99, 91, 3]})
    by_group = pl.DataFrame(
        {"sex": ["M", "M", "M", "F"], "age_group": ["0-4", "00-04", "85+", "0-4"]}
    )
    for cases in (by_age, by_group):
        counts = counts_from_cases(cases, population, by=["sex"])
        assert counts.columns == ["sex", "age_group", "cases", "pyrs"]
        assert counts.rows() == [
            ("M", "0-4", 2, 100.0),
            ("M", "85+", 1, 50.0),
            ("F", "0-4", 1, 80.0),
        ]


def test_counts_from_cases_collects_every_problem():
    population = pl.DataFrame({"sex": ["M", "F"], "age_group": ["0-4", "0-4"], "pyrs": [100.0, 0]})
    cases = pl.DataFrame({"sex": ["M", "M", "F", None, "M"], "age": ["-1", "abc", "2", "1", "40"]})
    with pytest.raises(InputError) as caught:
        counts_from_cases(cases, population, by=["sex"])
    found = [(p.row, p.field) for p in caught.value.problems]
    assert found == [(1, "age"), (2, "age"), (3, "age"), (4, "sex"), (5, "age")]
    assert "no person-years" in caught.value.problems[2].message


def _problems(frame: pl.DataFrame, by=()) -> list[tuple[int | None, str | None, str]]:
    with pytest.raises(InputError) as caught:
        prepare_counts(frame, by, file="COUNTS.csv")
    return [(p.row, p.field, p.message) for p in caught.value.problems]


def test_bad_counts_name_row_and_column():
    """Rows of a frame are numbered from 1; every problem of the frame is reported."""
    frame = pl.DataFrame(
        {
            "sex": ["M", "M", "M", "F", "F", None],
            "age_group": ["0-4", "0-4", "5-9", "90-99", "10-14", "15-19"],
            "cases": ["1", "2", "-1", "3", "1.5", "1"],
            "pyrs": ["100", "100", "x", "0", "10", ""],
        }
    )
    assert _problems(frame, by=["sex"]) == [
        (2, "age_group", "the same stratum and age group as row 1"),
        (3, "cases", "must not be negative"),
        (3, "pyrs", "not a number"),
        (4, "age_group", "unknown age group"),
        (4, "pyrs", "cases but no person-years (pyrs is 0)"),
        (5, "cases", "a number of cases must be a whole number"),
        (6, "pyrs", "a number is required"),
        (6, "sex", "a stratum value is required"),
    ]


def test_missing_columns_and_by_columns():
    frame = pl.DataFrame({"age_group": ["0-4"], "cases": [1]})
    with pytest.raises(InputError, match="missing column.*pyrs"):
        prepare_counts(frame)
    frame = frame.with_columns(pyrs=pl.lit(10.0))
    with pytest.raises(InputError, match="missing --by column.*sex"):
        prepare_counts(frame, by=["sex"])


def test_standard_finer_groups_are_accepted():
    frame = pl.DataFrame({"age_group": ["0", "1-4", "85+"], "cases": [1, 2, 3], "pyrs": [10.0] * 3})
    _, groups = prepare_counts(frame, standard="europe-1976")
    assert groups[:3] == ("0", "1-4", "5-9") and len(groups) == 19


def test_pandas_frames_are_accepted():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"age_group": ["0-4", "5-9"], "cases": [1, 2], "pyrs": [100.0, 200.0]})
    assert age_specific_rates(frame)["rate"].to_list()[:2] == [1000.0, 1000.0]


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 100_000), st.sampled_from([0.8, 0.9, 0.95, 0.99]))
def test_garwood_limits_hold_the_count(cases, conf):
    lower, upper = poisson_limits(cases, conf)
    assert 0 <= lower <= cases <= upper
    assert (lower == 0) == (cases == 0)


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.integers(0, 500), min_size=18, max_size=18),
    st.lists(st.floats(1, 1e6), min_size=18, max_size=18),
    st.integers(1, 20),
)
def test_rates_scale_linearly_with_counts(cases, pyrs, k):
    frame = pl.DataFrame({"age_group": AGE_GROUPS, "cases": cases, "pyrs": pyrs})
    base = age_specific_rates(frame)["rate"].to_numpy()
    scaled = age_specific_rates(frame.with_columns(pl.col("cases") * k))["rate"].to_numpy()
    np.testing.assert_allclose(scaled, k * base, rtol=1e-12)
    crude = crude_rates(frame)["crude_rate"][0]
    assert math.isclose(crude, 1e5 * sum(cases) / sum(pyrs), rel_tol=1e-12)
