"""k-anonymity by generalisation and suppression (oncoreg.network.kanonymity).

Method: Sweeney L. k-anonymity: a model for protecting privacy. Int J Uncertain Fuzz
Knowl-Based Syst 2002;10(5):557-570, with the Datafly choice of the attribute to
generalise (the quasi-identifier with the most distinct values).
"""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oncoreg.errors import InputError
from oncoreg.network.kanonymity import HIERARCHIES, KAnonymityRefused, anonymise, levels

AGE_GROUPS = [f"{a}-{a + 4}" for a in range(0, 85, 5)] + ["85+"]
QIS = ["sex", "age_group", "diagnosis_month", "province", "topography"]


def _classes(frame: pl.DataFrame, names: list[str]) -> list[int]:
    if frame.is_empty():
        return []
    if not names:
        return [frame.height]
    return frame.group_by(names).len()["len"].to_list()


def test_a_frame_already_k_anonymous_is_released_as_it_is():
    frame = pl.DataFrame({"sex": ["1"] * 5 + ["2"] * 5, "age_group": ["40-44"] * 10})
    result = anonymise(frame, ["sex", "age_group"], k=5)
    assert result.frame.equals(frame)
    assert result.suppressed_rows == 0
    assert result.levels_applied == {"sex": "sex", "age_group": "5-year"}
    assert result.smallest_class == 5


def test_ages_are_widened_before_anything_is_suppressed():
    # 40-44 x3 and 45-49 x2: neither class has 3 records; the 10-year group 40-49 has 5
    frame = pl.DataFrame({"sex": ["2"] * 5, "age_group": ["40-44"] * 3 + ["45-49"] * 2})
    result = anonymise(frame, ["sex", "age_group"], k=3, max_suppressed=0)
    assert result.frame["age_group"].to_list() == ["40-49"] * 5
    assert result.levels_applied["age_group"] == "10-year"
    assert result.suppressed_rows == 0


def test_records_of_small_classes_are_suppressed_within_the_share():
    # sex is never generalised: the one man is suppressed (1 of 20 = 5%)
    frame = pl.DataFrame({"sex": ["2"] * 19 + ["1"], "age_group": ["60-64"] * 20})
    result = anonymise(frame, ["sex", "age_group"], k=5, max_suppressed=0.05)
    assert result.suppressed_rows == 1
    assert result.frame.height == 19
    assert set(result.frame["sex"]) == {"2"}


def test_an_extract_that_needs_too_many_suppressions_is_refused_with_the_figures():
    frame = pl.DataFrame({"sex": ["2"] * 18 + ["1", "9"]})
    with pytest.raises(KAnonymityRefused) as refused:
        anonymise(frame, ["sex"], k=5, max_suppressed=0.05)
    assert refused.value.message == "k=5 needs 10% of the 20 records removed; the limit is 5%"
    assert isinstance(refused.value, InputError)


def test_month_province_and_topography_climb_their_hierarchies():
    frame = pl.DataFrame(
        {
            "diagnosis_month": ["2020-01", "2021-06", "2022-03", "2023-12", "2024-07"],
            "province": ["01", "31", "33", "37", "22"],  # all in the Red River Delta
            "topography": ["C50.1", "C50.2", "C50.4", "C50.9", "C50.8"],
        }
    )
    result = anonymise(frame, list(frame.columns), k=5, max_suppressed=0)
    assert result.frame["diagnosis_month"].to_list() == ["2020-2024"] * 5
    assert result.frame["province"].to_list() == ["RRD"] * 5
    assert result.frame["topography"].to_list() == ["C50"] * 5


def test_the_site_group_follows_the_derived_column_when_given():
    frame = pl.DataFrame({"topography": ["C42.1", "C42.0", "C77.0", "C42.1"]})
    derived = pl.DataFrame({"site_group": ["leukaemia", "leukaemia", "leukaemia", "leukaemia"]})
    result = anonymise(frame, ["topography"], k=4, max_suppressed=0, derived=derived)
    assert result.frame["topography"].to_list() == ["leukaemia"] * 4
    assert result.levels_applied["topography"] == "site group"


def test_unknown_values_stay_unknown_and_form_their_own_class():
    frame = pl.DataFrame({"age_group": [None, None, "50-54", "55-59"]})
    result = anonymise(frame, ["age_group"], k=2, max_suppressed=0)
    assert result.frame["age_group"].to_list() == [None, None, "50-59", "50-59"]


def test_bad_arguments_are_input_errors():
    frame = pl.DataFrame({"sex": ["1"]})
    with pytest.raises(InputError, match="not a column"):
        anonymise(frame, ["age_group"])
    with pytest.raises(InputError, match="k must be"):
        anonymise(frame, ["sex"], k=0)


def test_every_hierarchy_starts_at_the_variable_as_built():
    assert levels("age_group") == ["5-year", "10-year", "20-year", "all"]
    assert all(steps[0][1] is None for steps in HIERARCHIES.values())


@st.composite
def frames(draw):
    n = draw(st.integers(0, 60))
    maybe = lambda values: st.one_of(st.none(), st.sampled_from(values))  # noqa: E731
    columns = {
        "sex": maybe(["1", "2", "9"]),
        "age_group": maybe(AGE_GROUPS),
        "diagnosis_month": maybe([f"20{y:02d}-{m:02d}" for y in range(15, 25) for m in (1, 6)]),
        "province": maybe(["01", "79", "48", "92", "52", "99"]),
        "topography": maybe(["C50.9", "C34.1", "C18.7", "C16.9", "C22.0", "C42.1"]),
    }
    data = {
        name: draw(st.lists(values, min_size=n, max_size=n)) for name, values in columns.items()
    }
    names = draw(st.lists(st.sampled_from(QIS), unique=True, max_size=len(QIS)))
    return pl.DataFrame(data, schema=dict.fromkeys(columns, pl.String)), names


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frames(), st.integers(1, 8), st.floats(0, 0.49))
def test_every_released_combination_has_at_least_k_records(case, k, max_suppressed):
    frame, names = case
    try:
        result = anonymise(frame, names, k=k, max_suppressed=max_suppressed)
    except KAnonymityRefused as refused:
        assert f"k={k} needs" in refused.message
        assert f"of the {frame.height} records" in refused.message
        return
    assert all(size >= k for size in _classes(result.frame, names))
    assert result.frame.height + result.suppressed_rows == frame.height
    assert result.suppressed_rows <= max_suppressed * frame.height + 1e-9
    assert result.frame.columns == frame.columns
    if not result.frame.is_empty():
        assert result.smallest_class == min(_classes(result.frame, names))


@settings(max_examples=100, deadline=None)
@given(frames(), st.integers(1, 8))
def test_suppressing_everything_needed_is_never_refused(case, k):
    """With the whole frame allowed to go, there is always an answer (maybe empty)."""
    frame, names = case
    result = anonymise(frame, names, k=k, max_suppressed=1.0)
    assert all(size >= k for size in _classes(result.frame, names))
    assert result.frame.height + result.suppressed_rows == frame.height
