"""Annual percent change, against R's ``lm(log(rate) ~ year)``.

Reference numbers come from ``reference/rates_reference.json``, written by
``reference/rates_reference.R`` (R 4.2.2, epitools 0.5-10.1; see its header). The tests
never run R.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from oncoreg.errors import InputError
from oncoreg.stats.rates import crude_rates
from oncoreg.stats.standardise import age_standardised_rates
from oncoreg.stats.trend import APC_COLUMNS, annual_percent_change

REF = json.loads((Path(__file__).parent / "reference" / "rates_reference.json").read_text())
RTOL = 1e-9


def trend_counts() -> pl.DataFrame:
    return pl.DataFrame(REF["trend_counts"])


@pytest.mark.parametrize("conf_row", REF["apc_small"]["expected"], ids=lambda r: str(r["conf"]))
def test_apc_equals_lm(conf_row):
    """R: ``fit <- lm(log(rate) ~ year)``; ``100 * (exp(coef(fit)[2]) - 1)``,
    ``100 * (exp(confint(fit, level = conf)[2, ]) - 1)``,
    ``summary(fit)$coefficients[2, 4]``. rtol=1e-9."""
    table = pl.DataFrame(REF["apc_small"]["table"])
    got = annual_percent_change(table, value="rate", conf=conf_row["conf"]).row(0, named=True)
    assert (got["first_year"], got["last_year"], got["years"]) == (2001, 2007, 7)
    for column in ("apc", "apc_lower", "apc_upper", "p_value"):
        assert got[column] == pytest.approx(conf_row[column], rel=RTOL)


@pytest.mark.parametrize("value", ["asr", "crude_rate"])
def test_apc_of_asr_and_crude_rate_per_sex_equals_r(value):
    """R: for each sex, the yearly ``1e5 * ageadjust.direct(d, y, stdpop = segi)["adj.rate"]``
    (or ``1e5 * sum(d) / sum(y)``) of the Poisson-drawn trend table, then
    ``lm(log(rate) ~ year)`` as above. rtol=1e-9."""
    counts = trend_counts()
    if value == "asr":
        rates = age_standardised_rates(counts, by=["sex", "year"])
    else:
        rates = crude_rates(counts, by=["sex", "year"])
    got = annual_percent_change(rates, value=value, by=["sex"])
    assert got.columns == ["sex", *APC_COLUMNS]
    for row in got.iter_rows(named=True):
        ref = next(r for r in REF["apc"] if r["sex"] == row["sex"] and r["value"] == value)
        assert (row["first_year"], row["last_year"], row["years"]) == (2010, 2019, 10)
        for column in ("apc", "apc_lower", "apc_upper", "p_value"):
            assert row[column] == pytest.approx(ref[column], rel=RTOL)


def test_yearly_asr_equals_epitools():
    """R: ``1e5 * ageadjust.direct(d, y, stdpop = segi)["adj.rate"]`` per sex and year;
    rtol=1e-9."""
    rates = age_standardised_rates(trend_counts(), by=["sex", "year"])
    for sex in ("M", "F"):
        ours = rates.filter(pl.col("sex") == sex).sort("year")["asr"].to_list()
        assert ours == pytest.approx(REF["trend_asr"][sex], rel=RTOL)


def test_rows_in_any_order_give_the_same_apc():
    table = pl.DataFrame(REF["apc_small"]["table"])
    shuffled = table.sample(fraction=1.0, shuffle=True, seed=3)
    assert annual_percent_change(shuffled, value="rate").equals(
        annual_percent_change(table, value="rate")
    )


def test_a_zero_rate_names_stratum_and_year():
    table = pl.DataFrame(
        {
            "sex": ["M"] * 4 + ["F"] * 3,
            "year": [1, 2, 3, 4, 1, 2, 3],
            "asr": [1.0, 2, 0, 3, 1, 1, 1.5],
        }
    )
    with pytest.raises(InputError) as caught:
        annual_percent_change(table, by=["sex"], file="COUNTS.csv")
    messages = [p.message for p in caught.value.problems]
    assert messages == ["stratum sex=M: year 3 has a rate of 0"]
    assert caught.value.problems[0].file == "COUNTS.csv"
    assert "cannot be logged" in caught.value.hint


def test_too_few_years_duplicates_and_missing_rates():
    table = pl.DataFrame(
        {"sex": ["M", "M", "F", "F", "F"], "year": [1, 2, 1, 1, 2], "asr": [1.0, 2, 1, 1, None]}
    )
    with pytest.raises(InputError) as caught:
        annual_percent_change(table, by=["sex"])
    messages = sorted(p.message for p in caught.value.problems)
    assert messages == [
        "stratum sex=F: needs at least 3 years",
        "stratum sex=F: year 1 appears twice",
        "stratum sex=F: year 2 has no rate",
        "stratum sex=M: needs at least 3 years",
    ]


def test_missing_columns():
    with pytest.raises(InputError, match="missing column"):
        annual_percent_change(pl.DataFrame({"year": [1, 2, 3]}))


def test_exact_line_has_p_value_zero():
    table = pl.DataFrame({"year": [2000, 2001, 2002], "asr": [1.0, 2.0, 4.0]})
    got = annual_percent_change(table).row(0, named=True)
    assert got["apc"] == pytest.approx(100.0)
    assert got["apc_lower"] == pytest.approx(100.0) and got["p_value"] == 0.0
