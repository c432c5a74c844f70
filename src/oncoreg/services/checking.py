"""Checks and data-quality indicators on the reports stored in the registry, and the
confirmation of warnings by registrars."""

from __future__ import annotations

from datetime import date

import polars as pl
from sqlalchemy import select

from oncoreg.checks.engine import run as run_checks
from oncoreg.checks.quality import indicators
from oncoreg.errors import InputError, NotFound
from oncoreg.model import RecordStatus
from oncoreg.store import CheckFinding, Facility, Source, Store
from oncoreg.store.tables import utcnow

COLUMNS = {
    "facility_code": Facility.code,
    "facility_type": Facility.type,
    "report_id": Source.report_id,
    "sex": Source.sex,
    "topography": Source.topography,
    "morphology": Source.morphology,
    "grade": Source.grade,
    "basis": Source.basis,
    "laterality": Source.laterality,
    "vital_status": Source.vital_status,
    "birth_date": Source.birth_date,
    "birth_date_precision": Source.birth_date_precision,
    "diagnosis_date": Source.diagnosis_date,
    "diagnosis_date_precision": Source.diagnosis_date_precision,
    "last_contact_date": Source.last_contact_date,
    "death_date": Source.death_date,
    "first_treatment_date": Source.first_treatment_date,
    "age_at_diagnosis": Source.age_at_diagnosis,
    "cause_of_death": Source.cause_of_death,
    "received_at": Source.received_at,
}


def stored_reports(store: Store, since: date | None = None) -> pl.DataFrame:
    """Stored (not obsolete) reports as a frame of the check engine's columns."""
    query = (
        select(*[c.label(n) for n, c in COLUMNS.items()])
        .join(Facility, Facility.id == Source.facility_id)
        .where(Source.status != RecordStatus.OBSOLETE)
    )
    if since is not None:
        query = query.where(Source.received_at >= since)
    with store.engine.connect() as conn:
        rows = conn.execute(query).all()
    frame = pl.DataFrame(
        [tuple(_plain(v) for v in r) for r in rows],
        schema=list(COLUMNS),
        orient="row",
        infer_schema_length=None,
    )
    morph = pl.col("morphology")
    return frame.with_columns(
        morphology=morph.str.slice(0, 4),
        behaviour=morph.str.slice(5, 1),
    )


def _plain(value):
    return getattr(value, "value", value)


def confirmed_findings(store: Store) -> pl.DataFrame:
    query = (
        select(Facility.code, Source.report_id, CheckFinding.rule_id)
        .join(Source, Source.id == CheckFinding.source_id)
        .join(Facility, Facility.id == Source.facility_id)
        .where(CheckFinding.confirmed_at.is_not(None))
    )
    with store.engine.connect() as conn:
        rows = conn.execute(query).all()
    schema = {"facility_code": pl.String, "report_id": pl.String, "rule_id": pl.String}
    return pl.DataFrame(rows, schema=schema, orient="row")


def check_registry(store: Store, since: date | None = None) -> pl.DataFrame:
    """Every finding on the stored reports, less the warnings registrars confirmed."""
    frame = stored_reports(store, since)
    return run_checks(frame, confirmed=confirmed_findings(store))


def confirm(store: Store, facility_code: str, report_id: str, rule_id: str, actor: str) -> None:
    """Record that a registrar confirmed a warning (who and when); it then no longer blocks."""
    with store.session(actor=actor) as session:
        finding = session.scalars(
            select(CheckFinding)
            .join(Source, Source.id == CheckFinding.source_id)
            .join(Facility, Facility.id == Source.facility_id)
            .where(
                Facility.code == facility_code,
                Source.report_id == report_id,
                CheckFinding.rule_id == rule_id,
            )
        ).first()
        if finding is None:
            raise NotFound(
                f"no finding {rule_id} on report {report_id} of {facility_code}",
                hint="`oncoreg check` lists the findings",
            )
        if finding.severity == "error":
            raise InputError("an error cannot be confirmed; the report must be corrected")
        finding.confirmed_by, finding.confirmed_at = actor, utcnow()


def quality(store: Store, by: list[str], year: int | None = None) -> pl.DataFrame:
    """Data-quality indicators of the stored reports by ``by`` (site, sex, year, facility)."""
    from oncoreg.services.sites import site_of

    frame = stored_reports(store)
    frame = frame.with_columns(
        diagnosis_year=pl.col("diagnosis_date").dt.year(),
        death_year=pl.col("death_date").dt.year(),
        age=pl.col("age_at_diagnosis"),
        site=site_of(frame),
        cause_site=pl.when(pl.col("facility_type") == "death-registration").then(
            site_of(frame, cause=True)
        ),
    )
    if year is not None:
        frame = frame.filter((pl.col("diagnosis_year") == year) | (pl.col("death_year") == year))
    columns = {"site": "site", "sex": "sex", "year": "diagnosis_year", "facility": "facility_code"}
    unknown = [b for b in by if b not in columns]
    if unknown:
        raise InputError(
            f"cannot group by {', '.join(unknown)}", hint="use site, sex, year or facility"
        )
    return indicators(frame, [columns[b] for b in by])
