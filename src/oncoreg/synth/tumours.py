"""True persons and tumours of the synthetic registry, drawn vectorised with NumPy.

Persons with cancer are drawn by multinomial over (year, sex, age group, site) cells with
probabilities proportional to the expected cases (population x rate), so that exactly the
requested number of persons is drawn; each then gets a province (census shares), an exact
age, dates, and the tumour's subsite, morphology, behaviour, basis, grade, stage and
laterality from the site's distributions. A few percent get a second primary.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from oncoreg.synth.calibration import (
    AGE_GROUPS,
    AGE_STARTS,
    Site,
    population,
    province_shares,
    rates,
    sites,
    year_factor,
)

EPOCH = np.datetime64("1970-01-01", "D")
SECOND_PRIMARY_SHARE = 0.06
NON_MV = ("0", "1", "2", "4", "9")


@dataclass
class Tumours:
    """Column arrays of the true tumours (one row per tumour)."""

    person: np.ndarray  # int: person index
    site: np.ndarray  # int: index into sites()
    topography: np.ndarray  # str
    morphology: np.ndarray  # str NNNN/B
    basis: np.ndarray  # str
    grade: np.ndarray  # str ('' unknown)
    stage: np.ndarray  # str I..IV, NA, or '' unknown
    laterality: np.ndarray  # str
    diagnosis: np.ndarray  # datetime64[D]
    sequence: np.ndarray  # int 1 or 2


@dataclass
class Persons:
    """Column arrays of the true persons (one row per person)."""

    sex: np.ndarray  # str '1' / '2'
    birth: np.ndarray  # datetime64[D]
    province: np.ndarray  # str, pre-2025 code
    age_group: np.ndarray  # int, at first diagnosis
    year: np.ndarray  # int, year of first diagnosis


def expected_cases(years: range) -> np.ndarray:
    """Expected cases (real scale) as an array [year, sex, age group, site]."""
    all_sites = sites()
    out = np.zeros((len(years), 2, len(AGE_GROUPS), len(all_sites)))
    for j, site in enumerate(all_sites):
        r = rates(site)
        for i, year in enumerate(years):
            out[i, :, :, j] = population()[year] * r * year_factor(site, year)
    return out


def draw(rng: np.random.Generator, n: int, years: range) -> tuple[Persons, Tumours, float]:
    """Draw ``n`` persons with their first primary; returns (persons, tumours, scale)."""
    expected = expected_cases(years)
    scale = n / expected.sum()
    counts = rng.multinomial(n, (expected / expected.sum()).ravel())
    cells = np.repeat(np.arange(counts.size), counts)
    y, s, a, k = np.unravel_index(cells, expected.shape)
    order = rng.permutation(n)
    y, s, a, k = y[order], s[order], a[order], k[order]
    persons, diagnosis = _persons(rng, np.asarray(years)[y], s, a)
    tumours = describe(rng, np.arange(n), k, diagnosis, persons.sex)
    return persons, tumours, scale


def _persons(rng, year, sex_index, age_group) -> tuple[Persons, np.ndarray]:
    n = year.size
    age = AGE_STARTS[age_group] + rng.integers(0, 5, n)
    old = age_group == len(AGE_GROUPS) - 1
    age[old] = 85 + np.minimum(rng.geometric(0.22, old.sum()) - 1, 14)
    start = (year - 1970).astype("datetime64[Y]").astype("datetime64[D]")
    diagnosis = start + rng.integers(0, 365, n).astype("timedelta64[D]")
    offset = np.round((age + rng.random(n)) * 365.25).astype("timedelta64[D]")
    birth = diagnosis - offset
    codes, shares = province_shares()
    province = np.asarray(codes)[rng.choice(len(codes), n, p=shares)]
    sex = np.where(sex_index == 0, "1", "2")
    return Persons(sex, birth, province, age_group, year), diagnosis


def _categorical(rng, dist: dict[str, float], size: int) -> np.ndarray:
    keys, codes = _categorical_codes(rng, dist, size)
    return keys[codes]


def _categorical_codes(rng, dist: dict[str, float], size: int) -> tuple[np.ndarray, np.ndarray]:
    """Draws from ``dist`` as (its keys, an index into them per draw)."""
    keys = list(dist)
    p = np.array([dist[k] for k in keys], dtype=float)
    return np.asarray(keys, dtype=object), rng.choice(len(keys), size, p=p / p.sum())


def describe(rng, person, site_index, diagnosis, sex_of_person) -> Tumours:
    """Subsite, morphology, basis, grade, stage and laterality for each tumour."""
    n = person.size
    topo, morph, basis, grade, stage, lat = (np.empty(n, dtype=object) for _ in range(6))
    for j, site in enumerate(sites()):
        idx = np.flatnonzero(site_index == j)
        if idx.size:
            _fill_site(rng, site, idx, topo, morph, basis, grade, stage, lat)
    return Tumours(
        person,
        site_index,
        topo,
        morph,
        basis,
        grade,
        stage,
        lat,
        diagnosis,
        np.ones(n, dtype=np.int8),
    )


def _fill_site(rng, site: Site, idx, topo, morph, basis, grade, stage, lat) -> None:
    m = idx.size
    topo[idx] = _categorical(rng, site.topography, m)
    basis_keys, b = _categorical_codes(rng, site.basis, m)
    basis[idx] = basis_keys[b]
    non_mv = np.isin(basis_keys, NON_MV)[b]
    vocab, mo = _categorical_codes(rng, site.morphology, m)
    keep = np.isin(vocab, site.clinical)[mo] & (rng.random(m) < 0.5)
    vocab, mo = np.append(vocab, "8000/3"), np.where(non_mv & ~keep, vocab.size, mo)
    if site.in_situ:
        insitu = (rng.random(m) < site.in_situ) & ~non_mv
        in_situ_forms = np.array([c[:4] + "/2" for c in vocab], dtype=object)
        vocab, mo = np.append(vocab, in_situ_forms), np.where(insitu, mo + vocab.size, mo)
    morph[idx] = vocab[mo]
    grade[idx] = _grades(rng, vocab, mo, non_mv)
    stage[idx] = _stages(rng, site, m, vocab, mo)
    lat[idx] = _laterality(rng, site, m)


T_CELL = (
    "9700",
    "9701",
    "9702",
    "9705",
    "9708",
    "9709",
    "9714",
    "9716",
    "9717",
    "9718",
    "9827",
    "9831",
    "9834",
    "9837",
)
NK_CELL = ("9719", "9948")
UNDIFFERENTIATED = ("8020", "8021", "8082")


def _grades(rng, vocab, codes, non_mv) -> np.ndarray:
    """Grade by histology as a pathologist codes it: differentiation 1-3 for solid tumours,
    4 for undifferentiated carcinomas, cell lineage (T 5, B 6, NK 8) for lymphomas and
    leukaemias, 9 (not determined) for in situ tumours and non-microscopic diagnoses.
    ``vocab[codes]`` are the morphologies (each rule is decided once per distinct code)."""
    histology = np.array([c[:4] for c in vocab], dtype=object)
    haem = np.array([h[:2] in ("95", "96", "97", "98", "99") for h in histology])
    size = codes.size
    g = rng.choice(np.array(["1", "2", "3", "9"], dtype=object), size, p=[0.2, 0.4, 0.25, 0.15])
    lineage = rng.choice(np.array(["6", "9"], dtype=object), size, p=[0.75, 0.25])
    lineage[np.isin(histology, T_CELL)[codes]] = "5"
    lineage[np.isin(histology, NK_CELL)[codes]] = "8"
    g[haem[codes]] = lineage[haem[codes]]
    g[np.isin(histology, UNDIFFERENTIATED)[codes]] = "4"
    g[_in_situ(vocab)[codes] | non_mv] = "9"
    return g


def _in_situ(vocab) -> np.ndarray:
    return np.array([c.endswith("/2") for c in vocab], dtype=bool)


def _stages(rng, site: Site, m: int, vocab, codes) -> np.ndarray:
    if not site.stage:
        return np.full(m, "NA", dtype=object)
    out = _categorical(rng, site.stage, m)
    out[rng.random(m) < site.unknown_stage] = ""
    out[_in_situ(vocab)[codes]] = "0"
    return out


def _laterality(rng, site: Site, m: int) -> np.ndarray:
    if not site.paired:
        return np.full(m, "0", dtype=object)
    return rng.choice(np.array(["1", "2", "4", "9"], dtype=object), m, p=[0.48, 0.48, 0.01, 0.03])


def second_primaries(
    rng, persons: Persons, first: Tumours, end: np.datetime64, last_contact: np.ndarray
) -> Tumours:
    """Second primaries for a few percent of persons, diagnosed 0.5-6 years after the first,
    by the person's last contact (or death) and the end of the period; a site different
    from the first. A cancer of unknown primary site is never one of two primaries: the
    IARC/IACR rules count it with the person's other cancer."""
    unknown = _unknown_primary_index()
    drawn = rng.random(first.person.size) < SECOND_PRIMARY_SHARE
    chosen = np.flatnonzero(drawn & (first.site != unknown))
    lag = np.round(rng.uniform(0.5, 6.0, chosen.size) * 365.25).astype("timedelta64[D]")
    when = first.diagnosis[chosen] + lag
    ok = (when <= end) & (when <= last_contact[chosen])
    chosen, when = chosen[ok], when[ok]
    sex_index = np.where(persons.sex[chosen] == "1", 0, 1)
    site_index = _other_site(rng, sex_index, persons.age_group[chosen], first.site[chosen])
    keep = site_index >= 0
    t = describe(
        rng, first.person[chosen][keep], site_index[keep], when[keep], persons.sex[chosen][keep]
    )
    t.sequence[:] = 2
    return t


def _other_site(rng, sex_index, age_group, first_site) -> np.ndarray:
    table = np.stack([rates(s) for s in sites()], axis=-1)  # [sex, age, site]
    probs = table[sex_index, age_group].copy()
    probs[np.arange(probs.shape[0]), first_site] = 0.0
    probs[:, _unknown_primary_index()] = 0.0
    totals = probs.sum(axis=1)
    cumulative = probs.cumsum(axis=1) / np.where(totals > 0, totals, 1)[:, None]
    pick = (cumulative < rng.random(probs.shape[0])[:, None]).sum(axis=1)
    return np.where(totals > 0, np.minimum(pick, probs.shape[1] - 1), -1)


def _unknown_primary_index() -> int:
    return next(i for i, s in enumerate(sites()) if s.topography == {"C80.9": 1.0})


def concat(a: Tumours, b: Tumours) -> Tumours:
    return Tumours(
        *(np.concatenate([getattr(a, f), getattr(b, f)]) for f in a.__dataclass_fields__)
    )
