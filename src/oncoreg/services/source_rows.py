"""Turning normalised report frames into rows of the ``sources`` table, and back to keys."""

from __future__ import annotations

import hashlib
from pathlib import Path

import polars as pl
from sqlalchemy import select

from oncoreg.checks.derived import age_from_dates
from oncoreg.model import RecordStatus
from oncoreg.store import Source
from oncoreg.store.identifiers import keyed_hashes
from oncoreg.store.tables import utcnow

# canonical column -> (sources column, maximum length) for the text the store keeps
TEXT_LIMITS = {
    "report_id": 64,
    "patient_no": 64,
    "full_name": 200,
    "family_name": 100,
    "middle_name": 100,
    "given_name": 100,
    "national_id": 32,
    "insurance_no": 32,
    "phone": 32,
    "tnm_t": 8,
    "tnm_n": 8,
    "tnm_m": 8,
    "stage_group": 16,
    "summary_stage": 2,
    "grade": 1,
    "basis": 1,
    "laterality": 1,
    "surgery": 1,
    "radiotherapy": 1,
    "chemotherapy": 1,
    "systemic_other": 1,
    "vital_status": 1,
    "cause_of_death": 8,
    "topography": 5,
}
DIRECT = {
    "report_id": "report_id",
    "patient_no": "patient_no",
    "full_name": "full_name",
    "family_name": "family_name",
    "middle_name": "middle_name",
    "given_name": "given_name",
    "sex": "sex",
    "national_id": "national_id",
    "insurance_no": "insurance_number",
    "phone": "phone",
    "address": "address",
    "topography": "topography",
    "grade": "grade",
    "basis": "basis",
    "laterality": "laterality",
    "tnm_t": "tnm_t",
    "tnm_n": "tnm_n",
    "tnm_m": "tnm_m",
    "stage_group": "stage",
    "summary_stage": "summary_stage",
    "surgery": "surgery",
    "radiotherapy": "radiotherapy",
    "chemotherapy": "chemotherapy",
    "systemic_other": "systemic_other",
    "vital_status": "vital_status",
    "cause_of_death": "cause_of_death",
    "province_code_2025": "province_code",
    "province_code_2004": "province_code_2004",
    "morph_code": "morphology",
    "content_hash": "content_hash",
    "_raw": "raw",
    "_row": "row_number",
    "birth_date_value": "birth_date",
    "birth_date_precision": "birth_date_precision",
    "diagnosis_date_value": "diagnosis_date",
    "diagnosis_date_precision": "diagnosis_date_precision",
    "last_contact_date_value": "last_contact_date",
    "death_date_value": "death_date",
    "first_treatment_date_value": "first_treatment_date",
}
NEVER_UPDATED = frozenset({"facility_id", "report_id", "status", "created_at", "received_at"})


def too_long() -> pl.Expr:
    """True where a text value exceeds what its column can hold."""
    return pl.any_horizontal(
        pl.col(name).str.len_chars() > limit for name, limit in TEXT_LIMITS.items()
    ).fill_null(False)


def file_hash(path: Path) -> str:
    """SHA-256 of a file, or of a folder's files in name order (FHIR folders)."""
    digest = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for file in files:
        with file.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def existing(session, frame: pl.DataFrame, facilities: dict[str, int]) -> dict:
    """(facility_code, report_id) -> (source id, content hash) of the reports already stored
    for the facilities of ``frame`` (one query; a file holds few facilities)."""
    codes = {v: k for k, v in facilities.items()}
    ids = [facilities[c] for c in frame["facility_code"].unique().to_list() if c in facilities]
    if not ids:
        return {}
    query = select(Source.id, Source.facility_id, Source.report_id, Source.content_hash).where(
        Source.facility_id.in_(ids)
    )
    wanted = set(frame.select("facility_code", "report_id").iter_rows())
    out = {}
    for sid, fid, rid, digest in session.execute(query):
        key = (codes[fid], rid)
        if key in wanted:
            out[key] = (sid, digest)
    return out


def classify(frame: pl.DataFrame, stored: dict):
    """Split accepted rows into new, changed (same key, other content) and unchanged."""
    status = [
        "new" if key not in stored else ("same" if stored[key][1] == digest else "changed")
        for key, digest in zip(
            frame.select("facility_code", "report_id").iter_rows(),
            frame["content_hash"].to_list(),
            strict=True,
        )
    ]
    tagged = frame.with_columns(_status=pl.Series(status, dtype=pl.String))
    return tuple(
        tagged.filter(pl.col("_status") == s).drop("_status") for s in ("new", "changed", "same")
    )


def to_frame(
    frame: pl.DataFrame,
    facilities: dict[str, int],
    batch_id: int,
    file_name: str,
    hash_key: str | None,
) -> pl.DataFrame:
    """Rows for the ``sources`` table as a frame with the table's column names.

    With a ``hash_key`` (new reports) the identifier hashes, status and creation times are
    included; without (corrections) only the reported values.
    """
    now = utcnow()
    columns = [c for c in DIRECT if c in frame.columns]
    age = pl.coalesce(
        "age_at_diagnosis_value",
        age_from_dates(
            "birth_date_value",
            "birth_date_precision",
            "diagnosis_date_value",
            "diagnosis_date_precision",
        ),
    )
    out = frame.select(
        *[pl.col(c).alias(DIRECT[c]) for c in columns],
        age.alias("age_at_diagnosis"),
        pl.col("facility_code")
        .replace_strict(facilities, return_dtype=pl.Int64)
        .alias("facility_id"),
        pl.lit(batch_id).alias("batch_id"),
        pl.lit(file_name).alias("file_name"),
        pl.lit(now).alias("updated_at"),
    )
    if hash_key is None:
        return out
    return out.with_columns(
        pl.lit(now).alias("created_at"),
        pl.lit(now).alias("received_at"),
        pl.lit(RecordStatus.PENDING.value).alias("status"),
        _hashes(out["national_id"], hash_key, "national_id").alias("national_id_hash"),
        _hashes(out["insurance_number"], hash_key, "insurance").alias("insurance_hash"),
    )


def _hashes(values: pl.Series, key: str, kind: str) -> pl.Series:
    """Keyed hashes of identifiers, computed once per distinct value."""
    uniques = values.drop_nulls().unique()
    hashes = pl.Series(keyed_hashes(uniques.to_list(), key, kind), dtype=pl.String)
    return values.replace_strict(uniques, hashes, default=None, return_dtype=pl.String)
