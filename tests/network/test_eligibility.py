"""Trial eligibility: the parser and the evaluation of a case, worked by hand.

One patient meets every criterion of a lung-cancer trial; each other case changes one
thing and fails (or leaves unknown) exactly that criterion, whose reason names it.
Property tests: the parser refuses anything it cannot read with InputError only, and a
parsed eligibility reads back the same from its mapping.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oncoreg.errors import InputError
from oncoreg.network.eligibility import (
    CRITERIA,
    TREATMENTS,
    Case,
    Verdict,
    describe,
    evaluate,
    parse_eligibility,
    stage_matches,
    stage_parts,
    verdict,
    whole_months,
    whole_years,
)

TODAY = date(2026, 6, 15)
TRIAL = {
    "sites": ["C34", "C18-C20", "C50.0-C50.9"],
    "morphology": ["8140/3", "8250-8255", "8010-8046"],
    "exclude_morphology": ["8041"],
    "stage": ["III", "IV"],
    "age": {"min": 18, "max": 75},
    "sex": "1",
    "ecog_max": 1,
    "prior_treatments": {"required": ["chemotherapy"], "excluded": ["radiotherapy"]},
    "months_since_diagnosis": {"max": 6},
}
# (small-cell carcinoma 8041 is excluded from the squamous and large-cell range 8010-8046)
# a man of 66 with stage IIIA adenocarcinoma of the upper lobe, diagnosed 3 months ago,
# given chemotherapy and no radiotherapy, ECOG 1, alive
PATIENT = Case(
    sex="1",
    birth_date=date(1960, 1, 20),
    topography="C34.1",
    morphology="8140/3",
    stage="IIIA",
    diagnosis_date=date(2026, 3, 10),
    treatments={"chemotherapy": True, "radiotherapy": False},
    ecog=1,
    vital_status="1",
)


def _by_criterion(case: Case, trial: dict = TRIAL) -> dict:
    return {r.criterion: r for r in evaluate(parse_eligibility(trial), case, TODAY)}


def test_a_patient_who_meets_every_criterion_is_eligible():
    results = evaluate(parse_eligibility(TRIAL), PATIENT, TODAY)
    assert [r.criterion for r in results] == [
        "alive",
        "sites",
        "morphology",
        "exclude_morphology",
        "stage",
        "age",
        "sex",
        "ecog_max",
        "prior_treatments.required.chemotherapy",
        "prior_treatments.excluded.radiotherapy",
        "months_since_diagnosis",
    ]
    assert all(r.met is True for r in results), [r.reason for r in results if not r.met]
    assert verdict(results) is Verdict.ELIGIBLE
    reasons = {r.criterion: r.reason for r in results}
    assert reasons["sites"] == "site C34.1 is in C34"
    assert reasons["age"] == "age 66 is within 18-75"
    assert reasons["stage"] == "stage IIIA is in III"
    assert reasons["months_since_diagnosis"] == "diagnosed 3 months ago, at most 6"


FAILS = [
    ("alive", {"vital_status": "2"}, "the person has died"),
    ("sites", {"topography": "C61.9"}, "site C61.9 is not in C34, C18-C20, C50.0-C50.9"),
    ("morphology", {"morphology": "8500/3"}, "histology 8500/3 is not in 8140/3, 8250-8255, 8010"),
    ("morphology", {"morphology": "8140/2"}, "histology 8140/2 is not in"),
    ("exclude_morphology", {"morphology": "8041/3"}, "histology 8041/3 is excluded (8041/3)"),
    ("stage", {"stage": "II"}, "stage II is not in III, IV"),
    ("stage", {"stage": "IIB"}, "stage IIB is not in III, IV"),
    ("age", {"birth_date": date(1950, 6, 1)}, "age 76 is above 75"),
    ("age", {"birth_date": date(2008, 6, 16)}, "age 17 is below 18"),
    ("sex", {"sex": "2"}, "sex is female; the trial takes male patients only"),
    ("ecog_max", {"ecog": 2}, "ECOG 2 is above 1"),
    (
        "prior_treatments.required.chemotherapy",
        {"treatments": {"chemotherapy": False, "radiotherapy": False}},
        "chemotherapy not given",
    ),
    (
        "prior_treatments.excluded.radiotherapy",
        {"treatments": {"chemotherapy": True, "radiotherapy": True}},
        "radiotherapy already given",
    ),
    (
        "months_since_diagnosis",
        {"diagnosis_date": date(2025, 9, 1)},
        "diagnosed 9 months ago, more than 6",
    ),
]


@pytest.mark.parametrize(("criterion", "change", "reason"), FAILS)
def test_a_patient_failing_one_criterion_is_not_eligible_and_the_reason_names_it(
    criterion, change, reason
):
    results = evaluate(parse_eligibility(TRIAL), replace(PATIENT, **change), TODAY)
    failed = [r for r in results if r.met is False]
    assert [r.criterion for r in failed] == [criterion]
    assert failed[0].reason.startswith(reason)
    assert verdict(results) is Verdict.NOT_ELIGIBLE


UNKNOWN = [
    ("ecog_max", {"ecog": None}, "ECOG not recorded: check at screening"),
    ("stage", {"stage": None}, "stage not recorded: check at screening"),
    ("stage", {"stage": "NA"}, "stage not recorded: check at screening"),
    ("alive", {"vital_status": None}, "vital status not recorded: check at screening"),
    ("age", {"birth_date": None}, "birth date not recorded: check at screening"),
    ("sex", {"sex": "9"}, "sex not recorded: check at screening"),
    (
        "prior_treatments.excluded.radiotherapy",
        {"treatments": {"chemotherapy": True}},
        "radiotherapy not recorded: check at screening",
    ),
]


@pytest.mark.parametrize(("criterion", "change", "reason"), UNKNOWN)
def test_a_value_the_registry_lacks_is_to_be_checked_and_makes_possibly_eligible(
    criterion, change, reason
):
    results = evaluate(parse_eligibility(TRIAL), replace(PATIENT, **change), TODAY)
    unknown = [r for r in results if r.met is None]
    assert [(r.criterion, r.reason) for r in unknown] == [(criterion, reason)]
    assert verdict(results) is Verdict.POSSIBLE


def test_unknown_never_hides_a_failure():
    case = replace(PATIENT, ecog=None, topography="C61.9")
    assert verdict(evaluate(parse_eligibility(TRIAL), case, TODAY)) is Verdict.NOT_ELIGIBLE


def test_a_dead_person_is_never_eligible_even_without_criteria():
    results = evaluate(parse_eligibility({}), replace(PATIENT, vital_status="2"), TODAY)
    assert verdict(results) is Verdict.NOT_ELIGIBLE
    assert verdict(evaluate(parse_eligibility({}), PATIENT, TODAY)) is Verdict.ELIGIBLE


@pytest.mark.parametrize(
    ("topography", "met"),
    [("C18.0", True), ("C19.9", True), ("C20.9", True), ("C21.0", False), ("C50.9", True)],
)
def test_site_ranges_include_both_ends(topography, met):
    assert _by_criterion(replace(PATIENT, topography=topography))["sites"].met is met


@pytest.mark.parametrize(
    ("morphology", "met"),
    [("8250/3", True), ("8255/3", True), ("8256/3", False), ("8249/3", False)],
)
def test_morphology_ranges_take_behaviour_3_unless_written(morphology, met):
    assert _by_criterion(replace(PATIENT, morphology=morphology))["morphology"].met is met


@pytest.mark.parametrize(
    ("wanted", "stage", "met"),
    [
        ("III", "III", True),
        ("III", "IIIA", True),
        ("III", "IIIC", True),
        ("I", "IA1", True),
        ("I", "II", False),
        ("I", "IV", False),
        ("II", "III", False),
        ("IIIA", "IIIA", True),
        ("IIIA", "IIIB", False),
        ("IIIA", "III", False),
    ],
)
def test_stage_is_a_prefix_match_within_one_stage_group(wanted, stage, met):
    assert stage_matches(wanted, stage_parts(stage)) is met


def test_completed_years_and_months():
    assert whole_years(date(1960, 6, 15), TODAY) == 66
    assert whole_years(date(1960, 6, 16), TODAY) == 65
    assert whole_months(date(2026, 3, 15), TODAY) == 3
    assert whole_months(date(2026, 3, 16), TODAY) == 2


BAD = [
    ({"age": {"min": "x"}}, "eligibility.age.min: expected a whole number of years, got 'x'"),
    ({"age": {"min": 80, "max": 20}}, "eligibility.age: min 80 is greater than max 20"),
    ({"age": {"low": 18}}, "eligibility.age.low: unknown key"),
    ({"age": 18}, "eligibility.age: expected a table with min and/or max"),
    ({"agee": {"min": 18}}, "eligibility.agee: unknown criterion"),
    ({"sites": ["C99"]}, "eligibility.sites[0]: 'C99' is not a known topography code"),
    ({"sites": ["C20-C18"]}, "eligibility.sites[0]: 'C20-C18': the range starts after it ends"),
    ({"sites": ["lung"]}, "eligibility.sites[0]: 'lung' is not a topography code"),
    ({"sites": [34]}, "eligibility.sites[0]: expected a code as text, got 34"),
    ({"sites": []}, "eligibility.sites: expected a list of codes"),
    ({"morphology": ["9999/3"]}, "eligibility.morphology[0]: '9999/3' is not a known"),
    ({"exclude_morphology": ["80x1"]}, "eligibility.exclude_morphology[0]: '80x1' is not a"),
    ({"morphology": ["8255-8250"]}, "eligibility.morphology[0]: '8255-8250': the range starts"),
    ({"stage": ["V"]}, "eligibility.stage[0]: 'V' is not a stage group"),
    ({"sex": "m"}, 'eligibility.sex: expected "1" (male), "2" (female) or "any", got \'m\''),
    ({"ecog_max": 7}, "eligibility.ecog_max: 7 is outside 0-4"),
    ({"ecog_max": True}, "eligibility.ecog_max: expected an ECOG, got True"),
    (
        {"prior_treatments": {"required": ["immunotherapy"]}},
        "eligibility.prior_treatments.required[0]: 'immunotherapy' is not a treatment",
    ),
    (
        {"prior_treatments": {"required": ["surgery"], "excluded": ["surgery"]}},
        "eligibility.prior_treatments: 'surgery' is both required and excluded",
    ),
    (
        {"months_since_diagnosis": {"max": 2.5}},
        "eligibility.months_since_diagnosis.max: expected a whole number of months, got 2.5",
    ),
    ([1, 2], "eligibility: expected a table of criteria"),
]


@pytest.mark.parametrize(("mapping", "message"), BAD)
def test_every_parse_error_names_its_criterion_and_bad_value(mapping, message):
    with pytest.raises(InputError) as caught:
        parse_eligibility(mapping)
    assert message in caught.value.message
    assert caught.value.problems and all(p.field for p in caught.value.problems)


def test_an_unknown_criterion_is_listed_with_the_known_ones():
    with pytest.raises(InputError) as caught:
        parse_eligibility({"ecog": 1})
    assert caught.value.problems[0].hint == "known criteria: " + ", ".join(CRITERIA)


def test_every_problem_is_reported_at_once():
    with pytest.raises(InputError) as caught:
        parse_eligibility({"age": {"min": -1}, "sex": "x", "stage": ["IIII"]})
    fields = [p.field for p in caught.value.problems]
    assert fields == ["eligibility.stage[0]", "eligibility.sex", "eligibility.age.min"]


def test_spellings_are_normalised():
    parsed = parse_eligibility(
        {"sites": "c341", "morphology": ["M-8140/3", "8140"], "stage": ["iiia"], "sex": 2}
    )
    assert parsed.to_mapping() == {
        "sites": ["C34.1"],
        "morphology": ["8140/3"],
        "stage": ["IIIA"],
        "sex": "2",
    }


def test_the_eligibility_reads_in_words():
    words = [template % values for _, template, values in describe(parse_eligibility(TRIAL))]
    assert words[0] == "Site (ICD-O-3 topography): C34, C18-C20, C50.0-C50.9"
    assert "Age at screening: 18-75 years" in words
    assert "No prior radiotherapy" in words


def test_a_reason_is_its_template_filled():
    for r in evaluate(parse_eligibility(TRIAL), replace(PATIENT, ecog=3), TODAY):
        assert r.reason == (r.template % r.values if r.values else r.template)


# ---------------------------------------------------------------- properties

ANY = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**12), 10**12)
    | st.floats(allow_nan=True)
    | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
CODES = st.sampled_from(
    ["C34", "C34.1", "C18-C20", "C50.0-C50.9", "C99", "C20-C18", "x", "", "C 50.9", "509"]
)
MORPHS = st.sampled_from(
    ["8140/3", "8140", "8250-8255", "8500/2", "8041", "9999/3", "8255-8250", "8000-8999", "81403"]
)
NEAR = st.fixed_dictionaries(
    {},
    optional={
        "sites": st.lists(CODES, max_size=3) | CODES,
        "morphology": st.lists(MORPHS, max_size=3),
        "exclude_morphology": st.lists(MORPHS, max_size=2),
        "stage": st.lists(
            st.sampled_from(["I", "IIIA", "iv", "0", "V", "IS", "IIIB1"]), max_size=3
        ),
        "age": st.dictionaries(
            st.sampled_from(["min", "max", "mid"]), st.integers(-5, 130) | st.text(max_size=3)
        ),
        "sex": st.sampled_from(["1", "2", "any", "3", 1, 2]),
        "ecog_max": st.integers(-1, 6) | st.floats(allow_nan=True),
        "prior_treatments": st.dictionaries(
            st.sampled_from(["required", "excluded", "other"]),
            st.lists(st.sampled_from([*TREATMENTS, "x"])),
        ),
        "months_since_diagnosis": st.dictionaries(
            st.sampled_from(["min", "max"]), st.integers(-3, 2000)
        ),
    },
)


@settings(max_examples=300, deadline=None)
@given(ANY | NEAR)
def test_the_parser_fails_only_with_input_error(mapping):
    try:
        parsed = parse_eligibility(mapping)
    except InputError as err:
        assert err.problems and all(p.field.startswith("eligibility") for p in err.problems)
        return
    again = parse_eligibility(parsed.to_mapping())
    assert again == parsed and again.to_mapping() == parsed.to_mapping()
