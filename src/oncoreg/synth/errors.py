"""Reports made invalid on purpose, so that the IARC/IACR checks have work.

Kinds: an impossible date (30 February), a diagnosis in the future, a birth after the
diagnosis, a sex that conflicts with a sex-specific site, a topography or a morphology code
that does not exist, and an age that contradicts the birth date. The ground truth keeps the
kind of every injected error.
"""

from __future__ import annotations

import numpy as np
import polars as pl

KINDS = (
    "impossible-date",
    "future-date",
    "birth-after-diagnosis",
    "sex-site-conflict",
    "unknown-topography",
    "unknown-morphology",
    "age-mismatch",
)
SEX_SPECIFIC = {
    "C50": None,
    "C51": "2",
    "C52": "2",
    "C53": "2",
    "C54": "2",
    "C55": "2",
    "C56": "2",
    "C57": "2",
    "C58": "2",
    "C60": "1",
    "C61": "1",
    "C62": "1",
    "C63": "1",
}
BAD_TOPOGRAPHY = ("C14.1", "C26.2", "C39.1")
BAD_MORPHOLOGY = ("8599", "8888", "9999")


def inject(
    rng, frame: pl.DataFrame, share: float, order: np.ndarray | None = None
) -> tuple[pl.DataFrame, np.ndarray]:
    """Make about ``share`` of the reports invalid; returns the frame and the kind per report.

    Without ``order`` the reports are the frame's rows. With it, report ``order[j]`` is the
    frame's row ``j``: the draws and the kinds follow the reports, the edits go to their rows.
    """
    n = frame.height
    at = _positions(order, n)
    kind = np.full(n, "", dtype=object)
    rows = np.flatnonzero(rng.random(n) < share)
    kind[rows] = np.asarray(KINDS, dtype=object)[rng.integers(0, len(KINDS), rows.size)]
    sex_rows = rows[kind[rows] == "sex-site-conflict"]
    topo = frame["topography"].gather(at[sex_rows]).to_list()
    opposite = [SEX_SPECIFIC.get(str(t)[:3]) for t in topo]
    fallback = np.array([o is None for o in opposite], dtype=bool)
    kind[sex_rows[fallback]] = "unknown-topography"
    age_rows = rows[kind[rows] == "age-mismatch"]  # detectable only against a birth date
    no_birth = np.array(frame["birth_date"].gather(at[age_rows]).is_null().to_list(), dtype=bool)
    kind[age_rows[no_birth]] = "unknown-morphology"
    rows = np.flatnonzero(kind != "")
    return _edit(rng, frame, kind, at[rows]), kind


TOUCHED = (
    "diagnosis_date",
    "last_contact_date",
    "birth_date",
    "sex",
    "topography",
    "morphology",
    "age_at_diagnosis",
)


def _positions(order: np.ndarray | None, n: int) -> np.ndarray:
    """The frame row of each report: the inverse permutation of ``order``."""
    if order is None:
        return np.arange(n)
    at = np.empty(n, dtype=np.int64)
    at[np.asarray(order)] = np.arange(n)
    return at


def _edit(rng, frame: pl.DataFrame, kind: np.ndarray, at: np.ndarray) -> pl.DataFrame:
    """Apply the errors of ``kind`` (of the reports with one) to the frame rows ``at``."""
    sub = {name: np.asarray(frame[name].gather(at).to_list(), dtype=object) for name in TOUCHED}
    _apply(rng, sub, kind[kind != ""])
    updates = []
    for name in TOUCHED:
        series = frame[name].clone()
        series.scatter(at, pl.Series(sub[name].tolist(), dtype=pl.String))
        updates.append(series)
    return frame.with_columns(updates)


def _apply(rng, c: dict[str, np.ndarray], kind: np.ndarray) -> None:
    def rows(name: str) -> np.ndarray:
        return np.flatnonzero(kind == name)

    for i in rows("impossible-date"):
        year = str(c["diagnosis_date"][i] or c["last_contact_date"][i] or "2020")[:4]
        c["diagnosis_date"][i] = f"{year}-02-30"
    for i in rows("future-date"):
        c["diagnosis_date"][i] = f"{2031 + int(rng.integers(0, 5))}-0{int(rng.integers(1, 10))}-15"
    for i in rows("birth-after-diagnosis"):
        dx = c["diagnosis_date"][i] or c["last_contact_date"][i] or "2020-01-01"
        c["birth_date"][i] = f"{int(str(dx)[:4]) + 1}{str(dx)[4:10] or '-01-01'}"
    for i in rows("sex-site-conflict"):
        c["sex"][i] = "1" if SEX_SPECIFIC[str(c["topography"][i])[:3]] == "2" else "2"
    for i in rows("unknown-topography"):
        c["topography"][i] = BAD_TOPOGRAPHY[int(rng.integers(0, len(BAD_TOPOGRAPHY)))]
    for i in rows("unknown-morphology"):
        c["morphology"][i] = BAD_MORPHOLOGY[int(rng.integers(0, len(BAD_MORPHOLOGY)))]
    for i in rows("age-mismatch"):
        age = c["age_at_diagnosis"][i]
        c["age_at_diagnosis"][i] = str(int(age) + 11) if age else "7"
