"""Tables of the oncology network: referrals between facilities, tumour boards, clinical
trials and research extracts.

Every table here is audited (its changes go to the audit trail with who and when) and
never deleted: a board member who leaves, a trial site that closes or an agreement that
ends becomes obsolete. Workflow states (a referral sent, accepted, completed ...) are the
``state`` column; ``status`` is the record's life cycle, as for every audited record.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from oncoreg.model import (
    BoardCaseState,
    ExtractState,
    MeetingState,
    ReferralState,
    TrialState,
    Urgency,
)
from oncoreg.store.tables import Audited, Base, enum_column, utcnow


class Referral(Audited, Base):
    """A person's tumour referred by one facility to another, with the registry's summary
    of the case as it stood when it was sent."""

    __tablename__ = "referrals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    tumour_id: Mapped[int | None] = mapped_column(ForeignKey("tumours.id"))
    from_facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"), index=True)
    to_facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"), index=True)
    # the treatment or service asked for (a capacity name of oncoreg.network.capacity)
    service: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text)
    urgency: Mapped[Urgency] = mapped_column(enum_column(Urgency, "urgency"))
    state: Mapped[ReferralState] = mapped_column(
        enum_column(ReferralState, "referral_state"), default=ReferralState.SENT
    )
    summary: Mapped[dict] = mapped_column(JSON, default=dict)
    capacity_warning: Mapped[str | None] = mapped_column(Text)
    referred_by: Mapped[str] = mapped_column(String(100))
    referred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    first_visit_date: Mapped[date | None] = mapped_column(Date)

    def audit_scope(self) -> int | None:
        return self.from_facility_id


class ReferralEvent(Base):
    """One step of a referral's history: who moved it to which state, when, and why."""

    __tablename__ = "referral_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor: Mapped[str] = mapped_column(String(100))
    state: Mapped[ReferralState] = mapped_column(enum_column(ReferralState, "referral_state"))
    note: Mapped[str | None] = mapped_column(Text)


class TumourBoard(Audited, Base):
    """A multidisciplinary tumour board hosted by a facility (e.g. a central hospital's
    weekly board that provincial hospitals present to)."""

    __tablename__ = "tumour_boards"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    host_facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"), index=True)
    schedule: Mapped[str | None] = mapped_column(String(200))  # e.g. "weekly, Tuesday 14:00"
    sites: Mapped[str | None] = mapped_column(String(200))  # topography ranges it discusses
    description: Mapped[str | None] = mapped_column(Text)

    def audit_scope(self) -> int | None:
        return self.host_facility_id


