"""The person-level frame: true identity and outcome of every synthetic person.

Names come from :mod:`oncoreg.synth.names`; identifiers from :mod:`oncoreg.synth.identity`;
the frame is what reports gather from, by person index.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from oncoreg.codes.provinces import province, to_2025
from oncoreg.synth import fields, identity, names
from oncoreg.synth.outcomes import Outcomes
from oncoreg.synth.tumours import Persons

# the person frame's columns, in order
COLUMNS = [
    "sex",
    "birth",
    "province_2004",
    "province_2025",
    "region",
    "family",
    "middle",
    "given",
    "national_id",
    "insurance",
    "phone",
    "address",
    "death",
    "last_contact",
    "cancer_death",
    "other_cause",
    "address_ascii",
    "family_ascii",
    "middle_ascii",
    "given_ascii",
]


def dates(values: np.ndarray) -> pl.Series:
    """datetime64[D] (NaT allowed) -> a Polars Date series (null for NaT)."""
    return pl.Series(values.astype("datetime64[D]")).cast(pl.Date)


def _lookup(codes: pl.Series, fn) -> pl.Series:
    mapping = {c: fn(c) for c in codes.unique().to_list()}
    return codes.replace_strict(mapping, return_dtype=pl.String)


def _text(values: np.ndarray) -> pl.Series:
    """A NumPy array of short codes as a Polars text column (one conversion per value)."""
    return pl.Series(values.tolist(), dtype=pl.String)


def person_frame(rng, persons: Persons, fate: Outcomes) -> pl.DataFrame:
    """One row per person: identity, province of both eras, region, outcome."""
    province_2004 = _text(persons.province)
    region = _lookup(province_2004, names.region_of_province)
    family, middle, given = names.draw_names(rng, persons.sex, region.to_numpy().astype("U1"))
    sex = _text(persons.sex)
    birth = dates(persons.birth)
    place = _lookup(province_2004, lambda c: province(c, era="2004").name_vi)
    frame = pl.DataFrame(
        {
            "sex": sex,
            "birth": birth,
            "province_2004": province_2004,
            "province_2025": _lookup(province_2004, to_2025),
            "region": region,
            "family": pl.Series(family, dtype=pl.String),
            "middle": pl.Series(middle, dtype=pl.String),
            "given": pl.Series(given, dtype=pl.String),
            "national_id": identity.national_ids(rng, province_2004, sex, birth.dt.year()),
            "insurance": identity.insurance_numbers(rng, province_2004),
            "phone": identity.phones(rng, sex.len()),
            "death": dates(fate.death),
            "last_contact": dates(fate.last_contact),
            "cancer_death": fate.cancer_death,
            "other_cause": pl.Series(fate.cause, dtype=pl.String).replace("", None),
        }
    )
    address = identity.addresses(rng, place)  # drawn after the phones
    spelt = [fields.ascii_lookup(frame[part]) for part in ("family", "middle", "given")]
    return pl.concat([frame, address, pl.DataFrame(spelt)], how="horizontal").select(COLUMNS)
