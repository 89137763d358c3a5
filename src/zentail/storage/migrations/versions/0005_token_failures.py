"""token failures a partner can diagnose

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 01:45:00

Every refused token request that names an existing client is kept for a week with a stable
reason (``GET /v1/diagnostics/token``), newest first per app.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import zentail.storage.models

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "token_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("app_id", sa.Integer(), nullable=False),
        sa.Column("at", zentail.storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("error", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("source_ip", sa.String(length=64), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["app_id"],
            ["apps.id"],
            name=op.f("fk_token_failures_app_id_apps"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_token_failures")),
    )
    op.create_index("ix_token_failures_app_at", "token_failures", ["app_id", "at"])
    op.create_index(op.f("ix_token_failures_at"), "token_failures", ["at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_token_failures_at"), table_name="token_failures")
    op.drop_index("ix_token_failures_app_at", table_name="token_failures")
    op.drop_table("token_failures")
