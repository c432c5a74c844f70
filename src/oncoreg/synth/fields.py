"""The canonical columns of every report, from the truth and the reporter's role."""

from __future__ import annotations

import numpy as np
import polars as pl

from oncoreg.ingest.canonical import NAMES
from oncoreg.synth import people
from oncoreg.synth.outcomes import Outcomes
from oncoreg.synth.tumours import Tumours

DAY = np.timedelta64(1, "D")
SUMMARY = {"0": "0", "I": "1", "II": "2", "III": "2", "IV": "7", "": "9", "NA": ""}
TNM = {
    "0": ("Tis", "N0", "M0"),
    "I": ("T1", "N0", "M0"),
    "II": ("T2", "N0", "M0"),
    "III": ("T3", "N1", "M0"),
    "IV": ("T4", "N2", "M1"),
    "": ("TX", "NX", "MX"),
}


def _days(rng, n: int, low: int, high: int) -> np.ndarray:
    return rng.integers(low, high + 1, n) * DAY


def _date_text(dates: np.ndarray, precision: np.ndarray | None = None) -> pl.Series:
    """ISO dates as text, cut to YYYY-MM or YYYY where precision says so; NaT -> null."""
    text = pl.Series(dates.astype("datetime64[ms]")).dt.strftime("%Y-%m-%d")
    if precision is None:
        return text
    prec = pl.Series(precision)
    return pl.select(
        pl.when(prec == "year")
        .then(text.str.slice(0, 4))
        .when(prec == "month")
        .then(text.str.slice(0, 7))
        .when(prec == "none")
        .then(None)
        .otherwise(text)
    ).to_series()


def _swap_day_month(dates: np.ndarray) -> np.ndarray:
    year = dates.astype("datetime64[Y]")
    month_start = dates.astype("datetime64[M]")
    day = (dates - month_start.astype("datetime64[D]")).astype(int) + 1
    month = (month_start - year.astype("datetime64[M]")).astype(int) + 1
    swapped = year.astype("datetime64[M]") + (day - 1)
    return swapped.astype("datetime64[D]") + (month - 1) * DAY, (day <= 12) & (day != month)


def birth_columns(rng, birth: np.ndarray, diagnosis: np.ndarray) -> dict:
    """Birth date as reported (full, year only, swapped, off by a year, or only an age)."""
    n = birth.size
    draw = rng.random(n)
    precision = np.where(draw < 0.08, "year", np.where(draw < 0.18, "none", "day")).astype(object)
    swapped, can_swap = _swap_day_month(birth)
    swap = (draw >= 0.18) & (draw < 0.21) & can_swap
    shown = np.where(swap, swapped, birth)
    shift = (draw >= 0.21) & (draw < 0.23)
    shown = np.where(shift, shown + np.where(rng.random(n) < 0.5, -365, 365) * DAY, shown)
    age = ((diagnosis - birth).astype(float) / 365.25).astype(int)
    with_age = (precision == "none") | (rng.random(n) < 0.5)
    return {
        "birth_date": _date_text(shown, precision),
        "age_at_diagnosis": np.where(with_age, age.astype(str).astype(object), None),
    }


def role_dates(rng, roles, t: Tumours, o: Outcomes) -> np.ndarray:
    """Diagnosis date as each role records it (the death registration records none)."""
    true = t.diagnosis[roles.tumour]
    n = true.size
    shift = np.zeros(n, dtype="timedelta64[D]")
    shift[roles.role == "treating"] = _days(rng, (roles.role == "treating").sum(), 0, 30)
    shift[roles.role == "lab"] = -_days(rng, (roles.role == "lab").sum(), 0, 14)
    dates = true + shift
    death_role = roles.role == "death"
    dco = t.basis[roles.tumour] == "0"
    dates[death_role & ~dco] = np.datetime64("NaT")
    return dates


def nos_topography(codes: np.ndarray) -> np.ndarray:
    from oncoreg.codes.topography import is_valid_topography

    def nos(code: str) -> str:
        candidate = code[:3] + ".9"
        return candidate if is_valid_topography(candidate) else code

    return people._map_unique(codes, nos)


