"""Direct age standardisation, cumulative rate and risk, rate ratios.

Reference numbers come from ``reference/rates_reference.json``, written by
``reference/rates_reference.R`` (R 4.2.2, epitools 0.5-10.1, popEpi 0.4.10; see its
header). The tests never run R.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oncoreg.codes.standard_populations import weights_for
from oncoreg.errors import InputError
from oncoreg.stats.rates import AGE_GROUPS
from oncoreg.stats.standardise import (
    ASR_COLUMNS,
    CI_METHODS,
    EXTRA_COLUMNS,
    STANDARDS,
    age_standardised_rates,
    rate_ratio,
    standard_weights,
)

REF = json.loads((Path(__file__).parent / "reference" / "rates_reference.json").read_text())
RTOL = 1e-9
SAME = (
    "crude_rate",
    "crude_lower",
    "crude_upper",
    "asr",
    "asr_se",
    "cum_rate_0_74",
    "cum_rate_0_74_se",
    "cum_risk_0_74",
    "cum_risk_lower",
    "cum_risk_upper",
    "cum_rate_0_64",
    "cum_rate_0_64_se",
    "cum_risk_0_64",
    "cum_risk_0_64_lower",
    "cum_risk_0_64_upper",
)


def dataset(name: str) -> pl.DataFrame:
    """A reference table as the user gives it: rows marked missing in R are left out."""
    d = REF["datasets"][name]
    frame = pl.DataFrame({k: d[k] for k in ("stratum", "age_group", "cases", "pyrs")})
    return frame.filter(~pl.Series(d["missing_row"]))


def _ours(row: dict, ci: str) -> dict:
    out = age_standardised_rates(
        dataset(row["dataset"]), by=["stratum"], standard=row["standard"], ci=ci, conf=row["conf"]
    )
    return out.filter(pl.col("stratum") == row["stratum"]).row(0, named=True)


def _close(ours: float | None, theirs: float | None) -> None:
    if theirs is None:
        assert ours is None
    else:
        assert ours == pytest.approx(theirs, rel=RTOL, abs=0)


def _id(row: dict) -> str:
    return f"{row['dataset']}-{row['stratum']}-{row['standard']}-{row['conf']}"


@pytest.mark.parametrize("row", REF["asr"], ids=_id)
def test_asr_and_gamma_limits_equal_epitools(row):
    """R: ``epitools::ageadjust.direct(count = d, pop = ifelse(y > 0, y, Inf), stdpop = std,
    conf.level = conf)`` times 1e5 (adj.rate, lci, uci; Fay-Feuer gamma limits), with
    ``pop = Inf`` standing for our zero contribution of an age group without person-years
    (epitools itself gives NaN there); for no cases at all, lci is NaN in epitools and 0 here.
    The ASR's SE is ``sqrt(sum(w^2 d / y^2))`` with ``w = std / sum(std)``. rtol=1e-9."""
    ours = _ours(row, "gamma")
    assert ours["asr"] == pytest.approx(row["epitools_adj_rate"], rel=RTOL)
    _close(ours["asr_se"], row["asr_se"])
    _close(ours["asr_lower"], row["gamma_lower"])
    _close(ours["asr_upper"], row["gamma_upper"])


@pytest.mark.parametrize("method", ["dobson", "normal", "lognormal"])
@pytest.mark.parametrize("row", REF["asr"], ids=_id)
def test_other_limits_equal_the_published_formulas(row, method):
    """R (rates_reference.R, ``asr_row``), with ``D = sum(d)``, ``z = qnorm(1 - a/2)`` and
    Garwood limits ``D_L, D_U`` of D:

    * dobson (Dobson et al. 1991, Stat Med 10:457): ``asr + sqrt(v/D) * (D_L - D)``,
      ``asr + sqrt(v/D) * (D_U - D)``;
    * normal: ``max(asr - z*se, 0)``, ``asr + z*se``;
    * lognormal: ``asr * exp(-z*se/asr)``, ``asr * exp(z*se/asr)``;

    each with lower 0 and upper NA (null) when D = 0. rtol=1e-9."""
    ours = _ours(row, method)
    _close(ours["asr_lower"], row[f"{method}_lower"])
    _close(ours["asr_upper"], row[f"{method}_upper"])


@pytest.mark.parametrize("row", REF["asr"], ids=_id)
def test_crude_and_cumulative_equal_r(row):
    """R: crude ``1e5 * sum(d) / sum(y)`` with Garwood limits; cumulative rate
    ``100 * sum(t_i * d_i / y_i)`` over 0-4..70-74 (0-64), ``t_i`` the width in years, SE
    ``100 * sqrt(sum(t_i^2 d_i / y_i^2))``, risk ``100 * (1 - exp(-cr / 100))`` and its limits
    from ``max(cr - z*se, 0)`` and ``cr + z*se``. rtol=1e-9."""
    ours = _ours(row, "gamma")
    assert (ours["cases"], ours["pyrs"]) == (row["cases"], row["pyrs"])
    for column in SAME:
        _close(ours[column], row[column])


