"""import batches, raw reports and check findings

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 11:49:47.580391
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "import_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("file_hash", sa.String(length=64), nullable=False),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("profile", sa.String(length=64), nullable=True),
        sa.Column("rows_read", sa.Integer(), nullable=False),
        sa.Column("imported", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("findings", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_batches")),
    )
    with op.batch_alter_table("import_batches", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_import_batches_file_hash"), ["file_hash"], unique=False
        )

    op.create_table(
        "check_findings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.String(length=48), nullable=False),
        sa.Column("severity", sa.String(length=8), nullable=False),
        sa.Column("field", sa.String(length=120), nullable=False),
        sa.Column("confirmed_by", sa.String(length=100), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["source_id"], ["sources.id"], name=op.f("fk_check_findings_source_id_sources")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_check_findings")),
        sa.UniqueConstraint("source_id", "rule_id", name="source_rule"),
    )
    with op.batch_alter_table("check_findings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_check_findings_source_id"), ["source_id"], unique=False
        )

    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.add_column(sa.Column("patient_no", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("full_name", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("tnm_t", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("tnm_n", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("tnm_m", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("summary_stage", sa.String(length=2), nullable=True))
        batch_op.add_column(sa.Column("first_treatment_date", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("surgery", sa.String(length=1), nullable=True))
        batch_op.add_column(sa.Column("radiotherapy", sa.String(length=1), nullable=True))
        batch_op.add_column(sa.Column("chemotherapy", sa.String(length=1), nullable=True))
        batch_op.add_column(sa.Column("systemic_other", sa.String(length=1), nullable=True))
        batch_op.add_column(sa.Column("vital_status", sa.String(length=1), nullable=True))
        batch_op.add_column(sa.Column("last_contact_date", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("death_date", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("cause_of_death", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("batch_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("file_name", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("row_number", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("content_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("raw", sa.Text(), nullable=True))
        batch_op.create_index(batch_op.f("ix_sources_batch_id"), ["batch_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_sources_batch_id_import_batches"), "import_batches", ["batch_id"], ["id"]
        )


def downgrade() -> None:

    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_sources_batch_id_import_batches"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_sources_batch_id"))
        batch_op.drop_column("raw")
        batch_op.drop_column("content_hash")
        batch_op.drop_column("row_number")
        batch_op.drop_column("file_name")
        batch_op.drop_column("batch_id")
        batch_op.drop_column("cause_of_death")
        batch_op.drop_column("death_date")
        batch_op.drop_column("last_contact_date")
        batch_op.drop_column("vital_status")
        batch_op.drop_column("systemic_other")
        batch_op.drop_column("chemotherapy")
        batch_op.drop_column("radiotherapy")
        batch_op.drop_column("surgery")
        batch_op.drop_column("first_treatment_date")
        batch_op.drop_column("summary_stage")
        batch_op.drop_column("tnm_m")
        batch_op.drop_column("tnm_n")
        batch_op.drop_column("tnm_t")
        batch_op.drop_column("full_name")
        batch_op.drop_column("patient_no")

    with op.batch_alter_table("check_findings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_check_findings_source_id"))

    op.drop_table("check_findings")
    with op.batch_alter_table("import_batches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_import_batches_file_hash"))

    op.drop_table("import_batches")
