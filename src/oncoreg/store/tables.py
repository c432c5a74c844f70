"""SQLAlchemy tables of the registry store.

One person has many tumours; one tumour has many sources (hospital reports), as in
CanReg5. A source may not be linked to a tumour yet (before linkage). Every audited
class lists the columns that identify a person (``__identifying__``): their old and new
values go to a separate column of the audit trail that only roles allowed to read the
record may see.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from oncoreg.model import (
    AuditAction,
    DatePrecision,
    FacilityLevel,
    FacilityType,
    RecordStatus,
    Role,
    Sex,
    VitalStatus,
)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


def enum_column(enum: type[StrEnum], name: str) -> Enum:
    """A portable enum: a VARCHAR with a CHECK constraint, stored by value."""
    return Enum(
        enum,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=24,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


def partial_index(table: str, column: str) -> Index:
    """An index of the rows where ``column`` is set: identifiers and links are often missing,
    and a partial index is smaller and cheaper to keep up on bulk imports."""
    where = text(f"{column} IS NOT NULL")
    return Index(f"ix_{table}_{column}", column, sqlite_where=where, postgresql_where=where)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Audited:
    """Mixin of the records whose every change is written to the audit trail."""

    __identifying__: frozenset[str] = frozenset()

    status: Mapped[RecordStatus] = mapped_column(
        enum_column(RecordStatus, "record_status"), default=RecordStatus.PENDING
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    def audit_scope(self) -> int | None:
        """The facility whose users may see this record's audit events (None: registry)."""
        return None


class Province(Base):
    __tablename__ = "provinces"

    era: Mapped[str] = mapped_column(String(4), primary_key=True)
    code: Mapped[str] = mapped_column(String(2), primary_key=True)
    name_vi: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str] = mapped_column(String(80))
    new_code: Mapped[str] = mapped_column(String(2))


class Facility(Audited, Base):
    __tablename__ = "facilities"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_vi: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    province_code: Mapped[str] = mapped_column(String(2))
    level: Mapped[FacilityLevel] = mapped_column(enum_column(FacilityLevel, "facility_level"))
    type: Mapped[FacilityType] = mapped_column(enum_column(FacilityType, "facility_type"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("facilities.id"))
    # capacity (oncoreg.network.capacity): beds, specialties, equipment counts, location
    beds: Mapped[int | None] = mapped_column(Integer)
    specialties: Mapped[list | None] = mapped_column(JSON)
    equipment: Mapped[dict | None] = mapped_column(JSON)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)

    parent: Mapped[Facility | None] = relationship(remote_side=[id])

    def audit_scope(self) -> int | None:
        return self.id


class PersonFields:
    """Columns of a person's identity, held by Person and, as reported, by Source."""

    family_name: Mapped[str | None] = mapped_column(String(100))
    middle_name: Mapped[str | None] = mapped_column(String(100))
    given_name: Mapped[str | None] = mapped_column(String(100))
    sex: Mapped[Sex | None] = mapped_column(enum_column(Sex, "sex"))
    birth_date: Mapped[date | None] = mapped_column(Date)
    birth_date_precision: Mapped[DatePrecision] = mapped_column(
        enum_column(DatePrecision, "birth_date_precision"), default=DatePrecision.UNKNOWN
    )
    national_id: Mapped[str | None] = mapped_column(String(32))
    national_id_hash: Mapped[str | None] = mapped_column(String(80))
    insurance_number: Mapped[str | None] = mapped_column(String(32))
    insurance_hash: Mapped[str | None] = mapped_column(String(80))
    phone: Mapped[str | None] = mapped_column(String(32))
    address: Mapped[str | None] = mapped_column(Text)
    province_code: Mapped[str | None] = mapped_column(String(2))
    province_code_2004: Mapped[str | None] = mapped_column(String(2))


IDENTIFYING = frozenset(
    {
        "family_name",
        "middle_name",
        "given_name",
        "birth_date",
        "national_id",
        "insurance_number",
        "phone",
        "address",
    }
)


class TumourFields:
    """Columns of a tumour's diagnosis, held by Tumour and, as reported, by Source."""

    topography: Mapped[str | None] = mapped_column(String(5))
    morphology: Mapped[str | None] = mapped_column(String(6))
    grade: Mapped[str | None] = mapped_column(String(1))
    basis: Mapped[str | None] = mapped_column(String(1))
    diagnosis_date: Mapped[date | None] = mapped_column(Date)
    diagnosis_date_precision: Mapped[DatePrecision] = mapped_column(
        enum_column(DatePrecision, "diagnosis_date_precision"), default=DatePrecision.UNKNOWN
    )
    laterality: Mapped[str | None] = mapped_column(String(1))
    stage: Mapped[str | None] = mapped_column(String(16))


