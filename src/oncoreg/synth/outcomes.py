"""Outcomes: death from the cancer or from other causes, and censoring at the last contact.

Each person's excess (cancer) hazard is constant, ``-ln(S5)/5`` where S5 is the 5-year net
survival of the first tumour's site and stage (``sites.toml``); background mortality is Viet
Nam's by sex and age (UN WPP 2024 abridged ``mx``, period of diagnosis), taken as constant
within each age band. A person dies of whichever comes first. Follow-up ends at the closing
date; some persons are lost to follow-up earlier (last contact before the closing date).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from oncoreg.synth.calibration import mortality, mortality_period, sites
from oncoreg.synth.tumours import Persons, Tumours

LOST_SHARE = 0.12
DAYS = 365.25
OTHER_CAUSES = {
    "I64": 0.18,
    "I21.9": 0.14,
    "J44.9": 0.10,
    "E11.9": 0.08,
    "I50.9": 0.07,
    "N18.9": 0.05,
    "K74.6": 0.05,
    "J18.9": 0.08,
    "A15.0": 0.04,
    "V89.2": 0.06,
    "R99": 0.15,
}


@dataclass
class Outcomes:
    """Per person: death (NaT if alive at last contact), last contact, cause of death."""

    death: np.ndarray  # datetime64[D] or NaT
    last_contact: np.ndarray  # datetime64[D]
    cancer_death: np.ndarray  # bool
    cause: np.ndarray  # str ICD-10 ('' if alive)


def excess_hazard(first: Tumours) -> np.ndarray:
    """Yearly excess hazard of each tumour from its site's 5-year survival by stage."""
    out = np.empty(first.site.size)
    for j, site in enumerate(sites()):
        idx = np.flatnonzero(first.site == j)
        stage = pl.Series(first.stage[idx], dtype=pl.String)
        s5 = stage.replace_strict(
            {st: _five_year_survival(site.survival, st) for st in stage.unique().to_list()},
            return_dtype=pl.Float64,
        ).to_numpy()
        out[idx] = -np.log(np.clip(s5, 1e-3, 0.9999)) / 5.0
    return out


def _five_year_survival(surv: dict[str, float], stage: str) -> float:
    if stage == "0":
        return 0.995
    return surv.get(stage, surv.get("NA", float(np.mean(list(surv.values())))))


def background_years(rng, persons: Persons, diagnosis: np.ndarray) -> np.ndarray:
    """Years from diagnosis to death from other causes (piecewise-constant hazards)."""
    age = (diagnosis - persons.birth).astype(float) / DAYS
    target = rng.exponential(1.0, age.size)
    out = np.empty(age.size)
    period = mortality_period(persons.year)
    for (start, sex), (ages, mx) in mortality().items():
        idx = np.flatnonzero((period == start) & (persons.sex == sex))
        out[idx] = _time_to_hazard(ages, mx, age[idx], target[idx])
    return out


def _time_to_hazard(ages, mx, age0, target) -> np.ndarray:
    """Time from age0 until the cumulative hazard reaches target (vectorised inversion)."""
    edges = np.append(ages.astype(float), 200.0)
    cumulative = np.concatenate([[0.0], np.cumsum(mx * np.diff(edges))])
    band = np.clip(np.searchsorted(edges, age0, side="right") - 1, 0, len(mx) - 1)
    h0 = cumulative[band] + mx[band] * (age0 - edges[band])
    goal = h0 + target
    end_band = np.clip(np.searchsorted(cumulative, goal, side="right") - 1, 0, len(mx) - 1)
    age_at = edges[end_band] + (goal - cumulative[end_band]) / mx[end_band]
    return np.maximum(age_at - age0, 0.0)


def simulate(rng, persons: Persons, first: Tumours, closing: np.datetime64) -> Outcomes:
    """Death, cause and last contact of every person (indexed like ``persons``)."""
    n = first.person.size
    cancer_years = rng.exponential(1.0, n) / excess_hazard(first)
    other_years = background_years(rng, persons, first.diagnosis)
    years = np.minimum(cancer_years, other_years)
    death = first.diagnosis + np.round(years * DAYS).astype("timedelta64[D]")
    follow = (closing - first.diagnosis).astype(float)
    lost = rng.random(n) < LOST_SHARE
    censor_days = np.where(lost, rng.random(n) * follow, follow - rng.integers(0, 90, n))
    censor = first.diagnosis + np.maximum(censor_days, 0).astype("timedelta64[D]")
    dead = death <= censor
    last = np.where(dead, death, censor)
    cancer = dead & (cancer_years <= other_years)
    cause = np.full(n, "", dtype=object)
    keys = list(OTHER_CAUSES)
    p = np.array(list(OTHER_CAUSES.values()))
    other = dead & ~cancer
    cause[other] = np.asarray(keys, dtype=object)[rng.choice(len(keys), other.sum(), p=p / p.sum())]
    death = np.where(dead, death, np.datetime64("NaT"))
    return Outcomes(death, last, cancer, cause)
