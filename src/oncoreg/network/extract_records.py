"""The registry rows a research extract starts from, read in bulk: one row per tumour
with the person's sex, birth and province, the diagnosis, the treatments reported (yes wins
over no) and the person's vital status (deidentify.BASE_COLUMNS)."""

from __future__ import annotations

from datetime import date

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from oncoreg.checks.site_histology import site_codes
from oncoreg.model import RecordStatus
from oncoreg.store import ExtractRequest, FollowUp, Person, Source, Tumour
from oncoreg.store.bulk import as_dates, read_frame


def base_frame(session: Session, request: ExtractRequest) -> pl.DataFrame:
    """The registry-level rows (deidentify.BASE_COLUMNS) of the request's tumours."""
    t, p = Tumour.__table__.c, Person.__table__.c
    chosen = (
        select(t.id)
        .join(Person.__table__, p.id == t.person_id)
        .where(
            t.status != RecordStatus.OBSOLETE,
            p.status != RecordStatus.OBSOLETE,
            t.diagnosis_date >= date(request.year_from, 1, 1),
            t.diagnosis_date < date(request.year_to + 1, 1, 1),
        )
    )
    connection = session.connection()
    tumours = as_dates(
        read_frame(connection, _tumour_query(chosen)), "birth_date", "diagnosis_date"
    )
    if request.sites:
        codes = set().union(*(site_codes(s) for s in request.sites))
        tumours = tumours.filter(
            pl.col("topography").str.replace(".", "", literal=True).is_in(codes)
        )
    frame = tumours.join(_reports(connection, chosen), on="tumour_id", how="left")
    frame = frame.join(_vital(connection, chosen), on="person_id", how="left")
    return frame.with_columns(pl.col("dead").fill_null(False))


def _tumour_query(chosen):
    t, p = Tumour.__table__.c, Person.__table__.c
    return (
        select(
            t.id.label("tumour_id"),
            t.person_id,
            p.sex,
            p.birth_date,
            p.birth_date_precision,
            p.province_code,
            t.diagnosis_date,
            t.diagnosis_date_precision,
            t.topography,
            t.morphology,
            t.grade,
            t.basis,
            t.stage,
            t.icd10,
        )
        .join(Person.__table__, p.id == t.person_id)
        .where(t.id.in_(chosen))
    )


def _reports(connection, chosen) -> pl.DataFrame:
    """Per tumour: the median reported age and each treatment (yes wins over no)."""
    s = Source.__table__.c
    query = select(
        s.tumour_id, s.age_at_diagnosis, s.surgery, s.radiotherapy, s.chemotherapy
    ).where(s.status != RecordStatus.OBSOLETE, s.tumour_id.in_(chosen))
    frame = read_frame(connection, query)
    treatments = [
        pl.when((pl.col(n) == "1").any())
        .then(pl.lit("1"))
        .when((pl.col(n) == "0").any())
        .then(pl.lit("0"))
        .alias(n)
        for n in ("surgery", "radiotherapy", "chemotherapy")
    ]
    return frame.group_by("tumour_id").agg(
        pl.col("age_at_diagnosis").median().alias("reported_age"), *treatments
    )


def _vital(connection, chosen) -> pl.DataFrame:
    """Per person: the latest death date, the latest date seen, and whether dead."""
    s, t, f = Source.__table__.c, Tumour.__table__.c, FollowUp.__table__.c
    persons = select(t.person_id).where(t.id.in_(chosen))
    reports = (
        select(t.person_id, s.death_date, s.last_contact_date.label("seen"), s.vital_status)
        .join(Tumour.__table__, t.id == s.tumour_id)
        .where(s.status != RecordStatus.OBSOLETE, t.person_id.in_(persons))
    )
    follow = select(f.person_id, f.death_date, f.contact_date.label("seen"), f.vital_status).where(
        f.status != RecordStatus.OBSOLETE, f.person_id.in_(persons)
    )
    rows = pl.concat(
        [
            as_dates(read_frame(connection, q), "death_date", "seen").with_columns(
                pl.col("vital_status").cast(pl.String)
            )
            for q in (reports, follow)
        ],
        how="vertical_relaxed",
    )
    return rows.group_by("person_id").agg(
        pl.col("death_date").max(),
        pl.col("seen").max().alias("last_seen"),
        ((pl.col("vital_status") == "2") | pl.col("death_date").is_not_null()).any().alias("dead"),
    )
