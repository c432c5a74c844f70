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

from concurrent.futures import Future
from dataclasses import dataclass

import numpy as np
import polars as pl

from oncoreg.synth import fields, people
from oncoreg.synth.facilities import SynthFacility, facility_region
from oncoreg.synth.outcomes import Outcomes
from oncoreg.synth.tumours import Persons, Tumours

DIAGNOSING, TREATING, LAB, DEATH = "diagnosing", "treating", "lab", "death"


@dataclass
class Roles:
    """One row per report: which tumour, which facility, in which role."""

    tumour: np.ndarray
    facility: np.ndarray
    role: np.ndarray
    tumour_person: np.ndarray | None = None


REGIONS = ("N", "C", "S")
ROLE_NAMES = (DIAGNOSING, TREATING, LAB, DEATH)


class FacilityIndex:
    """Facilities by kind, region and 2025 province, to choose reporters quickly.

    Places are small integers (``places`` maps a 2025 province code to its number), so that
    rows can be grouped by place with one sort.
    """

    def __init__(self, facilities: list[SynthFacility], places: dict[str, int]) -> None:
        self.places = places
        self.region = np.array([REGIONS.index(facility_region(f)) for f in facilities])
        self.kind = np.array([f.type for f in facilities], dtype=object)
        self.central = np.array([f.level == "central" for f in facilities])
        self.place = np.array([places.get(f.province_code, -1) for f in facilities])

    def pool(
        self,
        kind: str,
        region: int | None = None,
        place: int | None = None,
        central: bool | None = None,
    ) -> np.ndarray:
        mask = self.kind == kind
        if region is not None:
            mask &= self.region == region
        if place is not None:
            mask &= self.place == place
        if central is not None:
            mask &= self.central == central
        return np.flatnonzero(mask)


def _choose(rng, candidates: np.ndarray, n: int) -> np.ndarray:
    return candidates[rng.integers(0, candidates.size, n)]


def _grouped(keys: np.ndarray, rows: np.ndarray, size: int):
    """Yield (key, rows with that key) for integer keys 0..size-1, one sort in all."""
    # small keys: a stable sort of 16-bit integers is a radix sort
    order = rows[np.argsort(keys[rows].astype(np.int16), kind="stable")]
    bounds = np.concatenate([[0], np.cumsum(np.bincount(keys[rows], minlength=size))])
    for key in range(size):
        if bounds[key + 1] > bounds[key]:
            yield key, order[bounds[key] : bounds[key + 1]]


def _by_place(rng, index: FacilityIndex, kind: str, place, region, local_share: float):
    """A facility of ``kind`` per row: local (same 2025 province) with ``local_share``,
    else one of the region's central ones; falling back region -> anywhere."""
    n = place.size
    out = np.full(n, -1)
    wanted = np.flatnonzero(rng.random(n) < local_share)
    for key, rows in _grouped(place, wanted, len(index.places)):
        local = index.pool(kind, place=key)
        if local.size:
            out[rows] = _choose(rng, local, rows.size)
    for key, rows in _grouped(region, np.flatnonzero(out < 0), len(REGIONS)):
        pool = index.pool(kind, region=key, central=True)
        pool = pool if pool.size else index.pool(kind, region=key)
        pool = pool if pool.size else index.pool(kind)
        if pool.size:
            out[rows] = _choose(rng, pool, rows.size)
    return out


def assign_roles(
    rng, t: Tumours, person_place, person_region, dead_in_period, index: FacilityIndex
) -> Roles:
    """Which facilities report each tumour, in which role (1-4 reports a tumour)."""
    n = t.person.size
    place, region = person_place[t.person], person_region[t.person]
    dco = t.basis == "0"
    parts = []
    diag = _by_place(rng, index, "hospital", place, region, 0.55)
    parts.append((np.flatnonzero(~dco & (diag >= 0)), diag, 0))
    treat = _by_place(rng, index, "hospital", place, region, 0.15)
    wants = ~dco & (rng.random(n) < 0.45) & (treat != diag) & (treat >= 0)
    parts.append((np.flatnonzero(wants), treat, 1))
    lab = _by_place(rng, index, "lab", place, region, 0.5)
    mv = np.isin(t.basis, ("5", "6", "7"))
    parts.append((np.flatnonzero(mv & (rng.random(n) < 0.55) & (lab >= 0)), lab, 2))
    death = _by_place(rng, index, "death-registration", place, region, 0.8)
    died = dead_in_period[t.person]
    wants = died & (death >= 0) & (dco | (rng.random(n) < 0.7))
    parts.append((np.flatnonzero(wants), death, 3))
    tumour = np.concatenate([rows for rows, _, _ in parts])
    facility = np.concatenate([chosen[rows] for rows, chosen, _ in parts])
    role = np.concatenate([np.full(rows.size, code, dtype=np.int8) for rows, _, code in parts])
    order = np.argsort(tumour * len(ROLE_NAMES) + role)  # a tumour has each role once
    names = np.asarray(ROLE_NAMES, dtype=object)
    return Roles(tumour[order], facility[order], names[role[order]])


