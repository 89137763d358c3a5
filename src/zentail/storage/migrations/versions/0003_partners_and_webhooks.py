"""partners, developer logins, scope change requests and the webhook outbox

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 22:45:00

Partner organisations own apps (``apps.partner_id``) and have developer users
(``users.partner_id``); an app may have a webhook URL and a sealed signing secret; events go
to ``webhook_deliveries`` in the transaction of the change they report.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from zentail.storage.models import UTCDateTime

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "partners",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partners")),
        sa.UniqueConstraint("name", name=op.f("uq_partners_name")),
    )
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("partner_id", sa.Integer(), nullable=True))
        batch.create_index(batch.f("ix_users_partner_id"), ["partner_id"])
        batch.create_foreign_key(
            batch.f("fk_users_partner_id_partners"),
            "partners",
            ["partner_id"],
            ["id"],
            ondelete="CASCADE",
        )
    with op.batch_alter_table("apps") as batch:
        batch.add_column(sa.Column("partner_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("webhook_url", sa.String(length=2000), nullable=True))
        batch.add_column(sa.Column("webhook_secret_sealed", sa.LargeBinary(), nullable=True))
        batch.create_index(batch.f("ix_apps_partner_id"), ["partner_id"])
        batch.create_foreign_key(
            batch.f("fk_apps_partner_id_partners"),
            "partners",
            ["partner_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.create_table(
        "scope_change_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("app_id", sa.Integer(), nullable=False),
        sa.Column("scopes", sa.String(length=1000), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("requested_by_user_id", sa.Integer(), nullable=True),
        sa.Column("decided_by_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["app_id"],
            ["apps.id"],
            name=op.f("fk_scope_change_requests_app_id_apps"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_user_id"],
            ["users.id"],
            name=op.f("fk_scope_change_requests_requested_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_user_id"],
            ["users.id"],
            name=op.f("fk_scope_change_requests_decided_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scope_change_requests")),
    )
    op.create_index(op.f("ix_scope_change_requests_app_id"), "scope_change_requests", ["app_id"])
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("app_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(length=64), nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("lease_until", UTCDateTime(), nullable=True),
        sa.Column("claim_token", sa.String(length=64), nullable=True),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("last_attempt_at", UTCDateTime(), nullable=True),
        sa.Column("delivered_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["app_id"],
            ["apps.id"],
            name=op.f("fk_webhook_deliveries_app_id_apps"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_deliveries")),
        sa.UniqueConstraint("message_id", name=op.f("uq_webhook_deliveries_message_id")),
    )
    op.create_index(op.f("ix_webhook_deliveries_app_id"), "webhook_deliveries", ["app_id"])
    op.create_index(
        "ix_webhook_deliveries_due", "webhook_deliveries", ["status", "next_attempt_at"]
    )


def downgrade() -> None:
    op.drop_table("webhook_deliveries")
    op.drop_table("scope_change_requests")
    with op.batch_alter_table("apps") as batch:
        batch.drop_constraint(batch.f("fk_apps_partner_id_partners"), type_="foreignkey")
        batch.drop_index(batch.f("ix_apps_partner_id"))
        batch.drop_column("webhook_secret_sealed")
        batch.drop_column("webhook_url")
        batch.drop_column("partner_id")
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint(batch.f("fk_users_partner_id_partners"), type_="foreignkey")
        batch.drop_index(batch.f("ix_users_partner_id"))
        batch.drop_column("partner_id")
    op.drop_table("partners")