class Person(PersonFields, Audited, Base):
    __tablename__ = "persons"
    __table_args__ = (
        *[partial_index("persons", c) for c in ("national_id_hash", "insurance_hash")],
        Index("ix_persons_birth_date", "birth_date"),  # person search by year of birth
        # the few obsolete persons, which a name search leaves out by their ids
        Index(
            "ix_persons_obsolete",
            "id",
            sqlite_where=text("status = 'obsolete'"),
            postgresql_where=text("status = 'obsolete'"),
        ),
    )
    __identifying__ = IDENTIFYING

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tumours: Mapped[list[Tumour]] = relationship(back_populates="person")
    follow_ups: Mapped[list[FollowUp]] = relationship(back_populates="person")


class Tumour(TumourFields, Audited, Base):
    __tablename__ = "tumours"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    icd10: Mapped[str | None] = mapped_column(String(5))
    sequence: Mapped[int | None] = mapped_column(SmallInteger)
    # which source gave each consolidated value: {"topography": source_id, ...}
    provenance: Mapped[dict | None] = mapped_column(JSON)

    person: Mapped[Person] = relationship(back_populates="tumours")
    sources: Mapped[list[Source]] = relationship(back_populates="tumour")


class Source(PersonFields, TumourFields, Audited, Base):
    """One hospital report of one tumour, with the person and tumour as reported."""

    __tablename__ = "sources"
    __table_args__ = (
        UniqueConstraint("facility_id", "report_id", name="facility_report"),  # by facility too
        *[partial_index("sources", c) for c in ("national_id_hash", "insurance_hash", "tumour_id")],
    )
    __identifying__ = IDENTIFYING

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"))
    report_id: Mapped[str] = mapped_column(String(64))
    tumour_id: Mapped[int | None] = mapped_column(ForeignKey("tumours.id"))
    patient_no: Mapped[str | None] = mapped_column(String(64))
    full_name: Mapped[str | None] = mapped_column(String(200))
    age_at_diagnosis: Mapped[int | None] = mapped_column(SmallInteger)
    tnm_t: Mapped[str | None] = mapped_column(String(8))
    tnm_n: Mapped[str | None] = mapped_column(String(8))
    tnm_m: Mapped[str | None] = mapped_column(String(8))
    summary_stage: Mapped[str | None] = mapped_column(String(2))
    first_treatment_date: Mapped[date | None] = mapped_column(Date)
    surgery: Mapped[str | None] = mapped_column(String(1))
    radiotherapy: Mapped[str | None] = mapped_column(String(1))
    chemotherapy: Mapped[str | None] = mapped_column(String(1))
    systemic_other: Mapped[str | None] = mapped_column(String(1))
    vital_status: Mapped[str | None] = mapped_column(String(1))
    last_contact_date: Mapped[date | None] = mapped_column(Date)
    death_date: Mapped[date | None] = mapped_column(Date)
    cause_of_death: Mapped[str | None] = mapped_column(String(8))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"), index=True)
    file_name: Mapped[str | None] = mapped_column(String(255))
    row_number: Mapped[int | None] = mapped_column(Integer)
    content_hash: Mapped[str | None] = mapped_column(String(64))
    raw: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    facility: Mapped[Facility] = relationship()
    tumour: Mapped[Tumour | None] = relationship(back_populates="sources")

    def audit_scope(self) -> int | None:
        return self.facility_id


class ImportBatch(Base):
    """One import of one file: all its rows are written in one transaction, or none."""

    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(100))
    file_name: Mapped[str] = mapped_column(String(255))
    file_hash: Mapped[str] = mapped_column(String(64), index=True)
    format: Mapped[str] = mapped_column(String(16))
    profile: Mapped[str | None] = mapped_column(String(64))
    # the keys of its sources' raw arrays (CSV and Excel: the file's header)
    raw_columns: Mapped[list | None] = mapped_column(JSON)
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    imported: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    findings: Mapped[dict] = mapped_column(JSON, default=dict)


