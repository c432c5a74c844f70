"""initial registry store

Revision ID: 0001
Revises:
Create Date: 2026-11-23 11:03:48.031495
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column(
            "action",
            sa.Enum(
                "insert",
                "update",
                "obsolete",
                "restore",
                name="audit_action",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("facility_id", sa.Integer(), nullable=True),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("identifier_changes", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index("ix_audit_events_entity", ["entity", "entity_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_audit_events_facility_id"), ["facility_id"], unique=False
        )

    op.create_table(
        "facilities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name_vi", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=True),
        sa.Column("province_code", sa.String(length=2), nullable=False),
        sa.Column(
            "level",
            sa.Enum(
                "central",
                "provincial",
                "district",
                "commune",
                name="facility_level",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column(
            "type",
            sa.Enum(
                "hospital",
                "lab",
                "registry",
                "death-registration",
                name="facility_type",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("parent_id", sa.Integer(), nullable=True),
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
            ["parent_id"], ["facilities.id"], name=op.f("fk_facilities_parent_id_facilities")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_facilities")),
        sa.UniqueConstraint("code", name=op.f("uq_facilities_code")),
    )
    op.create_table(
        "persons",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("family_name", sa.String(length=100), nullable=True),
        sa.Column("middle_name", sa.String(length=100), nullable=True),
        sa.Column("given_name", sa.String(length=100), nullable=True),
        sa.Column(
            "sex",
            sa.Enum(
                "1", "2", "9", name="sex", native_enum=False, create_constraint=True, length=24
            ),
            nullable=True,
        ),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column(
            "birth_date_precision",
            sa.Enum(
                "day",
                "month",
                "year",
                "unknown",
                name="birth_date_precision",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("national_id", sa.String(length=32), nullable=True),
        sa.Column("national_id_hash", sa.String(length=80), nullable=True),
        sa.Column("insurance_number", sa.String(length=32), nullable=True),
        sa.Column("insurance_hash", sa.String(length=80), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("province_code", sa.String(length=2), nullable=True),
        sa.Column("province_code_2004", sa.String(length=2), nullable=True),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_persons")),
    )
    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_persons_insurance_hash"), ["insurance_hash"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_persons_national_id_hash"), ["national_id_hash"], unique=False
        )

    op.create_table(
        "provinces",
        sa.Column("era", sa.String(length=4), nullable=False),
        sa.Column("code", sa.String(length=2), nullable=False),
        sa.Column("name_vi", sa.String(length=80), nullable=False),
        sa.Column("name_en", sa.String(length=80), nullable=False),
        sa.Column("new_code", sa.String(length=2), nullable=False),
        sa.PrimaryKeyConstraint("era", "code", name=op.f("pk_provinces")),
    )
    op.create_table(
        "follow_ups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("facility_id", sa.Integer(), nullable=True),
        sa.Column("contact_date", sa.Date(), nullable=False),
        sa.Column(
            "vital_status",
            sa.Enum(
                "1",
                "2",
                "9",
                name="vital_status",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("death_date", sa.Date(), nullable=True),
        sa.Column("cause_of_death", sa.String(length=5), nullable=True),
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
            ["facility_id"], ["facilities.id"], name=op.f("fk_follow_ups_facility_id_facilities")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_follow_ups_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow_ups")),
    )
    with op.batch_alter_table("follow_ups", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_follow_ups_person_id"), ["person_id"], unique=False)

    op.create_table(
        "tumours",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("icd10", sa.String(length=5), nullable=True),
        sa.Column("sequence", sa.SmallInteger(), nullable=True),
        sa.Column("topography", sa.String(length=5), nullable=True),
        sa.Column("morphology", sa.String(length=6), nullable=True),
        sa.Column("grade", sa.String(length=1), nullable=True),
        sa.Column("basis", sa.String(length=1), nullable=True),
        sa.Column("diagnosis_date", sa.Date(), nullable=True),
        sa.Column(
            "diagnosis_date_precision",
            sa.Enum(
                "day",
                "month",
                "year",
                "unknown",
                name="diagnosis_date_precision",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("laterality", sa.String(length=1), nullable=True),
        sa.Column("stage", sa.String(length=16), nullable=True),
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
            ["person_id"], ["persons.id"], name=op.f("fk_tumours_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tumours")),
    )
    with op.batch_alter_table("tumours", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tumours_person_id"), ["person_id"], unique=False)

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column(
            "role",
            sa.Enum(
                "admin",
                "registrar",
                "hospital",
                "epidemiologist",
                "researcher",
                name="role",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("facility_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["facility_id"], ["facilities.id"], name=op.f("fk_users_facility_id_facilities")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_table(
        "sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("facility_id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.String(length=64), nullable=False),
        sa.Column("tumour_id", sa.Integer(), nullable=True),
        sa.Column("age_at_diagnosis", sa.SmallInteger(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("family_name", sa.String(length=100), nullable=True),
        sa.Column("middle_name", sa.String(length=100), nullable=True),
        sa.Column("given_name", sa.String(length=100), nullable=True),
        sa.Column(
            "sex",
            sa.Enum(
                "1", "2", "9", name="sex", native_enum=False, create_constraint=True, length=24
            ),
            nullable=True,
        ),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column(
            "birth_date_precision",
            sa.Enum(
                "day",
                "month",
                "year",
                "unknown",
                name="birth_date_precision",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("national_id", sa.String(length=32), nullable=True),
        sa.Column("national_id_hash", sa.String(length=80), nullable=True),
        sa.Column("insurance_number", sa.String(length=32), nullable=True),
        sa.Column("insurance_hash", sa.String(length=80), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("province_code", sa.String(length=2), nullable=True),
        sa.Column("province_code_2004", sa.String(length=2), nullable=True),
        sa.Column("topography", sa.String(length=5), nullable=True),
        sa.Column("morphology", sa.String(length=6), nullable=True),
        sa.Column("grade", sa.String(length=1), nullable=True),
        sa.Column("basis", sa.String(length=1), nullable=True),
        sa.Column("diagnosis_date", sa.Date(), nullable=True),
        sa.Column(
            "diagnosis_date_precision",
            sa.Enum(
                "day",
                "month",
                "year",
                "unknown",
                name="diagnosis_date_precision",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("laterality", sa.String(length=1), nullable=True),
        sa.Column("stage", sa.String(length=16), nullable=True),
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
            ["facility_id"], ["facilities.id"], name=op.f("fk_sources_facility_id_facilities")
        ),
        sa.ForeignKeyConstraint(
            ["tumour_id"], ["tumours.id"], name=op.f("fk_sources_tumour_id_tumours")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sources")),
        sa.UniqueConstraint("facility_id", "report_id", name="facility_report"),
    )
    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sources_facility_id"), ["facility_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_sources_insurance_hash"), ["insurance_hash"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_sources_national_id_hash"), ["national_id_hash"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_sources_tumour_id"), ["tumour_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sources_tumour_id"))
        batch_op.drop_index(batch_op.f("ix_sources_national_id_hash"))
        batch_op.drop_index(batch_op.f("ix_sources_insurance_hash"))
        batch_op.drop_index(batch_op.f("ix_sources_facility_id"))

    op.drop_table("sources")
    op.drop_table("users")
    with op.batch_alter_table("tumours", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tumours_person_id"))

    op.drop_table("tumours")
    with op.batch_alter_table("follow_ups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_follow_ups_person_id"))

    op.drop_table("follow_ups")
    op.drop_table("provinces")
    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_persons_national_id_hash"))
        batch_op.drop_index(batch_op.f("ix_persons_insurance_hash"))

    op.drop_table("persons")
    op.drop_table("facilities")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_events_facility_id"))
        batch_op.drop_index("ix_audit_events_entity")

    op.drop_table("audit_events")
