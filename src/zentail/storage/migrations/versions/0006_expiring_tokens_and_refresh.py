"""expiring tokens and rotating refresh tokens, opt-in per app

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 02:20:00

``apps.token_lifetime_seconds`` (NULL: the documented long-lived token) and
``refresh_tokens``, stored as keyed digests, one family per code exchange
(docs/decisions/0065).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import zentail.storage.models

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXED = ("account_id", "app_id", "installation_id", "family", "parent_id", "access_token_id")


def upgrade() -> None:
    with op.batch_alter_table("apps") as batch:
        batch.add_column(sa.Column("token_lifetime_seconds", sa.Integer(), nullable=True))
    stamp = zentail.storage.models.UTCDateTime(timezone=True)
    op.create_table(
        "refresh_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("app_id", sa.Integer(), nullable=False),
        sa.Column("installation_id", sa.Integer(), nullable=False),
        sa.Column("family", sa.String(length=32), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("access_token_id", sa.Integer(), nullable=True),
        sa.Column("scopes", sa.String(length=1000), nullable=False),
        sa.Column("created_at", stamp, nullable=False),
        sa.Column("expires_at", stamp, nullable=False),
        sa.Column("rotated_at", stamp, nullable=True),
        sa.Column("revoked_at", stamp, nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["access_token_id"],
            ["access_tokens.id"],
            name=op.f("fk_refresh_tokens_access_token_id_access_tokens"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_refresh_tokens_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["app_id"], ["apps.id"], name=op.f("fk_refresh_tokens_app_id_apps"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["installation_id"],
            ["installations.id"],
            name=op.f("fk_refresh_tokens_installation_id_installations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["refresh_tokens.id"],
            name=op.f("fk_refresh_tokens_parent_id_refresh_tokens"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refresh_tokens")),
        sa.UniqueConstraint("digest", name=op.f("uq_refresh_tokens_digest")),
    )
    for column in (*INDEXED, "revoked_at"):
        op.create_index(op.f(f"ix_refresh_tokens_{column}"), "refresh_tokens", [column])


def downgrade() -> None:
    for column in (*INDEXED, "revoked_at"):
        op.drop_index(op.f(f"ix_refresh_tokens_{column}"), table_name="refresh_tokens")
    op.drop_table("refresh_tokens")
    with op.batch_alter_table("apps") as batch:
        batch.drop_column("token_lifetime_seconds")
