"""Hospital reports of the true tumours, with the errors registrars meet.

Each tumour is reported by 1-4 facilities, each in a role: the diagnosing hospital, a
treating hospital, a pathology lab, the death registration (alone for a death certificate
only case). Each report copies the person and tumour as that facility knows them: names as
its system writes them (split or in one field, without diacritics, in capitals, with typos
and given-name variants), birth dates full, year-only, day/month swapped or replaced by an
age, national IDs often missing, changed phones, provinces coded before or after the 2025
merger, unspecific subsites and morphologies, diagnosis dates days to weeks apart. A small
share of reports is made invalid on purpose; the ground truth records which and how.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from oncoreg.synth import errors, fields, people
from oncoreg.synth.facilities import SynthFacility, facility_region
from oncoreg.synth.names import region_of_province
from oncoreg.synth.outcomes import Outcomes
from oncoreg.synth.tumours import NON_MV, Tumours

DIAGNOSING, TREATING, LAB, DEATH = "diagnosing", "treating", "lab", "death"


@dataclass
class Roles:
    """One row per report: which tumour, which facility, in which role."""

    tumour: np.ndarray
    facility: np.ndarray
    role: np.ndarray
    tumour_person: np.ndarray | None = None


class FacilityIndex:
    """Facilities by kind, region and province, to choose reporters quickly."""

    def __init__(self, facilities: list[SynthFacility]) -> None:
        self.facilities = facilities
        self.region = np.array([facility_region(f) for f in facilities], dtype=object)
        self.kind = np.array([f.type for f in facilities], dtype=object)
        self.level = np.array([f.level for f in facilities], dtype=object)
        self.province = np.array([f.province_code for f in facilities], dtype=object)

    def pool(
        self,
        kind: str,
        region: str | None = None,
        province: str | None = None,
        central: bool | None = None,
    ) -> np.ndarray:
        mask = self.kind == kind
        if region is not None:
            mask &= self.region == region
        if province is not None:
            mask &= self.province == province
        if central is not None:
            mask &= (self.level == "central") == central
        return np.flatnonzero(mask)

    def any_of(self, kind: str) -> np.ndarray:
        return self.pool(kind)


def _choose(rng, candidates: np.ndarray, n: int) -> np.ndarray:
    return candidates[rng.integers(0, candidates.size, n)]


def _by_place(rng, index: FacilityIndex, kind: str, province_new, region, local_share: float):
    """A facility of ``kind`` per row: local (same 2025 province) with ``local_share``,
    else one of the region's central ones; falling back region -> anywhere."""
    n = province_new.size
    out = np.full(n, -1)
    local_wanted = rng.random(n) < local_share
    for place in np.unique(province_new):
        rows = np.flatnonzero((province_new == place) & local_wanted)
        local = index.pool(kind, province=place)
        if rows.size and local.size:
            out[rows] = _choose(rng, local, rows.size)
    for reg in ("N", "C", "S"):
        rows = np.flatnonzero((out < 0) & (region == reg))
        pool = index.pool(kind, region=reg, central=True)
        pool = pool if pool.size else index.pool(kind, region=reg)
        pool = pool if pool.size else index.any_of(kind)
        if rows.size and pool.size:
            out[rows] = _choose(rng, pool, rows.size)
    return out


def assign_roles(
    rng, t: Tumours, person_province_new, person_region, dead_in_period, index: FacilityIndex
) -> Roles:
    """Which facilities report each tumour, in which role (1-4 reports a tumour)."""
    n = t.person.size
    prov, reg = person_province_new[t.person], person_region[t.person]
    dco = t.basis == "0"
    parts = []
    diag = _by_place(rng, index, "hospital", prov, reg, 0.55)
    parts.append((np.flatnonzero(~dco & (diag >= 0)), diag, DIAGNOSING))
    treat = _by_place(rng, index, "hospital", prov, reg, 0.15)
    wants = ~dco & (rng.random(n) < 0.45) & (treat != diag) & (treat >= 0)
    parts.append((np.flatnonzero(wants), treat, TREATING))
    lab = _by_place(rng, index, "lab", prov, reg, 0.5)
    mv = np.isin(t.basis, ("5", "6", "7"))
    parts.append((np.flatnonzero(mv & (rng.random(n) < 0.55) & (lab >= 0)), lab, LAB))
    death = _by_place(rng, index, "death-registration", prov, reg, 0.8)
    died = dead_in_period[t.person]
    wants = died & (death >= 0) & (dco | (rng.random(n) < 0.7))
    parts.append((np.flatnonzero(wants), death, DEATH))
    tumour = np.concatenate([rows for rows, _, _ in parts])
    facility = np.concatenate([chosen[rows] for rows, chosen, _ in parts])
    role = np.concatenate([np.full(rows.size, name, dtype=object) for rows, _, name in parts])
    order = np.lexsort((role, tumour))
    return Roles(tumour[order], facility[order], role[order])


def provinces_2025(province_2004: np.ndarray) -> np.ndarray:
    from oncoreg.codes.provinces import to_2025

    mapping = {code: to_2025(code) for code in np.unique(province_2004)}
    return np.array([mapping[c] for c in province_2004], dtype=object)


def regions(province_2004: np.ndarray) -> np.ndarray:
    mapping = {code: region_of_province(code) for code in np.unique(province_2004)}
    return np.array([mapping[c] for c in province_2004], dtype=object)


def is_mv(basis: np.ndarray) -> np.ndarray:
    return ~np.isin(basis, NON_MV)


def build(
    rng,
    persons,
    tumours: Tumours,
    outcomes: Outcomes,
    facilities,
    closing,
    invalid_share: float,
    cause_icd10: np.ndarray,
):
    """The reports frame (canonical columns), the roles and identities, the injected errors."""
    index = FacilityIndex(facilities)
    prov_new = provinces_2025(persons.province)
    region = regions(persons.province)
    dead = ~np.isnat(outcomes.death)
    roles = assign_roles(rng, tumours, prov_new, region, dead, index)
    roles.tumour_person = tumours.person[roles.tumour]
    ident = people.identities(rng, persons, region)
    year = tumours.diagnosis[roles.tumour].astype("datetime64[Y]").astype(int) + 1970
    columns = people.report_numbers(roles, facilities)
    columns |= people.report_names(rng, roles, ident, persons, facilities)
    columns |= people.report_identity(rng, roles, persons, ident, facilities, prov_new, year)
    dates = fields.role_dates(rng, roles, tumours, outcomes)
    columns |= fields.birth_columns(
        rng,
        persons.birth[roles.tumour_person],
        np.where(np.isnat(dates), tumours.diagnosis[roles.tumour], dates),
    )
    columns["diagnosis_date"] = fields._date_text(dates)
    columns |= fields.role_codes(rng, roles, tumours)
    columns |= fields.stage_columns(rng, roles, tumours)
    columns |= fields.treatment_columns(rng, roles, tumours)
    columns |= fields.outcome_columns(rng, roles, tumours, outcomes, closing, cause_icd10)
    frame, injected = errors.inject(rng, fields.to_frame(columns), invalid_share)
    return frame, roles, ident, injected
