"""The registry's domain vocabulary: enums shared by the store, services and interfaces."""

from __future__ import annotations

from enum import StrEnum


class RecordStatus(StrEnum):
    """Life cycle of a record. Nothing is ever hard-deleted: it becomes obsolete."""

    PENDING = "pending"
    CONFIRMED = "confirmed"
    OBSOLETE = "obsolete"


class DatePrecision(StrEnum):
    """How much of a date was known: a year-only birth date is not 1 January."""

    DAY = "day"
    MONTH = "month"
    YEAR = "year"
    UNKNOWN = "unknown"


class Sex(StrEnum):
    """IARC sex codes."""

    MALE = "1"
    FEMALE = "2"
    UNKNOWN = "9"


class VitalStatus(StrEnum):
    ALIVE = "1"
    DEAD = "2"
    UNKNOWN = "9"


class FacilityLevel(StrEnum):
    CENTRAL = "central"
    PROVINCIAL = "provincial"
    DISTRICT = "district"
    COMMUNE = "commune"


class FacilityType(StrEnum):
    HOSPITAL = "hospital"
    LAB = "lab"
    REGISTRY = "registry"
    DEATH_REGISTRATION = "death-registration"


class Role(StrEnum):
    """Who a user is; what each role may see is enforced in the service layer."""

    ADMIN = "admin"
    REGISTRAR = "registrar"
    HOSPITAL = "hospital"
    ANALYST = "analyst"  # aggregates and de-identified records only
    PARTNER = "partner"  # approved research extracts only


class AuditAction(StrEnum):
    INSERT = "insert"
    UPDATE = "update"
    OBSOLETE = "obsolete"
    RESTORE = "restore"
    READ = "read"  # a read of identifying data (names, identifiers, address)


class Urgency(StrEnum):
    """How soon a referred patient should be seen."""

    ROUTINE = "routine"
    URGENT = "urgent"  # within two weeks (suspected cancer pathway)
    EMERGENCY = "emergency"


class ReferralState(StrEnum):
    """A referral's workflow: sent, then accepted or declined; accepted, then completed."""

    SENT = "sent"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class BoardCaseState(StrEnum):
    SUBMITTED = "submitted"
    SCHEDULED = "scheduled"
    DISCUSSED = "discussed"
    WITHDRAWN = "withdrawn"


class MeetingState(StrEnum):
    PLANNED = "planned"
    HELD = "held"
    CANCELLED = "cancelled"


class TrialState(StrEnum):
    PLANNED = "planned"
    OPEN = "open"
    SUSPENDED = "suspended"
    CLOSED = "closed"  # closed to accrual
    COMPLETED = "completed"


class ExtractState(StrEnum):
    """A research extract: requested by a partner, approved or refused by an administrator,
    then released (written) or refused at release when k-anonymity cannot be reached."""

    REQUESTED = "requested"
    APPROVED = "approved"
    REFUSED = "refused"
    RELEASED = "released"


def choices(enum: type[StrEnum]) -> str:
    """The values of an enum as a readable list for messages: 'a, b or c'."""
    values = [e.value for e in enum]
    return ", ".join(values[:-1]) + f" or {values[-1]}" if len(values) > 1 else values[0]
