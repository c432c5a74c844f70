"""The registry store: SQLAlchemy tables, Alembic migrations, the audit trail.

Only this package talks to the database. SQLite by default, PostgreSQL by URL.
"""

from oncoreg.store.database import Store, make_engine
from oncoreg.store.migrate import current_revision, head_revision, upgrade
from oncoreg.store.network import (
    BoardCase,
    BoardMeeting,
    BoardMember,
    DataSharingAgreement,
    ExtractRequest,
    Referral,
    ReferralEvent,
    Trial,
    TrialEnrolment,
    TrialSite,
    TumourBoard,
)
from oncoreg.store.tables import (
    AuditEvent,
    CheckFinding,
    Facility,
    FollowUp,
    ImportBatch,
    LinkRun,
    LoginFailure,
    Person,
    Province,
    ReviewItem,
    Source,
    Tumour,
    User,
    WebSession,
)

__all__ = [
    "BoardCase",
    "BoardMeeting",
    "BoardMember",
    "DataSharingAgreement",
    "ExtractRequest",
    "Referral",
    "ReferralEvent",
    "Trial",
    "TrialEnrolment",
    "TrialSite",
    "TumourBoard",
    "AuditEvent",
    "CheckFinding",
    "ImportBatch",
    "LinkRun",
    "LoginFailure",
    "Facility",
    "FollowUp",
    "Person",
    "Province",
    "ReviewItem",
    "Source",
    "Store",
    "Tumour",
    "WebSession",
    "User",
    "current_revision",
    "head_revision",
    "make_engine",
    "upgrade",
]