class CheckFinding(Base):
    """A warning or info finding of a check on a stored report; a registrar may confirm it."""

    __tablename__ = "check_findings"
    __table_args__ = (UniqueConstraint("source_id", "rule_id", name="source_rule"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"), index=True)
    rule_id: Mapped[str] = mapped_column(String(48))
    severity: Mapped[str] = mapped_column(String(8))
    field: Mapped[str] = mapped_column(String(120))
    confirmed_by: Mapped[str | None] = mapped_column(String(100))
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class FollowUp(Audited, Base):
    __tablename__ = "follow_ups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    facility_id: Mapped[int | None] = mapped_column(ForeignKey("facilities.id"))
    contact_date: Mapped[date] = mapped_column(Date)
    vital_status: Mapped[VitalStatus] = mapped_column(enum_column(VitalStatus, "vital_status"))
    death_date: Mapped[date | None] = mapped_column(Date)
    cause_of_death: Mapped[str | None] = mapped_column(String(5))

    person: Mapped[Person] = relationship(back_populates="follow_ups")

    def audit_scope(self) -> int | None:
        return self.facility_id


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"))
    facility_id: Mapped[int | None] = mapped_column(ForeignKey("facilities.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # a one-time password (first admin, reset): the user must choose their own at sign-in
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)


class WebSession(Base):
    """A signed-in browser or API client. Only a hash of the session token is stored, so a
    copy of the database does not let anyone sign in; ``csrf_token`` guards its forms."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class LoginFailure(Base):
    """A failed sign-in, for rate limiting across every worker process."""

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_username_at", "username", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    address: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AuditEvent(Base):
    """One change of one record, written in the same transaction as the change.

    ``changes`` holds the old/new values of ordinary fields; ``identifier_changes`` those
    of fields that identify a person, kept apart so that they can be shown only to roles
    that may read the record. ``facility_id`` scopes the event to a facility's users.
    """

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_entity", "entity", "entity_id"),
        # the newest change (not read): the registry's data version, found at once however
        # many reads were audited after it
        Index(
            "ix_audit_events_changes",
            "id",
            sqlite_where=text("action <> 'read'"),
            postgresql_where=text("action <> 'read'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[AuditAction] = mapped_column(enum_column(AuditAction, "audit_action"))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int] = mapped_column(Integer)
    facility_id: Mapped[int | None] = mapped_column(Integer, index=True)
    changes: Mapped[dict] = mapped_column(JSON, default=dict)
    identifier_changes: Mapped[dict | None] = mapped_column(JSON)


class LinkRun(Base):
    """One linkage run: reports linked into persons and tumours, swapped in at once."""

    __tablename__ = "link_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(100))
    backend: Mapped[str] = mapped_column(String(16))
    mode: Mapped[str] = mapped_column(String(16))
    match_threshold: Mapped[float] = mapped_column(Float)
    review_threshold: Mapped[float] = mapped_column(Float)
    figures: Mapped[dict] = mapped_column(JSON, default=dict)
    # the trained Splink model (m and u probabilities, settings): incremental runs reuse it
    model: Mapped[dict | None] = mapped_column(JSON)


class ReviewItem(Base):
    """A pair of reports (or one report) a registrar decides on.

    ``kind`` is ``pair`` (two reports that may be one person) or ``report`` (a report the
    model cannot link, e.g. no name and no identifier). A decision (``match``,
    ``non_match``, ``unsure``) is kept for good and wins over the model in later runs.
    """

    __tablename__ = "review_items"
    __table_args__ = (Index("ix_review_items_pair", "source_id", "other_source_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("link_runs.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"))
    other_source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"))
    match_probability: Mapped[float | None] = mapped_column(Float)
    match_weight: Mapped[float | None] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(String(200))
    detail: Mapped[dict | None] = mapped_column(JSON)
    decision: Mapped[str | None] = mapped_column(String(12), index=True)
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    note: Mapped[str | None] = mapped_column(Text)


class PopulationCell(Base):
    """Person-years at risk of one stratum: the denominators of incidence rates.

    ``province`` is the code as imported (``""`` for a national figure) in the era the file
    was written in; ``province_code`` (2025) and ``province_code_2004`` hold it in both
    eras, so that rates can be asked for by either. Not personal data: no audit trail,
    but each import is one transaction and replaces the cells it names.
    """

    __tablename__ = "population"
    __table_args__ = (
        UniqueConstraint("era", "province", "sex", "age_group", "year", name="uq_population_cell"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    era: Mapped[str] = mapped_column(String(4))
    province: Mapped[str] = mapped_column(String(2))
    province_code: Mapped[str | None] = mapped_column(String(2), index=True)
    province_code_2004: Mapped[str | None] = mapped_column(String(2))
    sex: Mapped[int] = mapped_column(SmallInteger)
    age_group: Mapped[str] = mapped_column(String(8))
    year: Mapped[int] = mapped_column(Integer)
    pyrs: Mapped[float] = mapped_column(Float)


class LifeTableCell(Base):
    """The population's annual mortality hazard by sex, single year of age and calendar
    year: the expected mortality of net survival."""

    __tablename__ = "life_table"
    __table_args__ = (UniqueConstraint("sex", "age", "year", name="uq_life_table_cell"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sex: Mapped[int] = mapped_column(SmallInteger)
    age: Mapped[int] = mapped_column(SmallInteger)
    year: Mapped[int] = mapped_column(Integer)
    haz: Mapped[float] = mapped_column(Float)
