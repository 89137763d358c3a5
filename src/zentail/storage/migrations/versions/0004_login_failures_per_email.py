"""login failures per e-mail address

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 22:50:00

Failed logins are counted per e-mail address, whether or not a user has it, in their own
table (one atomic upsert per failure). The per-user columns ``users.failed_logins`` and
``users.locked_until`` are no longer used but stay one release, so that nodes of the previous
release keep working while the nodes roll (``failed_logins`` gets a server default, since
this release inserts users without it); a later migration drops them.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import zentail.storage.models

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "login_failures",
        sa.Column("email_digest", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("locked_until", zentail.storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "last_failure_at", zentail.storage.models.UTCDateTime(timezone=True), nullable=False
        ),
        sa.PrimaryKeyConstraint("email_digest", name=op.f("pk_login_failures")),
    )
    op.create_index(
        op.f("ix_login_failures_last_failure_at"), "login_failures", ["last_failure_at"]
    )
    with op.batch_alter_table("users") as batch_op:
        batch_op.alter_column(
            "failed_logins", existing_type=sa.Integer(), existing_nullable=False, server_default="0"
        )


def downgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.alter_column(
            "failed_logins",
            existing_type=sa.Integer(),
            existing_nullable=False,
            server_default=None,
        )
    op.drop_index(op.f("ix_login_failures_last_failure_at"), table_name="login_failures")
    op.drop_table("login_failures")
