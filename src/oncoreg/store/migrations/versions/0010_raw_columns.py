"""Raw records of CSV and Excel reports as arrays of cells: their keys (the file's header)
are kept once, on the import batch

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07

A CSV or Excel report's raw record was a JSON object with the header as its keys, which
repeated the header in every row (about 60% of a stored report). New imports store the
row's cells as a JSON array and the header once in ``import_batches.raw_columns``; rows
imported before keep their objects (their batch has no ``raw_columns``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("import_batches") as batch:
        batch.add_column(sa.Column("raw_columns", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("import_batches") as batch:
        batch.drop_column("raw_columns")