@pytest.mark.parametrize("row", REF["popepi"], ids=lambda r: f"{r['dataset']}-{r['standard']}")
def test_asr_and_se_equal_popepi(row):
    """R: ``popEpi::rate(data, obs = obs, pyrs = pyrs, adjust = ag, weights = std)``,
    ``1e5 * rate.adj`` and ``1e5 * SE.rate.adj`` (popEpi drops the NaN terms of age groups
    without person-years, the same zero contribution). rtol=1e-9."""
    ours = _ours({**row, "conf": 0.95}, "gamma")
    assert ours["asr"] == pytest.approx(row["rate_adj"], rel=RTOL)
    assert ours["asr_se"] == pytest.approx(row["se_rate_adj"], rel=RTOL)


def test_columns_are_the_contract():
    out = age_standardised_rates(dataset("small"), by=["stratum"])
    assert out.columns == ["stratum", *ASR_COLUMNS, *EXTRA_COLUMNS]
    assert list(ASR_COLUMNS) == [
        "cases",
        "pyrs",
        "crude_rate",
        "crude_lower",
        "crude_upper",
        "asr",
        "asr_se",
        "asr_lower",
        "asr_upper",
        "cum_rate_0_74",
        "cum_risk_0_74",
        "cum_risk_lower",
        "cum_risk_upper",
    ]
    assert out["empty_age_groups"].to_list() == [1, 2]


def test_no_cases_gives_zero_and_gamma_upper_only():
    for ci in CI_METHODS:
        out = age_standardised_rates(dataset("nocases"), ci=ci).row(0, named=True)
        assert out["asr"] == 0 and out["asr_lower"] == 0 and out["cum_risk_0_74"] == 0
        assert (out["asr_upper"] is None) == (ci != "gamma")


def test_a_stratum_without_person_years_is_null_never_nan():
    frame = pl.DataFrame(
        {"sex": ["M", "F"], "age_group": ["0-4", "0-4"], "cases": [0, 2], "pyrs": [0.0, 100]}
    )
    for ci in CI_METHODS:
        out = age_standardised_rates(frame, by=["sex"], ci=ci)
        male = out.row(0, named=True)
        assert male["cases"] == 0 and male["pyrs"] == 0
        assert all(male[c] is None for c in ASR_COLUMNS[2:])
        floats = out.select(pl.col(pl.Float64))
        assert not any(floats.select(pl.all().is_nan().any()).row(0))


@pytest.mark.parametrize("row", REF["rate_ratio"], ids=lambda r: f"{r['dataset']}-{r['standard']}")
def test_rate_ratio_equals_r(row):
    """R: ``rr = a1 / a2`` (ASRs of M over F, 95%); lognormal
    ``rr * exp(+-z * sqrt((s1/a1)^2 + (s2/a2)^2))``; Boyle & Parkin (1991)
    ``rr^(1 +- z/chi)`` with ``chi = (a1 - a2) / sqrt(s1^2 + s2^2)``. rtol=1e-9."""
    rates = age_standardised_rates(
        dataset(row["dataset"]), by=["stratum"], standard=row["standard"]
    )
    for method, prefix in (("lognormal", "lognormal"), ("boyle-parkin", "boyle_parkin")):
        got = rate_ratio(rates, "stratum", "M", "F", method=method).row(0, named=True)
        assert got["asr_numerator"] == pytest.approx(row["asr_numerator"], rel=RTOL)
        assert got["asr_denominator"] == pytest.approx(row["asr_denominator"], rel=RTOL)
        assert got["rate_ratio"] == pytest.approx(row["rate_ratio"], rel=RTOL)
        assert got["rate_ratio_lower"] == pytest.approx(row[f"{prefix}_lower"], rel=RTOL)
        assert got["rate_ratio_upper"] == pytest.approx(row[f"{prefix}_upper"], rel=RTOL)


def test_rate_ratio_per_stratum_and_undefined_cases():
    frame = pl.DataFrame(
        {
            "site": ["C22", "C22", "C50", "C50"],
            "sex": ["M", "F", "M", "F"],
            "age_group": ["50-54"] * 4,
            "cases": [10, 5, 0, 8],
            "pyrs": [1000.0] * 4,
        }
    )
    rates = age_standardised_rates(frame, by=["site", "sex"])
    got = rate_ratio(rates, "sex", "M", "F", by=["site"])
    assert got["site"].to_list() == ["C22", "C50"]
    assert got["rate_ratio"].to_list() == pytest.approx([2.0, 0.0])
    assert got["rate_ratio_lower"][1] is None and got["rate_ratio_upper"][1] is None
    same = rate_ratio(rates.filter(pl.col("site") == "C22"), "sex", "M", "M", method="boyle-parkin")
    assert same["rate_ratio"][0] == 1 and same["rate_ratio_lower"][0] is None
    with pytest.raises(InputError, match="exactly one row"):
        rate_ratio(rates, "sex", "M", "X", by=["site"])
    with pytest.raises(InputError, match="method"):
        rate_ratio(rates, "sex", "M", "F", by=["site"], method="wald")


