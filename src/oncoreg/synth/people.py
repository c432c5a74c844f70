"""Per-person identities and the per-report columns built from them.

Everything is vectorised over arrays: a report's value is the true value gathered by index,
then changed under boolean masks (a facility's habits, a role's knowledge, random slips).
Names have few distinct values, so their transformations run once per distinct value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from oncoreg.synth import identity, names
from oncoreg.synth.tumours import Persons

DAY = np.timedelta64(1, "D")


@dataclass
class Identity:
    """True identity of each person (indexed like Persons)."""

    family: np.ndarray
    middle: np.ndarray
    given: np.ndarray
    national_id: np.ndarray
    insurance: np.ndarray
    phone: np.ndarray
    address: np.ndarray


def identities(rng, persons: Persons, region: np.ndarray) -> Identity:
    from oncoreg.codes.provinces import province

    family, middle, given = names.draw_names(rng, persons.sex, region)
    year = persons.birth.astype("datetime64[Y]").astype(int) + 1970
    names_by_code = {c: province(c, era="2004").name_vi for c in np.unique(persons.province)}
    place = np.array([names_by_code[c] for c in persons.province], dtype=object)
    return Identity(
        family,
        middle,
        given,
        identity.national_ids(rng, persons.province, persons.sex, year),
        identity.insurance_numbers(rng, persons.province),
        identity.phones(rng, persons.sex.size),
        identity.addresses(rng, place),
    )


def _map_unique(values: np.ndarray, fn) -> np.ndarray:
    uniques, inverse = np.unique(values.astype(str), return_inverse=True)
    return np.array([fn(u) for u in uniques], dtype=object)[inverse]


def _each(rng, values: np.ndarray, mask: np.ndarray, fn) -> np.ndarray:
    out = values.copy()
    rows = np.flatnonzero(mask)
    if rows.size:
        out[rows] = fn(rng, values[rows])
    return out


def report_names(rng, roles, ident: Identity, persons: Persons, facilities) -> dict:
    """Name columns as each facility writes them."""
    p = roles.tumour_person
    n = p.size
    fam, mid, giv = ident.family[p], ident.middle[p], ident.given[p]
    variant = np.flatnonzero(rng.random(n) < 0.02)
    giv[variant] = names.given_name_variant(rng, giv[variant], persons.sex[p][variant])
    giv = _each(rng, giv, rng.random(n) < 0.025, names.typo)
    fam = _each(rng, fam, rng.random(n) < 0.01, names.typo)
    mid = np.where(rng.random(n) < 0.04, "", mid)
    fac = roles.facility
    ascii_ = np.array([f.ascii_names for f in facilities])[fac]
    upper = np.array([f.upper_names for f in facilities])[fac] | (rng.random(n) < 0.05)
    for arr in (fam, mid, giv):
        arr[ascii_] = names.strip_diacritics(arr[ascii_])
        arr[upper] = names.upper(arr[upper])
    split = np.array([f.split_names for f in facilities])[fac]
    full = names.join_full(fam, mid, giv)
    return {
        "full_name": np.where(split, None, full),
        "family_name": np.where(split, fam, None),
        "middle_name": np.where(split & (mid != ""), mid, None),
        "given_name": np.where(split, giv, None),
    }


def _typo_digits(rng, values: np.ndarray) -> np.ndarray:
    out = []
    for v in values:
        pos = int(rng.integers(0, len(v)))
        out.append(v[:pos] + str((int(v[pos]) + 1) % 10) + v[pos + 1 :])
    return np.array(out, dtype=object)


def report_identity(
    rng, roles, persons: Persons, ident: Identity, facilities, prov_new, diagnosis_year: np.ndarray
) -> dict:
    """Sex, identifiers, phone, province and address as each facility reports them."""
    p = roles.tumour_person
    n = p.size
    sex = persons.sex[p].copy()
    sex[rng.random(n) < 0.003] = "9"
    id_rate = np.where(diagnosis_year >= 2021, 0.6, 0.25)
    id_rate = np.where(roles.role == "death", 0.85, id_rate)
    national = np.where(rng.random(n) < id_rate, ident.national_id[p], None)
    national = _each(rng, national, (national != None) & (rng.random(n) < 0.01), _typo_digits)  # noqa: E711
    phone = np.where(rng.random(n) < 0.1, identity.phones(rng, n), ident.phone[p])
    codes_2025 = np.array([f.codes_2025 for f in facilities])[roles.facility]
    province = np.where(codes_2025, prov_new[p], persons.province[p])
    ascii_ = np.array([f.ascii_names for f in facilities])[roles.facility]
    address = ident.address[p].copy()
    address[ascii_] = names.strip_diacritics(address[ascii_])
    return {
        "sex": sex,
        "national_id": national,
        "insurance_no": np.where(rng.random(n) < 0.5, ident.insurance[p], None),
        "phone": np.where(rng.random(n) < 0.55, phone, None),
        "province_code": np.where(rng.random(n) < 0.97, province, None),
        "address": np.where(rng.random(n) < 0.7, address, None),
    }


def report_numbers(roles, facilities) -> dict:
    """report_id (per facility, in order) and patient_no (per facility and person)."""
    codes = np.array([f.code for f in facilities], dtype=object)[roles.facility]
    frame = pl.DataFrame(
        {
            "facility": roles.facility,
            "person": roles.tumour_person,
            "row": np.arange(roles.facility.size),
        }
    )
    frame = frame.with_columns(
        pl.col("row").rank("ordinal").over("facility").alias("seq"),
        pl.col("person").rank("dense").over("facility").alias("patient"),
    )
    seq = frame["seq"].to_numpy()
    patient = frame["patient"].to_numpy()
    report_id = np.char.add(
        np.char.add(codes.astype(str), "-"), np.char.zfill(seq.astype(str), 7)
    ).astype(object)
    patient_no = np.char.add("BN", np.char.zfill((patient + 100000).astype(str), 8)).astype(object)
    return {"report_id": report_id, "facility_code": codes, "patient_no": patient_no}
