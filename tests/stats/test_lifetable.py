"""Population life tables: reading, checks, lookups, coverage and extension."""

from __future__ import annotations

import datetime as dt
import logging

import numpy as np
import polars as pl
import pytest

from oncoreg.errors import InputError
from oncoreg.stats.lifetable import LifeTable, jan1_days, year_of_days
from oncoreg.stats.survival_input import Origin


def _frame(ages=range(0, 3), years=range(2000, 2002), sexes=(1, 2), value="haz") -> pl.DataFrame:
    rows = [
        {"sex": s, "age": a, "year": y, value: 0.001 * (a + 1) * s + 0.0001 * (y - 2000)}
        for s in sexes
        for a in ages
        for y in years
    ]
    return pl.DataFrame(rows)


def test_hazards_by_sex_age_and_year():
    table = LifeTable.from_frame(_frame())
    assert (table.first_age, table.last_age, table.first_year, table.last_year) == (
        0,
        2,
        2000,
        2001,
    )
    got = table.rates(np.array([1, 2]), np.array([2, 0]), np.array([2001, 2000]))
    np.testing.assert_allclose(got, [0.003 + 0.0001, 0.002], rtol=1e-12)


def test_qx_becomes_minus_log_one_minus_qx():
    frame = _frame(value="qx")
    table = LifeTable.from_frame(frame)
    expected = -np.log1p(-frame.filter(pl.col("sex") == 2, pl.col("age") == 1)["qx"].to_numpy())
    np.testing.assert_allclose(table.hazard[1, 1, :], expected, rtol=1e-15)


def test_text_columns_are_parsed_and_the_table_round_trips():
    frame = _frame().with_columns(pl.all().cast(pl.String))
    table = LifeTable.from_frame(frame)
    back = table.to_frame().sort("sex", "age", "year")
    expected = _frame().sort("sex", "age", "year")
    np.testing.assert_allclose(back["haz"].to_numpy(), expected["haz"].to_numpy(), rtol=1e-15)


def test_one_sex_only_is_a_table():
    table = LifeTable.from_frame(_frame(sexes=(2,)))
    assert table.sexes == (2,)


def _problems(err: pytest.ExceptionInfo) -> list[str]:
    return [str(p) for p in err.value.problems]


def test_bad_values_are_reported_by_row_and_column():
    frame = _frame().with_columns(pl.all().cast(pl.String))
    frame = frame.with_columns(
        pl.when(pl.int_range(pl.len()) == 0).then(pl.lit("3")).otherwise("sex").alias("sex"),
        pl.when(pl.int_range(pl.len()) == 1).then(pl.lit("1.5")).otherwise("age").alias("age"),
        pl.when(pl.int_range(pl.len()) == 2).then(pl.lit("-0.1")).otherwise("haz").alias("haz"),
        pl.when(pl.int_range(pl.len()) == 3).then(pl.lit("")).otherwise("year").alias("year"),
    )
    with pytest.raises(InputError) as err:
        LifeTable.from_frame(frame, origin=Origin("LIFETABLE.csv", 2))
    assert _problems(err) == [
        "LIFETABLE.csv, row 2, field 'sex': must be 1 (male) or 2 (female)",
        "LIFETABLE.csv, row 3, field 'age': must be a whole number",
        "LIFETABLE.csv, row 5, field 'year': missing value",
        "LIFETABLE.csv, row 4, field 'haz': must not be negative",
    ]


def test_qx_of_one_is_refused():
    frame = _frame(value="qx").with_columns(pl.lit(1.0).alias("qx"))
    with pytest.raises(InputError) as err:
        LifeTable.from_frame(frame)
    assert "must be at least 0, below 1" in _problems(err)[0]


def test_missing_columns_named():
    with pytest.raises(InputError, match="missing column"):
        LifeTable.from_frame(_frame().drop("haz"))


def test_duplicate_and_missing_cells():
    duplicated = pl.concat([_frame(), _frame().head(1)])
    with pytest.raises(InputError, match="repeats") as err:
        LifeTable.from_frame(duplicated, origin=Origin("LIFETABLE.csv", 2))
    assert _problems(err) == ["LIFETABLE.csv, row 14: repeats an earlier row's sex, age and year"]
    holed = _frame().filter(
        ~((pl.col("sex") == 1) & (pl.col("age") == 1) & (pl.col("year") == 2001))
    )
    with pytest.raises(InputError, match="misses 1") as err:
        LifeTable.from_frame(holed)
    assert _problems(err) == ["no rate for sex 1, age 1, year 2001"]


def _cover(table: LifeTable, sex, ages, years):
    n = len(sex)
    table.check_coverage(
        np.array(sex),
        (np.array(ages[0]), np.array(ages[1])),
        (np.array(years[0]), np.array(years[1])),
        Origin("COHORT.csv", 2),
        np.arange(n),
    )


def test_coverage_names_the_cohort_rows():
    table = LifeTable.from_frame(_frame(sexes=(2,)))
    with pytest.raises(InputError, match="does not cover") as err:
        _cover(
            table,
            [2, 2, 1, 2],
            ([0, 1, 0, 0], [1, 3, 0, 0]),
            ([2000, 2000, 2000, 2000], [2001, 2001, 2000, 2002]),
        )
    assert _problems(err) == [
        "COHORT.csv, row 4, field 'sex': the life table has no rates for this sex",
        "COHORT.csv, row 3, field 'age': follow-up reaches ages past the life table's 2",
        "COHORT.csv, row 5, field 'dx_date': follow-up runs past the life table's 2001",
    ]


def test_extension_carries_the_edges_forward_and_logs(caplog):
    table = LifeTable.from_frame(_frame(), extend=True)
    with caplog.at_level(logging.WARNING, logger="oncoreg.stats"):
        _cover(table, [1, 2], ([0, 1], [5, 1]), ([2000, 2000], [2001, 2003]))
    assert "1 patients reach ages past 2" in caplog.text
    assert "1 patients are followed past 2001" in caplog.text
    got = table.rates(np.array([1, 1]), np.array([9, 2]), np.array([2030, 2001]))
    assert got[0] == got[1] == table.hazard[0, 2, 1]


def test_extension_never_covers_younger_ages_or_earlier_years():
    table = LifeTable.from_frame(_frame(ages=range(15, 17)), extend=True)
    with pytest.raises(InputError) as err:
        _cover(table, [1, 1], ([14, 15], [15, 15]), ([2000, 1999], [2000, 2000]))
    assert [p.field for p in err.value.problems] == ["age", "dx_date"]


def test_calendar_helpers_match_the_date_library():
    years = np.arange(1890, 2110)
    expected = [(dt.date(int(y), 1, 1) - dt.date(1970, 1, 1)).days for y in years]
    np.testing.assert_array_equal(jan1_days(years), expected)
    days = np.array([-1.0, 0.0, 0.5, 364.99, 365.0, 10956.9999, 10957.0, 47482.0])
    expected = [(dt.date(1970, 1, 1) + dt.timedelta(days=float(d))).year for d in days]
    np.testing.assert_array_equal(year_of_days(days), expected)