def test_bad_options():
    with pytest.raises(InputError, match="CI method"):
        age_standardised_rates(dataset("sparse"), ci="exact")
    with pytest.raises(InputError, match="standard population"):
        age_standardised_rates(dataset("sparse"), standard="world-segi-1966")
    with pytest.raises(InputError, match="confidence level"):
        age_standardised_rates(dataset("sparse"), conf=95)


def test_finer_groups_against_another_standard_are_refused():
    with pytest.raises(InputError, match="does not fall within exactly one"):
        age_standardised_rates(dataset("europe76"), standard="world-segi")


REFERENCE_FILES = {
    "world-segi": "segi_1960_world_18.csv",
    "world-who-2000": "who_2000_2025_world_21.csv",
    "europe-1976": "european_1976_19.csv",
    "europe-2013": "european_2013_21.csv",
}


@pytest.mark.parametrize("standard", STANDARDS)
def test_weights_on_the_18_groups_equal_the_published_tables(reference_dir, standard):
    """The weights the ASR uses, on 0-4 ... 85+, are the transcribed published standards
    (../shared/reference/standard-populations) summed into those groups, divided by their
    total; exact."""
    path = reference_dir / "standard-populations" / REFERENCE_FILES[standard]
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    merged = dict.fromkeys(AGE_GROUPS, 0.0)
    for r in rows:
        start = int(r["age_start"])
        label = "85+" if start >= 85 else AGE_GROUPS[start // 5]
        merged[label] += float(r["weight_per_100000"])
    total = sum(float(r["weight_per_100000"]) for r in rows)
    assert weights_for(standard, AGE_GROUPS) == merged
    assert standard_weights(standard, AGE_GROUPS) == {k: v / total for k, v in merged.items()}
    assert math.isclose(sum(standard_weights(standard, AGE_GROUPS).values()), 1, rel_tol=1e-15)


def _standard_shaped(standard: str, rates: list[float], scale: float) -> pl.DataFrame:
    weights = weights_for(standard, AGE_GROUPS)
    pyrs = [weights[g] * scale for g in AGE_GROUPS]
    return pl.DataFrame(
        {
            "age_group": AGE_GROUPS,
            "cases": [round(r * y) for r, y in zip(rates, pyrs, strict=True)],
            "pyrs": pyrs,
        }
    )


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(STANDARDS),
    st.lists(st.floats(0, 0.01), min_size=18, max_size=18),
    st.sampled_from([1.0, 10.0, 37.5]),
)
def test_population_shaped_like_the_standard_has_asr_equal_to_crude(standard, rates, scale):
    out = age_standardised_rates(_standard_shaped(standard, rates, scale), standard=standard)
    row = out.row(0, named=True)
    assert row["asr"] == pytest.approx(row["crude_rate"], rel=1e-12, abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(0, 300), min_size=18, max_size=18),
    st.lists(st.floats(100, 1e6), min_size=18, max_size=18),
    st.integers(2, 10),
    st.sampled_from(STANDARDS),
)
def test_asr_scales_linearly_with_counts(cases, pyrs, k, standard):
    frame = pl.DataFrame({"age_group": AGE_GROUPS, "cases": cases, "pyrs": pyrs})
    base = age_standardised_rates(frame, standard=standard).row(0, named=True)
    scaled = age_standardised_rates(frame.with_columns(pl.col("cases") * k), standard=standard).row(
        0, named=True
    )
    for column in ("crude_rate", "asr", "cum_rate_0_74", "cum_rate_0_64"):
        assert scaled[column] == pytest.approx(k * base[column], rel=1e-12, abs=1e-300)
    assert scaled["asr_se"] == pytest.approx(math.sqrt(k) * base["asr_se"], rel=1e-12, abs=1e-300)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(0, 300), min_size=17, max_size=17),
    st.lists(st.floats(100, 1e6), min_size=17, max_size=17),
    st.integers(0, 17),
    st.sampled_from(CI_METHODS),
)
def test_an_added_empty_age_group_changes_nothing(cases, pyrs, missing, ci):
    groups = [g for i, g in enumerate(AGE_GROUPS) if i != missing]
    frame = pl.DataFrame({"age_group": groups, "cases": cases, "pyrs": pyrs})
    added = pl.concat(
        [frame, pl.DataFrame({"age_group": [AGE_GROUPS[missing]], "cases": [0], "pyrs": [0.0]})]
    )
    before = age_standardised_rates(frame, ci=ci)
    after = age_standardised_rates(added, ci=ci)
    assert before.equals(after)
    assert before["empty_age_groups"][0] == 1
    values = np.array([v for v in before.row(0) if v is not None], dtype=float)
    assert np.isfinite(values).all()
