"""The oncology network: facility capacity (beds, specialties, equipment, location),
referrals and their history, tumour boards (members, meetings, cases), clinical trials
(sites, enrolments) and research extracts (data-sharing agreements, requests)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "data_sharing_agreements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("organisation", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=True),
        sa.Column("signed_on", sa.Date(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("variables", sa.JSON(), nullable=False),
        sa.Column("members", sa.JSON(), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "confirmed",
                "obsolete",
                name="record_status",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_sharing_agreements")),
        sa.UniqueConstraint("code", name=op.f("uq_data_sharing_agreements_code")),
    )
    op.create_table(
        "trials",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("title_vi", sa.String(length=500), nullable=False),
        sa.Column("title_en", sa.String(length=500), nullable=True),
        sa.Column("phase", sa.String(length=8), nullable=True),
        sa.Column("sponsor", sa.String(length=200), nullable=True),
        sa.Column(
            "state",
            sa.Enum(
                "planned",
                "open",
                "suspended",
                "closed",
                "completed",
                name="trial_state",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("target_accrual", sa.Integer(), nullable=True),
        sa.Column("opened_on", sa.Date(), nullable=True),
        sa.Column("closes_on", sa.Date(), nullable=True),
        sa.Column("eligibility", sa.JSON(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "confirmed",
                "obsolete",
                name="record_status",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trials")),
        sa.UniqueConstraint("code", name=op.f("uq_trials_code")),
    )
    op.create_table(
        "extract_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("requested_by", sa.String(length=100), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("variables", sa.JSON(), nullable=False),
        sa.Column("year_from", sa.SmallInteger(), nullable=False),
        sa.Column("year_to", sa.SmallInteger(), nullable=False),
        sa.Column("sites", sa.JSON(), nullable=True),
        sa.Column("k", sa.SmallInteger(), nullable=False),
        sa.Column("max_suppressed", sa.Float(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "requested",
                "approved",
                "refused",
                "released",
                name="extract_state",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("decided_by", sa.String(length=100), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("release", sa.JSON(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "confirmed",
                "obsolete",
                name="record_status",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["data_sharing_agreements.id"],
            name=op.f("fk_extract_requests_agreement_id_data_sharing_agreements"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_extract_requests")),
    )
    with op.batch_alter_table("extract_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_extract_requests_requested_by"), ["requested_by"], unique=False
        )

    op.create_table(
        "trial_enrolments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trial_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("facility_id", sa.Integer(), nullable=False),
        sa.Column("enrolled_on", sa.Date(), nullable=False),
        sa.Column("enrolled_by", sa.String(length=100), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "confirmed",
                "obsolete",
                name="record_status",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["facility_id"],
            ["facilities.id"],
            name=op.f("fk_trial_enrolments_facility_id_facilities"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_trial_enrolments_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["trial_id"], ["trials.id"], name=op.f("fk_trial_enrolments_trial_id_trials")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trial_enrolments")),
        sa.UniqueConstraint("trial_id", "person_id", name="trial_person"),
    )
    with op.batch_alter_table("trial_enrolments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_trial_enrolments_person_id"), ["person_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_trial_enrolments_trial_id"), ["trial_id"], unique=False
        )

    op.create_table(
        "trial_sites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trial_id", sa.Integer(), nullable=False),
        sa.Column("facility_id", sa.Integer(), nullable=False),
        sa.Column("target_accrual", sa.Integer(), nullable=True),
        sa.Column("open", sa.Boolean(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "confirmed",
                "obsolete",
                name="record_status",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["facility_id"], ["facilities.id"], name=op.f("fk_trial_sites_facility_id_facilities")
        ),
        sa.ForeignKeyConstraint(
            ["trial_id"], ["trials.id"], name=op.f("fk_trial_sites_trial_id_trials")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trial_sites")),
        sa.UniqueConstraint("trial_id", "facility_id", name="trial_site"),
    )
    with op.batch_alter_table("trial_sites", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_trial_sites_facility_id"), ["facility_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_trial_sites_trial_id"), ["trial_id"], unique=False)

    op.create_table(
        "tumour_boards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("host_facility_id", sa.Integer(), nullable=False),
        sa.Column("schedule", sa.String(length=200), nullable=True),
        sa.Column("sites", sa.String(length=200), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "confirmed",
                "obsolete",
                name="record_status",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["host_facility_id"],
            ["facilities.id"],
            name=op.f("fk_tumour_boards_host_facility_id_facilities"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tumour_boards")),
        sa.UniqueConstraint("code", name=op.f("uq_tumour_boards_code")),
    )
    with op.batch_alter_table("tumour_boards", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_tumour_boards_host_facility_id"), ["host_facility_id"], unique=False
        )

    op.create_table(
        "board_meetings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("board_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("location", sa.String(length=200), nullable=True),
        sa.Column(
            "state",
            sa.Enum(
                "planned",
                "held",
                "cancelled",
                name="meeting_state",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("minutes", sa.Text(), nullable=True),
        sa.Column("attendees", sa.JSON(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "confirmed",
                "obsolete",
                name="record_status",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["board_id"],
            ["tumour_boards.id"],
            name=op.f("fk_board_meetings_board_id_tumour_boards"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_board_meetings")),
    )
    with op.batch_alter_table("board_meetings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_board_meetings_board_id"), ["board_id"], unique=False)

    op.create_table(
        "board_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("board_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("specialty", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("facility_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "confirmed",
                "obsolete",
                name="record_status",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["board_id"], ["tumour_boards.id"], name=op.f("fk_board_members_board_id_tumour_boards")
        ),
        sa.ForeignKeyConstraint(
            ["facility_id"], ["facilities.id"], name=op.f("fk_board_members_facility_id_facilities")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_board_members_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_board_members")),
    )
    with op.batch_alter_table("board_members", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_board_members_board_id"), ["board_id"], unique=False)

    op.create_table(
        "referrals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("tumour_id", sa.Integer(), nullable=True),
        sa.Column("from_facility_id", sa.Integer(), nullable=False),
        sa.Column("to_facility_id", sa.Integer(), nullable=False),
        sa.Column("service", sa.String(length=32), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column(
            "urgency",
            sa.Enum(
                "routine",
                "urgent",
                "emergency",
                name="urgency",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column(
            "state",
            sa.Enum(
                "sent",
                "accepted",
                "declined",
                "completed",
                "cancelled",
                name="referral_state",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("capacity_warning", sa.Text(), nullable=True),
        sa.Column("referred_by", sa.String(length=100), nullable=False),
        sa.Column("referred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_visit_date", sa.Date(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "confirmed",
                "obsolete",
                name="record_status",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["from_facility_id"],
            ["facilities.id"],
            name=op.f("fk_referrals_from_facility_id_facilities"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_referrals_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["to_facility_id"],
            ["facilities.id"],
            name=op.f("fk_referrals_to_facility_id_facilities"),
        ),
        sa.ForeignKeyConstraint(
            ["tumour_id"], ["tumours.id"], name=op.f("fk_referrals_tumour_id_tumours")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referrals")),
    )
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_referrals_from_facility_id"), ["from_facility_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_referrals_person_id"), ["person_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_referrals_to_facility_id"), ["to_facility_id"], unique=False
        )

    op.create_table(
        "board_cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("board_id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("tumour_id", sa.Integer(), nullable=True),
        sa.Column("presenting_facility_id", sa.Integer(), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("ecog", sa.SmallInteger(), nullable=True),
        sa.Column(
            "state",
            sa.Enum(
                "submitted",
                "scheduled",
                "discussed",
                "withdrawn",
                name="board_case_state",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("submitted_by", sa.String(length=100), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recommendation", sa.Text(), nullable=True),
        sa.Column("treatment_plan", sa.Text(), nullable=True),
        sa.Column("suggested_trial_id", sa.Integer(), nullable=True),
        sa.Column("refer_to_facility_id", sa.Integer(), nullable=True),
        sa.Column("recommended_by", sa.String(length=100), nullable=True),
        sa.Column("recommended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "confirmed",
                "obsolete",
                name="record_status",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["board_id"], ["tumour_boards.id"], name=op.f("fk_board_cases_board_id_tumour_boards")
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["board_meetings.id"],
            name=op.f("fk_board_cases_meeting_id_board_meetings"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_board_cases_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["presenting_facility_id"],
            ["facilities.id"],
            name=op.f("fk_board_cases_presenting_facility_id_facilities"),
        ),
        sa.ForeignKeyConstraint(
            ["refer_to_facility_id"],
            ["facilities.id"],
            name=op.f("fk_board_cases_refer_to_facility_id_facilities"),
        ),
        sa.ForeignKeyConstraint(
            ["suggested_trial_id"],
            ["trials.id"],
            name=op.f("fk_board_cases_suggested_trial_id_trials"),
        ),
        sa.ForeignKeyConstraint(
            ["tumour_id"], ["tumours.id"], name=op.f("fk_board_cases_tumour_id_tumours")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_board_cases")),
    )
    with op.batch_alter_table("board_cases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_board_cases_board_id"), ["board_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_board_cases_meeting_id"), ["meeting_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_board_cases_person_id"), ["person_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_board_cases_presenting_facility_id"),
            ["presenting_facility_id"],
            unique=False,
        )

    op.create_table(
        "referral_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "sent",
                "accepted",
                "declined",
                "completed",
                "cancelled",
                name="referral_state",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["referral_id"], ["referrals.id"], name=op.f("fk_referral_events_referral_id_referrals")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_events")),
    )
    with op.batch_alter_table("referral_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_referral_events_referral_id"), ["referral_id"], unique=False
        )

    with op.batch_alter_table("facilities", schema=None) as batch_op:
        batch_op.add_column(sa.Column("beds", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("specialties", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("equipment", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("latitude", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("longitude", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("facilities", schema=None) as batch_op:
        batch_op.drop_column("longitude")
        batch_op.drop_column("latitude")
        batch_op.drop_column("equipment")
        batch_op.drop_column("specialties")
        batch_op.drop_column("beds")

    with op.batch_alter_table("referral_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referral_events_referral_id"))

    op.drop_table("referral_events")
    with op.batch_alter_table("board_cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_board_cases_presenting_facility_id"))
        batch_op.drop_index(batch_op.f("ix_board_cases_person_id"))
        batch_op.drop_index(batch_op.f("ix_board_cases_meeting_id"))
        batch_op.drop_index(batch_op.f("ix_board_cases_board_id"))

    op.drop_table("board_cases")
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referrals_to_facility_id"))
        batch_op.drop_index(batch_op.f("ix_referrals_person_id"))
        batch_op.drop_index(batch_op.f("ix_referrals_from_facility_id"))

    op.drop_table("referrals")
    with op.batch_alter_table("board_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_board_members_board_id"))

    op.drop_table("board_members")
    with op.batch_alter_table("board_meetings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_board_meetings_board_id"))

    op.drop_table("board_meetings")
    with op.batch_alter_table("tumour_boards", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tumour_boards_host_facility_id"))

    op.drop_table("tumour_boards")
    with op.batch_alter_table("trial_sites", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_trial_sites_trial_id"))
        batch_op.drop_index(batch_op.f("ix_trial_sites_facility_id"))

    op.drop_table("trial_sites")
    with op.batch_alter_table("trial_enrolments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_trial_enrolments_trial_id"))
        batch_op.drop_index(batch_op.f("ix_trial_enrolments_person_id"))

    op.drop_table("trial_enrolments")
    with op.batch_alter_table("extract_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_extract_requests_requested_by"))

    op.drop_table("extract_requests")
    op.drop_table("trials")
    op.drop_table("data_sharing_agreements")
