"""A clinical trial's structured eligibility: the schema, its parser, and the evaluation of
one case against it. Pure: no database.

An eligibility is a mapping (a TOML table or a JSON object); every criterion is optional::

    sites = ["C34", "C18-C20", "C50.0-C50.9"]    # ICD-O-3 topography codes and ranges
    morphology = ["8140/3", "8250-8255"]         # histology codes or ranges (behaviour 3
    exclude_morphology = ["8041"]                #   unless written: "8500/2")
    stage = ["III", "IV"]                        # stage groups; "III" also matches IIIA
    age = { min = 18, max = 75 }                 # whole years at screening, inclusive
    sex = "any"                                  # "1" male, "2" female or "any"
    ecog_max = 1                                 # checked only where an ECOG is recorded
    prior_treatments = { required = ["chemotherapy"], excluded = ["radiotherapy"] }
    months_since_diagnosis = { min = 0, max = 6 }

:func:`parse_eligibility` refuses what it cannot read with an :class:`InputError` whose
message names the criterion and the bad value; :func:`evaluate` answers, criterion by
criterion, met (True), not met (False) or unknown (None: the registry does not hold the
value, to be checked at screening), with a reason a clinician reads. A dead person is
never eligible.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from oncoreg.codes.morphology import (
    histologies,
    normalise_morphology,
    split_morphology,
)
from oncoreg.codes.topography import normalise_topography
from oncoreg.errors import InputError, Problem

# the treatments a rule may name, and how each is named in reasons and descriptions
TREATMENT_WORDS = {
    "surgery": "surgery",
    "radiotherapy": "radiotherapy",
    "chemotherapy": "chemotherapy",
    "systemic_other": "other systemic therapy",
}
TREATMENTS = tuple(TREATMENT_WORDS)
CRITERIA = (
    "sites",
    "morphology",
    "exclude_morphology",
    "stage",
    "age",
    "sex",
    "ecog_max",
    "prior_treatments",
    "months_since_diagnosis",
)
SEXES = {"1": "male", "2": "female"}
MAX_AGE = 120
MAX_MONTHS = 1200
MAX_ECOG = 4
MAX_CODES = 200
STAGE_FORMS = "0, I, II, III or IV, with an optional letter and digit (IIIA, IA1)"
_STAGE_RE = re.compile(r"^(0|IV|III|II|I)([A-C][1-3]?|IS)?$")
_TOPOGRAPHY_RE = re.compile(r"^C(\d{2})(?:\.(\d))?$")
_MORPHOLOGY_RE = re.compile(r"^(\d{4})/(\d)$")
UNKNOWN_STAGES = {"", "NA", "X", "9", "UNKNOWN", "U"}


class Verdict(StrEnum):
    """A person against a trial: every criterion met, none failed but some unknown, or
    at least one failed."""

    ELIGIBLE = "eligible"
    POSSIBLE = "possibly eligible"
    NOT_ELIGIBLE = "not eligible"


VERDICT_ORDER = {Verdict.ELIGIBLE: 0, Verdict.POSSIBLE: 1, Verdict.NOT_ELIGIBLE: 2}


@dataclass(frozen=True)
class CodeRange:
    """An inclusive range of codes on one axis (topography C34.1 -> 341; histology 8140)."""

    text: str
    low: int
    high: int
    behaviour: str | None = None  # morphology only

    def __contains__(self, value: int) -> bool:
        return self.low <= value <= self.high


@dataclass(frozen=True)
class Eligibility:
    """A trial's parsed eligibility; ``None`` or empty means the criterion is not set."""

    sites: tuple[CodeRange, ...] = ()
    morphology: tuple[CodeRange, ...] = ()
    exclude_morphology: tuple[CodeRange, ...] = ()
    stage: tuple[str, ...] = ()
    age_min: int | None = None
    age_max: int | None = None
    sex: str = "any"
    ecog_max: int | None = None
    required_treatments: tuple[str, ...] = ()
    excluded_treatments: tuple[str, ...] = ()
    months_min: int | None = None
    months_max: int | None = None

    def to_mapping(self) -> dict:
        """The criteria that are set, as :func:`parse_eligibility` reads them back."""
        out: dict = {}
        for name in ("sites", "morphology", "exclude_morphology"):
            if getattr(self, name):
                out[name] = [r.text for r in getattr(self, name)]
        if self.stage:
            out["stage"] = list(self.stage)
        if (age := _bounds(self.age_min, self.age_max)) is not None:
            out["age"] = age
        if self.sex != "any":
            out["sex"] = self.sex
        if self.ecog_max is not None:
            out["ecog_max"] = self.ecog_max
        treatments = (
            {"required": list(self.required_treatments)} if self.required_treatments else {}
        )
        if self.excluded_treatments:
            treatments["excluded"] = list(self.excluded_treatments)
        if treatments:
            out["prior_treatments"] = treatments
        if (months := _bounds(self.months_min, self.months_max)) is not None:
            out["months_since_diagnosis"] = months
        return out

    def criteria(self) -> list[str]:
        """The criterion ids :func:`evaluate` answers for this eligibility, in order."""
        return [r.criterion for r in evaluate(self, Case(), date(2000, 1, 1))]