def numbering(roles: Roles, diagnosis: np.ndarray) -> pl.DataFrame:
    """Report sequence per facility (in order of diagnosis) and patient number per facility."""
    frame = pl.DataFrame(
        {
            "facility": roles.facility,
            "person": roles.tumour_person,
            "day": diagnosis.astype(int),
            "row": np.arange(roles.facility.size),
        }
    )
    by_day = pl.col("day") * frame.height + pl.col("row")  # (day, row) as one integer
    return frame.select(
        by_day.rank("ordinal").over("facility").alias("report_seq"),
        pl.col("person").rank("dense").over("facility").alias("patient_seq"),
    )


def tumour_frame(t: Tumours, causes: pl.Series) -> pl.DataFrame:
    def text(values: np.ndarray) -> pl.Series:
        return pl.Series(values, dtype=pl.String)

    return pl.DataFrame(
        {
            "t_topography": text(t.topography),
            "t_morphology": text(t.morphology),
            "basis": text(t.basis),
            "t_grade": text(t.grade),
            "stage": text(t.stage),
            "t_laterality": text(t.laterality),
            "diagnosis": people.dates(t.diagnosis),
            "t_cause": causes.cast(pl.String),
        }
    )


def facility_frame(facilities: list[SynthFacility]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "facility_code": [f.code for f in facilities],
            "ascii": [f.ascii_names for f in facilities],
            "upper": [f.upper_names for f in facilities],
            "split": [f.split_names for f in facilities],
            "codes_2025": [f.codes_2025 for f in facilities],
        }
    )


@dataclass
class Plan:
    """Everything the chunks of reports are built from."""

    roles: Roles
    numbers: pl.DataFrame
    persons: pl.DataFrame
    tumours: pl.DataFrame
    facilities: pl.DataFrame
    report_year: np.ndarray


def plan(rng, persons: Persons, t: Tumours, fate: Outcomes, facilities, tumours: Future) -> Plan:
    """Roles, numbers and the person/tumour/facility frames, before any report text.

    ``tumours`` is the future of :func:`tumour_frame` (built meanwhile in another thread)."""
    person = people.person_frame(rng, persons, fate)
    codes = sorted(
        set(person["province_2025"].unique().to_list()) | {f.province_code for f in facilities}
    )
    places = {code: i for i, code in enumerate(codes)}
    index = FacilityIndex(facilities, places)
    person_place = person["province_2025"].replace_strict(places, return_dtype=pl.Int64)
    person_region = person["region"].replace_strict(
        {r: i for i, r in enumerate(REGIONS)}, return_dtype=pl.Int64
    )
    dead = ~np.isnat(fate.death)
    roles = assign_roles(rng, t, person_place.to_numpy(), person_region.to_numpy(), dead, index)
    roles.tumour_person = t.person[roles.tumour]
    year = t.diagnosis[roles.tumour].astype("datetime64[Y]").astype(int) + 1970
    return Plan(
        roles,
        numbering(roles, t.diagnosis[roles.tumour]),
        person,
        tumours.result(),
        facility_frame(facilities),
        year,
    )


def chunk(
    rng, p: Plan, rows: np.ndarray, closing, order: pl.Series | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The canonical reports of ``rows`` (indices into the roles) and their truth.

    The truth follows ``rows``; the reports follow ``rows[order]`` when an ``order`` is
    given (the random draws do not depend on it)."""
    roles = p.roles
    person, tumour, facility = roles.tumour_person[rows], roles.tumour[rows], roles.facility[rows]
    numbers = p.numbers[rows]
    base = pl.concat(
        [
            p.persons[person],
            p.tumours[tumour],
            p.facilities[facility],
            pl.DataFrame({"role": pl.Series(roles.role[rows].tolist(), dtype=pl.String)}),
            numbers,
        ],
        how="horizontal",
    )
    base = base.with_columns(
        report_id=pl.concat_str(
            [
                pl.col("facility_code"),
                pl.lit("-"),
                pl.col("report_seq").cast(pl.String).str.zfill(7),
            ]
        ),
        patient_no=pl.concat_str(
            [pl.lit("BN"), (pl.col("patient_seq") + 100000).cast(pl.String).str.zfill(8)]
        ),
    )
    reports = fields.report_columns(rng, base, closing.astype(object), order)
    truth = pl.DataFrame(
        {
            "report_id": base["report_id"],
            "facility_code": base["facility_code"],
            "person_id": person + 1,
            "tumour_id": tumour + 1,
            "role": base["role"],
        }
    )
    return reports, truth