def role_codes(rng, roles, t: Tumours) -> dict:
    """Topography, morphology, behaviour, grade, basis and laterality by role."""
    i, role = roles.tumour, roles.role
    n = i.size
    topo = t.topography[i].copy()
    unspecific = (
        ((role == "treating") & (rng.random(n) < 0.3))
        | ((role == "diagnosing") & (rng.random(n) < 0.1))
        | (role == "death")
    )
    topo[unspecific] = nos_topography(topo[unspecific])
    morph = t.morphology[i].copy()
    solid = np.array([m < "9590" for m in morph])
    vague = (role != "lab") & (rng.random(n) < np.where(role == "treating", 0.15, 0.2)) & solid
    morph[vague] = np.where(rng.random(vague.sum()) < 0.6, "8000/3", "8010/3")
    morph[role == "death"] = "8000/3"
    basis = t.basis[i].copy()
    basis[role == "lab"] = np.where(np.isin(basis[role == "lab"], ("6", "7")), "7", "5")
    basis[role == "death"] = "0"
    grade = np.where(
        (role == "death") | (t.grade[i] == "9") | (rng.random(n) < 0.2), None, t.grade[i]
    )
    lat = np.where(role == "death", None, t.laterality[i])
    return {
        "topography": topo,
        "morphology": np.array([m[:4] for m in morph], dtype=object),
        "behaviour": np.array([m[5] for m in morph], dtype=object),
        "grade": grade,
        "basis": basis,
        "laterality": lat,
    }


def stage_columns(rng, roles, t: Tumours) -> dict:
    i, role = roles.tumour, roles.role
    stage = t.stage[i]
    known = np.isin(role, ("diagnosing", "treating")) & (rng.random(i.size) < 0.75)
    out: dict[str, np.ndarray] = {}
    for k, name in enumerate(("tnm_t", "tnm_n", "tnm_m")):
        values = np.array([TNM.get(s, ("", "", ""))[k] for s in stage], dtype=object)
        out[name] = np.where(known & (values != ""), values, None)
    out["stage_group"] = np.where(known & ~np.isin(stage, ("", "NA")), stage, None)
    summary = np.array([SUMMARY.get(s, "9") for s in stage], dtype=object)
    out["summary_stage"] = np.where(known & (summary != ""), summary, None)
    return out


def treatment_columns(rng, roles, t: Tumours) -> dict:
    i, role = roles.tumour, roles.role
    n = i.size
    stage = t.stage[i]
    p_surgery = np.select(
        [stage == "I", stage == "II", stage == "III", stage == "IV"], [0.85, 0.75, 0.5, 0.15], 0.1
    )
    p_chemo = np.where(np.isin(stage, ("III", "IV")), 0.6, np.where(stage == "NA", 0.85, 0.3))
    treated = np.isin(role, ("diagnosing", "treating"))
    out = {}
    for name, p in (
        ("surgery", p_surgery),
        ("radiotherapy", 0.35),
        ("chemotherapy", p_chemo),
        ("systemic_other", 0.1),
    ):
        flag = rng.random(n) < p
        out[name] = np.where(treated, np.where(flag, "1", "0"), None)
    first = t.diagnosis[i] + _days(rng, n, 7, 60)
    any_treatment = treated & ((out["surgery"] == "1") | (out["chemotherapy"] == "1"))
    out["first_treatment_date"] = _date_text(np.where(any_treatment, first, np.datetime64("NaT")))
    return out


def outcome_columns(rng, roles, t: Tumours, o: Outcomes, closing, cause_icd10) -> dict:
    """Vital status as each facility last knew it; deaths with causes from registration."""
    p = t.person[roles.tumour]
    role = roles.role
    n = p.size
    seen_until = t.diagnosis[roles.tumour] + _days(rng, n, 0, 3 * 365)
    last = np.minimum(o.last_contact[p], seen_until)
    death = o.death[p]
    knows_death = (~np.isnat(death)) & ((death <= last) | (role == "death"))
    last = np.where(role == "death", death, last)
    last = np.minimum(last, closing)
    cause = np.where(o.cancer_death[p], cause_icd10[roles.tumour], o.cause[p])
    tell_cause = knows_death & ((role == "death") | (rng.random(n) < 0.5))
    return {
        "vital_status": np.where(knows_death, "2", "1"),
        "last_contact_date": _date_text(np.where(knows_death, death, last)),
        "death_date": _date_text(np.where(knows_death, death, np.datetime64("NaT"))),
        "cause_of_death": np.where(tell_cause & (cause != ""), cause, None),
    }


def to_frame(columns: dict) -> pl.DataFrame:
    """The canonical frame: every column as text, '' and None as null, in contract order."""
    series = []
    for name in NAMES:
        value = columns.get(name)
        if value is None:
            s = pl.Series(name, [None] * len(next(iter(columns.values()))), dtype=pl.String)
        elif isinstance(value, pl.Series):
            s = value.alias(name).cast(pl.String)
        else:
            s = pl.Series(name, np.asarray(value).tolist(), dtype=pl.String)
        series.append(s)
    frame = pl.DataFrame(series)
    return frame.with_columns(pl.all().replace("", None))