def _bounds(low: int | None, high: int | None) -> dict | None:
    if low is None and high is None:
        return None
    return {k: v for k, v in (("min", low), ("max", high)) if v is not None}


@dataclass(frozen=True)
class Case:
    """What the registry holds about one tumour of one person (no identifiers).

    ``treatments`` maps each of :data:`TREATMENTS` to given (True), not given (False) or
    unknown (None, also when absent); ``vital_status`` is "1" alive, "2" dead or None.
    """

    sex: str | None = None
    birth_date: date | None = None
    topography: str | None = None
    morphology: str | None = None
    stage: str | None = None
    diagnosis_date: date | None = None
    treatments: Mapping[str, bool | None] = field(default_factory=dict)
    ecog: int | None = None
    vital_status: str | None = None


@dataclass(frozen=True)
class CriterionResult:
    """One criterion for one case: met True, False or None (unknown), and why.

    ``reason`` is the English sentence; ``template`` and ``values`` let a page show it in
    another language (``reason == template % values``).
    """

    criterion: str
    met: bool | None
    reason: str
    template: str = ""
    values: dict = field(default_factory=dict)


def _result(criterion: str, met: bool | None, template: str, **values) -> CriterionResult:
    text = {k: str(v) for k, v in values.items()}
    return CriterionResult(criterion, met, template % text if text else template, template, text)


def verdict(results: list[CriterionResult]) -> Verdict:
    """Eligible when every criterion is met, possibly eligible when none failed but some
    are unknown, not eligible when any failed."""
    if any(r.met is False for r in results):
        return Verdict.NOT_ELIGIBLE
    if any(r.met is None for r in results):
        return Verdict.POSSIBLE
    return Verdict.ELIGIBLE


# ---------------------------------------------------------------- parsing


