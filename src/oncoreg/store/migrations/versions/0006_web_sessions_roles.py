"""Web sign-in: sessions, failed sign-ins, one-time passwords; the roles of the issue
(analyst, partner) and audited reads

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07

Renames roles epidemiologist -> analyst and researcher -> partner (what they may see is
unchanged: aggregates and de-identified records; approved extracts) and lets the audit
trail record reads of identifying data (action ``read``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

OLD_ROLES = ("admin", "registrar", "hospital", "epidemiologist", "researcher")
NEW_ROLES = ("admin", "registrar", "hospital", "analyst", "partner")
RENAMED = {"epidemiologist": "analyst", "researcher": "partner"}
OLD_ACTIONS = ("insert", "update", "obsolete", "restore")
NEW_ACTIONS = (*OLD_ACTIONS, "read")


def _check(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _recheck(table: str, column: str, name: str, values: tuple[str, ...], renamed: dict) -> None:
    with op.batch_alter_table(table) as batch:
        batch.drop_constraint(op.f(f"ck_{table}_{name}"), type_="check")
    for old, new in renamed.items():
        op.get_bind().execute(
            sa.text(f"UPDATE {table} SET {column} = :new WHERE {column} = :old"),
            {"new": new, "old": old},
        )
    with op.batch_alter_table(table) as batch:
        batch.create_check_constraint(name, _check(column, values))


def upgrade() -> None:
    _recheck("users", "role", "role", NEW_ROLES, RENAMED)
    _recheck("audit_events", "action", "audit_action", NEW_ACTIONS, {})
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column(
                "must_change_password", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
    op.create_table(
        "web_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_web_sessions_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_web_sessions_token_hash")),
    )
    op.create_index(op.f("ix_web_sessions_user_id"), "web_sessions", ["user_id"], unique=False)
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failures")),
    )
    op.create_index(
        "ix_login_failures_username_at", "login_failures", ["username", "at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_login_failures_username_at", table_name="login_failures")
    op.drop_table("login_failures")
    op.drop_index(op.f("ix_web_sessions_user_id"), table_name="web_sessions")
    op.drop_table("web_sessions")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("must_change_password")
    reads = (
        op.get_bind()
        .execute(sa.text("SELECT count(*) FROM audit_events WHERE action = 'read'"))
        .scalar()
    )
    if reads:  # the audit trail is never cut short, not even by a downgrade
        raise RuntimeError(f"{reads} audited reads would not fit revision 0005; not downgraded")
    _recheck("audit_events", "action", "audit_action", OLD_ACTIONS, {})
    _recheck("users", "role", "role", OLD_ROLES, {v: k for k, v in RENAMED.items()})