class BoardMember(Audited, Base):
    __tablename__ = "board_members"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("tumour_boards.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    specialty: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(32), default="member")  # chair, member, secretary
    facility_id: Mapped[int | None] = mapped_column(ForeignKey("facilities.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class BoardMeeting(Audited, Base):
    __tablename__ = "board_meetings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("tumour_boards.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    location: Mapped[str | None] = mapped_column(String(200))  # room or video link
    state: Mapped[MeetingState] = mapped_column(
        enum_column(MeetingState, "meeting_state"), default=MeetingState.PLANNED
    )
    minutes: Mapped[str | None] = mapped_column(Text)
    attendees: Mapped[list | None] = mapped_column(JSON)  # board member ids present


class BoardCase(Audited, Base):
    """A case a facility presents to a board: the question asked, the registry summary,
    and the board's recommendation once discussed."""

    __tablename__ = "board_cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("tumour_boards.id"), index=True)
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("board_meetings.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    tumour_id: Mapped[int | None] = mapped_column(ForeignKey("tumours.id"))
    presenting_facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"), index=True)
    question: Mapped[str] = mapped_column(Text)
    summary: Mapped[dict] = mapped_column(JSON, default=dict)
    ecog: Mapped[int | None] = mapped_column(SmallInteger)  # performance status, if recorded
    state: Mapped[BoardCaseState] = mapped_column(
        enum_column(BoardCaseState, "board_case_state"), default=BoardCaseState.SUBMITTED
    )
    submitted_by: Mapped[str] = mapped_column(String(100))
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    recommendation: Mapped[str | None] = mapped_column(Text)
    treatment_plan: Mapped[str | None] = mapped_column(Text)
    suggested_trial_id: Mapped[int | None] = mapped_column(ForeignKey("trials.id"))
    refer_to_facility_id: Mapped[int | None] = mapped_column(ForeignKey("facilities.id"))
    recommended_by: Mapped[str | None] = mapped_column(String(100))
    recommended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    def audit_scope(self) -> int | None:
        return self.presenting_facility_id


class Trial(Audited, Base):
    """A clinical trial with structured eligibility (oncoreg.network.eligibility)."""

    __tablename__ = "trials"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)  # NCT number or local code
    title_vi: Mapped[str] = mapped_column(String(500))
    title_en: Mapped[str | None] = mapped_column(String(500))
    phase: Mapped[str | None] = mapped_column(String(8))
    sponsor: Mapped[str | None] = mapped_column(String(200))
    state: Mapped[TrialState] = mapped_column(
        enum_column(TrialState, "trial_state"), default=TrialState.PLANNED
    )
    target_accrual: Mapped[int | None] = mapped_column(Integer)
    opened_on: Mapped[date | None] = mapped_column(Date)
    closes_on: Mapped[date | None] = mapped_column(Date)
    eligibility: Mapped[dict] = mapped_column(JSON, default=dict)
    description: Mapped[str | None] = mapped_column(Text)


class TrialSite(Audited, Base):
    __tablename__ = "trial_sites"
    __table_args__ = (UniqueConstraint("trial_id", "facility_id", name="trial_site"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trial_id: Mapped[int] = mapped_column(ForeignKey("trials.id"), index=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"), index=True)
    target_accrual: Mapped[int | None] = mapped_column(Integer)
    open: Mapped[bool] = mapped_column(default=True)

    def audit_scope(self) -> int | None:
        return self.facility_id


class TrialEnrolment(Audited, Base):
    __tablename__ = "trial_enrolments"
    __table_args__ = (UniqueConstraint("trial_id", "person_id", name="trial_person"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trial_id: Mapped[int] = mapped_column(ForeignKey("trials.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"))
    enrolled_on: Mapped[date] = mapped_column(Date)
    enrolled_by: Mapped[str] = mapped_column(String(100))

    def audit_scope(self) -> int | None:
        return self.facility_id


class DataSharingAgreement(Audited, Base):
    """A signed data-sharing agreement: with whom, for what, which variables, until when,
    and which partner users act under it."""

    __tablename__ = "data_sharing_agreements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    organisation: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(300))
    purpose: Mapped[str | None] = mapped_column(Text)
    signed_on: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date | None] = mapped_column(Date)
    variables: Mapped[list] = mapped_column(JSON, default=list)  # the variables it allows
    members: Mapped[list] = mapped_column(JSON, default=list)  # partner usernames
    recorded_by: Mapped[str] = mapped_column(String(100))


class ExtractRequest(Audited, Base):
    """A partner's request for a de-identified extract, its approval and its release."""

    __tablename__ = "extract_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    requested_by: Mapped[str] = mapped_column(String(100), index=True)
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("data_sharing_agreements.id"))
    purpose: Mapped[str] = mapped_column(Text)
    variables: Mapped[list] = mapped_column(JSON)
    year_from: Mapped[int] = mapped_column(SmallInteger)
    year_to: Mapped[int] = mapped_column(SmallInteger)
    sites: Mapped[list | None] = mapped_column(JSON)  # topography ranges; None: all sites
    k: Mapped[int] = mapped_column(SmallInteger, default=5)
    max_suppressed: Mapped[float] = mapped_column(Float, default=0.05)
    state: Mapped[ExtractState] = mapped_column(
        enum_column(ExtractState, "extract_state"), default=ExtractState.REQUESTED
    )
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decision_note: Mapped[str | None] = mapped_column(Text)
    released_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # what the release did: rows, suppressed rows, generalisations, files and their hashes
    release: Mapped[dict | None] = mapped_column(JSON)