class _Problems:
    """The problems found while parsing, each naming its criterion."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.items: list[Problem] = []

    def add(self, where: str, message: str, hint: str | None = None) -> None:
        name = f"{self.prefix}.{where}" if where else self.prefix
        self.items.append(Problem(f"{name}: {message}", field=name, hint=hint))


def parse_eligibility(mapping: object, *, prefix: str = "eligibility") -> Eligibility:
    """Read a trial's eligibility from a mapping (TOML table, JSON object).

    Args:
        mapping: the criteria (see the module docstring).
        prefix: how messages name the mapping, e.g. ``trial[2].eligibility``.

    Raises:
        InputError: any criterion that cannot be read; the message names every such
            criterion and its bad value ("eligibility.age.min: expected a whole number of
            years, got 'x'"), and ``problems`` holds one problem per criterion.
    """
    parsed, problems = eligibility_problems(mapping, prefix=prefix)
    if problems:
        raise InputError(
            "; ".join(p.message for p in problems),
            hint="see docs/network-trials.md for the eligibility format",
            problems=problems,
        )
    assert parsed is not None
    return parsed


def eligibility_problems(
    mapping: object, *, prefix: str = "eligibility"
) -> tuple[Eligibility | None, list[Problem]]:
    """Like :func:`parse_eligibility`, but returns the problems instead of raising."""
    found = _Problems(prefix)
    if not isinstance(mapping, Mapping):
        found.add("", f"expected a table of criteria, got {_shown(mapping)}")
        return None, found.items
    unknown = [str(k) for k in mapping if k not in CRITERIA]
    for name in unknown:
        found.add(
            _shown_key(name), "unknown criterion", hint="known criteria: " + ", ".join(CRITERIA)
        )
    values = {
        "sites": _ranges(mapping.get("sites"), "sites", found, _site_range),
        "morphology": _ranges(mapping.get("morphology"), "morphology", found, _morphology_range),
        "exclude_morphology": _ranges(
            mapping.get("exclude_morphology"), "exclude_morphology", found, _morphology_range
        ),
        "stage": _stages(mapping.get("stage"), found),
        "sex": _sex(mapping.get("sex", "any"), found),
        "ecog_max": _whole(mapping.get("ecog_max"), "ecog_max", 0, MAX_ECOG, found, "an ECOG"),
    }
    values["age_min"], values["age_max"] = _range_table(
        mapping.get("age"), "age", MAX_AGE, "a whole number of years", found
    )
    values["months_min"], values["months_max"] = _range_table(
        mapping.get("months_since_diagnosis"),
        "months_since_diagnosis",
        MAX_MONTHS,
        "a whole number of months",
        found,
    )
    values["required_treatments"], values["excluded_treatments"] = _treatments(
        mapping.get("prior_treatments"), found
    )
    if found.items:
        return None, found.items
    return Eligibility(**values), []


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _shown_key(key: object) -> str:
    text = str(key)
    return text if len(text) <= 40 else text[:37] + "..."


def _texts(value: object, where: str, found: _Problems) -> list[str]:
    """A list of codes as text (a single text is a list of one)."""
    if value is None:
        return []
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not items:
        found.add(where, f"expected a list of codes, got {_shown(value)}")
        return []
    if len(items) > MAX_CODES:
        found.add(where, f"at most {MAX_CODES} codes, got {len(items)}")
        return []
    out = []
    for i, item in enumerate(items):
        if not isinstance(item, str) or not item.strip():
            found.add(f"{where}[{i}]", f"expected a code as text, got {_shown(item)}")
        else:
            out.append(item.strip())
    return out


def _ranges(value, where: str, found: _Problems, reader) -> tuple[CodeRange, ...]:
    out: dict[str, CodeRange] = {}
    for i, text in enumerate(_texts(value, where, found)):
        try:
            parsed = reader(text)
        except InputError as err:
            message = err.message if repr(text) in err.message else f"{_shown(text)}: {err.message}"
            found.add(f"{where}[{i}]", message, err.hint)
            continue
        out.setdefault(parsed.text, parsed)
    return tuple(out.values())


def _site_number(code: str, end: str) -> int:
    """C34.1 -> 341; a category is its first (end "low") or last ("high") subsite."""
    number = int(code[1:3]) * 10
    if len(code) == 5:
        return number + int(code[4])
    return number + (9 if end == "high" else 0)


def _site_range(text: str) -> CodeRange:
    """ "C34", "C34.1", "C18-C20" or "C50.0-C50.9" as a range of topography numbers."""
    parts = text.split("-")
    if len(parts) > 2:
        raise InputError("a range has one '-'", hint="e.g. C18-C20")
    low = normalise_topography(parts[0])
    high = normalise_topography(parts[-1])
    if len(parts) == 1 or low == high:
        return CodeRange(low, _site_number(low, "low"), _site_number(low, "high"))
    start, end = _site_number(low, "low"), _site_number(high, "high")
    if start > end:
        raise InputError(f"the range starts after it ends ({low} > {high})")
    return CodeRange(f"{low}-{high}", start, end)


def _histology(text: str) -> tuple[str, str, bool]:
    """(histology, behaviour, behaviour written) of one end of a morphology criterion."""
    written = "/" in text or len(re.sub(r"[^0-9]", "", text)) >= 5
    histology, behaviour, _grade = split_morphology(text, None if written else "3")
    return histology, behaviour, written


def _morphology_range(text: str) -> CodeRange:
    """ "8140/3", "8140" (behaviour 3) or "8250-8255" as a range of histologies."""
    parts = text.split("-") if not text.upper().startswith("M-") else [text]
    if len(parts) > 2:
        raise InputError("a range has one '-'", hint="e.g. 8250-8255")
    if len(parts) == 1:
        histology, behaviour, _ = _histology(parts[0])
        code = normalise_morphology(f"{histology}/{behaviour}")
        return CodeRange(code, int(histology), int(histology), behaviour)
    (low, b1, w1), (high, b2, w2) = _histology(parts[0]), _histology(parts[1])
    behaviour = b1 if w1 else b2
    if w1 and w2 and b1 != b2:
        raise InputError("both ends of a range need the same behaviour")
    if int(low) > int(high):
        raise InputError(f"the range starts after it ends ({low} > {high})")
    known = histologies()
    if not any(str(h) in known for h in range(int(low), int(high) + 1)):
        raise InputError(f"no ICD-O-3 histology lies in {low}-{high}")
    suffix = "" if behaviour == "3" else f"/{behaviour}"
    text = f"{int(low):04d}{suffix}-{int(high):04d}{suffix}"
    return CodeRange(text, int(low), int(high), behaviour)


def _stages(value, found: _Problems) -> tuple[str, ...]:
    out: list[str] = []
    for i, text in enumerate(_texts(value, "stage", found)):
        stage = text.upper().replace(" ", "")
        if not _STAGE_RE.match(stage):
            found.add(f"stage[{i}]", f"{_shown(text)} is not a stage group", STAGE_FORMS)
        elif stage not in out:
            out.append(stage)
    return tuple(out)


def _sex(value, found: _Problems) -> str:
    text = str(value).strip().lower() if isinstance(value, str | int) else None
    if isinstance(value, bool) or text not in ("1", "2", "any"):
        found.add("sex", f'expected "1" (male), "2" (female) or "any", got {_shown(value)}')
        return "any"
    return text


def _whole(value, where: str, low: int, high: int, found: _Problems, what: str) -> int | None:
    """A whole number in [low, high] (an integral float is accepted), or None if absent."""
    if value is None:
        return None
    number = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, float) and math.isfinite(value) and value.is_integer():
        number = int(value)
    if number is None:
        found.add(where, f"expected {what}, got {_shown(value)}")
        return None
    if not low <= number <= high:
        found.add(where, f"{number} is outside {low}-{high}")
        return None
    return number


def _range_table(value, where: str, high: int, what: str, found: _Problems):
    """A {min, max} table of whole numbers in [0, high]: (min, max)."""
    if value is None:
        return None, None
    if not isinstance(value, Mapping) or not value:
        found.add(where, f"expected a table with min and/or max, got {_shown(value)}")
        return None, None
    for key in value:
        if key not in ("min", "max"):
            found.add(f"{where}.{_shown_key(key)}", "unknown key", "known keys: min, max")
    low = _whole(value.get("min"), f"{where}.min", 0, high, found, what)
    top = _whole(value.get("max"), f"{where}.max", 0, high, found, what)
    if low is not None and top is not None and low > top:
        found.add(where, f"min {low} is greater than max {top}")
    return low, top


def _treatments(value, found: _Problems) -> tuple[tuple[str, ...], tuple[str, ...]]:
    if value is None:
        return (), ()
    if not isinstance(value, Mapping) or not value:
        found.add(
            "prior_treatments",
            f"expected a table with required and/or excluded, got {_shown(value)}",
        )
        return (), ()
    for key in value:
        if key not in ("required", "excluded"):
            found.add(
                f"prior_treatments.{_shown_key(key)}", "unknown key", "known: required, excluded"
            )
    chosen = {}
    for kind in ("required", "excluded"):
        names = _texts(value.get(kind), f"prior_treatments.{kind}", found)
        chosen[kind] = _treatment_names(names, kind, found)
    both = set(chosen["required"]) & set(chosen["excluded"])
    for name in sorted(both):
        found.add("prior_treatments", f"{name!r} is both required and excluded")
    return chosen["required"], chosen["excluded"]


def _treatment_names(names: list[str], kind: str, found: _Problems) -> tuple[str, ...]:
    out: list[str] = []
    for i, name in enumerate(names):
        key = name.lower().replace(" ", "_").replace("-", "_")
        if key not in TREATMENTS:
            found.add(
                f"prior_treatments.{kind}[{i}]",
                f"{_shown(name)} is not a treatment",
                "known treatments: " + ", ".join(TREATMENTS),
            )
        elif key not in out:
            out.append(key)
    return tuple(out)


# ---------------------------------------------------------------- evaluation


def evaluate(eligibility: Eligibility, case: Case, today: date) -> list[CriterionResult]:
    """Each criterion that is set, for one case, at ``today``; whether the person is alive
    comes first (a dead person is never eligible).

    Returns:
        One :class:`CriterionResult` per criterion, in the order of :data:`CRITERIA`
        (``prior_treatments`` gives one result per treatment named).
    """
    e = eligibility
    results = [alive(case)]
    if e.sites:
        results.append(site(e.sites, case.topography))
    if e.morphology:
        results.append(histology(e.morphology, case.morphology))
    if e.exclude_morphology:
        results.append(excluded_histology(e.exclude_morphology, case.morphology))
    if e.stage:
        results.append(stage(e.stage, case.stage))
    if e.age_min is not None or e.age_max is not None:
        results.append(age(e.age_min, e.age_max, case.birth_date, today))
    if e.sex != "any":
        results.append(sex(e.sex, case.sex))
    if e.ecog_max is not None:
        results.append(ecog(e.ecog_max, case.ecog))
    for name in e.required_treatments:
        results.append(treatment(name, True, case.treatments.get(name)))
    for name in e.excluded_treatments:
        results.append(treatment(name, False, case.treatments.get(name)))
    if e.months_min is not None or e.months_max is not None:
        results.append(months(e.months_min, e.months_max, case.diagnosis_date, today))
    return results


def alive(case: Case) -> CriterionResult:
    if case.vital_status == "2":
        return _result("alive", False, "the person has died")
    if case.vital_status == "1":
        return _result("alive", True, "alive at the last report")
    return _result("alive", None, "vital status not recorded: check at screening")


def topography_number(code: str | None) -> int | None:
    """C34.1 -> 341 (a category alone is read as its NOS subsite .9); None if unreadable."""
    match = _TOPOGRAPHY_RE.match(code.strip().upper()) if code else None
    if match is None:
        return None
    return int(match.group(1)) * 10 + int(match.group(2) if match.group(2) else 9)


def _listed(ranges: tuple[CodeRange, ...]) -> str:
    return ", ".join(r.text for r in ranges)


def site(ranges: tuple[CodeRange, ...], topography: str | None) -> CriterionResult:
    number = topography_number(topography)
    if number is None:
        return _result("sites", None, "site not recorded: check at screening")
    inside = next((r for r in ranges if number in r), None)
    if inside is not None:
        return _result(
            "sites", True, "site %(code)s is in %(range)s", code=topography, range=inside.text
        )
    return _result(
        "sites",
        False,
        "site %(code)s is not in %(ranges)s",
        code=topography,
        ranges=_listed(ranges),
    )


def morphology_parts(code: str | None) -> tuple[int, str] | None:
    """8140/3 -> (8140, "3"); None if unreadable."""
    match = _MORPHOLOGY_RE.match(code.strip()) if code else None
    return (int(match.group(1)), match.group(2)) if match else None


def _morphology_hit(ranges: tuple[CodeRange, ...], parts: tuple[int, str]) -> CodeRange | None:
    return next((r for r in ranges if parts[0] in r and parts[1] == r.behaviour), None)


def histology(ranges: tuple[CodeRange, ...], code: str | None) -> CriterionResult:
    parts = morphology_parts(code)
    if parts is None:
        return _result("morphology", None, "histology not recorded: check at screening")
    hit = _morphology_hit(ranges, parts)
    if hit is not None:
        return _result(
            "morphology", True, "histology %(code)s is in %(range)s", code=code, range=hit.text
        )
    return _result(
        "morphology",
        False,
        "histology %(code)s is not in %(ranges)s",
        code=code,
        ranges=_listed(ranges),
    )


def excluded_histology(ranges: tuple[CodeRange, ...], code: str | None) -> CriterionResult:
    parts = morphology_parts(code)
    name = "exclude_morphology"
    if parts is None:
        return _result(name, None, "histology not recorded: check at screening")
    hit = _morphology_hit(ranges, parts)
    if hit is not None:
        return _result(
            name, False, "histology %(code)s is excluded (%(range)s)", code=code, range=hit.text
        )
    return _result(name, True, "histology %(code)s is not excluded", code=code)


def stage_parts(text: str | None) -> tuple[str, str] | None:
    """IIIA -> ("III", "A"); None when the stage is unknown or not a stage group."""
    value = (text or "").strip().upper().replace(" ", "")
    if value in UNKNOWN_STAGES:
        return None
    match = _STAGE_RE.match(value)
    return (match.group(1), match.group(2) or "") if match else None


def stage_matches(wanted: str, parts: tuple[str, str]) -> bool:
    """ "III" matches III, IIIA, IIIB ...; "IIIA" matches IIIA, IIIA1 but not IIIB or II."""
    roman, suffix = stage_parts(wanted) or ("", "")
    return parts[0] == roman and parts[1].startswith(suffix)


def stage(wanted: tuple[str, ...], value: str | None) -> CriterionResult:
    parts = stage_parts(value)
    if parts is None:
        return _result("stage", None, "stage not recorded: check at screening")
    shown = "".join(parts)
    hit = next((w for w in wanted if stage_matches(w, parts)), None)
    if hit is not None:
        return _result("stage", True, "stage %(stage)s is in %(wanted)s", stage=shown, wanted=hit)
    return _result(
        "stage",
        False,
        "stage %(stage)s is not in %(wanted)s",
        stage=shown,
        wanted=", ".join(wanted),
    )


def whole_years(born: date, today: date) -> int:
    """Completed years between two dates."""
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def whole_months(start: date, today: date) -> int:
    """Completed months between two dates (negative if ``start`` is after ``today``)."""
    months = (today.year - start.year) * 12 + today.month - start.month
    return months - (1 if today.day < start.day else 0)


def _span(low: int | None, high: int | None) -> str:
    if low is not None and high is not None:
        return f"{low}-{high}"
    return f"≥ {low}" if low is not None else f"≤ {high}"


AGE_WORDS = {
    "below": "age %(value)s is below %(low)s",
    "above": "age %(value)s is above %(high)s",
    "within": "age %(value)s is within %(low)s-%(high)s",
    "at_least": "age %(value)s is at least %(low)s",
    "at_most": "age %(value)s is at most %(high)s",
}
ECOG_WORDS = {
    "above": "ECOG %(value)s is above %(high)s",
    "within": "ECOG %(value)s is within %(low)s-%(high)s",
}
MONTH_WORDS = {
    "below": "diagnosed %(value)s months ago, fewer than %(low)s",
    "above": "diagnosed %(value)s months ago, more than %(high)s",
    "within": "diagnosed %(value)s months ago, within %(low)s-%(high)s",
    "at_least": "diagnosed %(value)s months ago, at least %(low)s",
    "at_most": "diagnosed %(value)s months ago, at most %(high)s",
}


def _within(criterion: str, value: int, low: int | None, high: int | None, words: dict):
    if low is not None and value < low:
        return _result(criterion, False, words["below"], value=value, low=low)
    if high is not None and value > high:
        return _result(criterion, False, words["above"], value=value, high=high)
    kind = "within" if low is not None and high is not None else "at_least"
    if high is not None and low is None:
        kind = "at_most"
    bounds = {k: v for k, v in (("low", low), ("high", high)) if v is not None}
    return _result(criterion, True, words[kind], value=value, **bounds)


def age(low: int | None, high: int | None, born: date | None, today: date) -> CriterionResult:
    if born is None:
        return _result("age", None, "birth date not recorded: check at screening")
    return _within("age", whole_years(born, today), low, high, AGE_WORDS)


def sex(wanted: str, value: str | None) -> CriterionResult:
    if value not in SEXES:
        return _result("sex", None, "sex not recorded: check at screening")
    if value == wanted:
        return _result("sex", True, "sex is %(sex)s, as required", sex=SEXES[value])
    return _result(
        "sex",
        False,
        "sex is %(sex)s; the trial takes %(wanted)s patients only",
        sex=SEXES[value],
        wanted=SEXES[wanted],
    )


def ecog(highest: int, value: int | None) -> CriterionResult:
    if value is None:
        return _result("ecog_max", None, "ECOG not recorded: check at screening")
    return _within("ecog_max", value, 0, highest, ECOG_WORDS)


def treatment(name: str, required: bool, given: bool | None) -> CriterionResult:
    criterion = f"prior_treatments.{'required' if required else 'excluded'}.{name}"
    label = TREATMENT_WORDS[name]
    if given is None:
        return _result(
            criterion, None, "%(treatment)s not recorded: check at screening", treatment=label
        )
    if given:
        template = "%(treatment)s given, as required" if required else "%(treatment)s already given"
        return _result(criterion, required, template, treatment=label)
    template = "%(treatment)s not given" if required else "no %(treatment)s so far"
    return _result(criterion, not required, template, treatment=label)


def months(
    low: int | None, high: int | None, diagnosed: date | None, today: date
) -> CriterionResult:
    name = "months_since_diagnosis"
    if diagnosed is None:
        return _result(name, None, "diagnosis date not recorded: check at screening")
    return _within(name, whole_months(diagnosed, today), low, high, MONTH_WORDS)


# ---------------------------------------------------------------- description


def describe(eligibility: Eligibility) -> list[tuple[str, str, dict]]:
    """The criteria in words: (criterion, English template, values) for each one set."""
    e = eligibility
    out: list[tuple[str, str, dict]] = []

    def add(criterion: str, template: str, **values) -> None:
        out.append((criterion, template, {k: str(v) for k, v in values.items()}))

    if e.sites:
        add("sites", "Site (ICD-O-3 topography): %(codes)s", codes=_listed(e.sites))
    if e.morphology:
        add("morphology", "Histology (ICD-O-3): %(codes)s", codes=_listed(e.morphology))
    if e.exclude_morphology:
        add("exclude_morphology", "Histology not: %(codes)s", codes=_listed(e.exclude_morphology))
    if e.stage:
        add("stage", "Stage: %(stages)s", stages=", ".join(e.stage))
    if e.age_min is not None or e.age_max is not None:
        add("age", "Age at screening: %(span)s years", span=_span(e.age_min, e.age_max))
    if e.sex != "any":
        add("sex", "Sex: %(sex)s", sex=SEXES[e.sex])
    if e.ecog_max is not None:
        add("ecog_max", "ECOG performance status at most %(ecog)s", ecog=e.ecog_max)
    for name in e.required_treatments:
        add("prior_treatments", "Prior %(treatment)s required", treatment=TREATMENT_WORDS[name])
    for name in e.excluded_treatments:
        add("prior_treatments", "No prior %(treatment)s", treatment=TREATMENT_WORDS[name])
    if e.months_min is not None or e.months_max is not None:
        span = _span(e.months_min, e.months_max)
        add("months_since_diagnosis", "Months since diagnosis: %(span)s", span=span)
    return out
