"""one live token per installation

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 22:20:00

Concurrent exchanges for one installation could each leave a live token (PostgreSQL, READ
COMMITTED). Before the partial unique index is created, every installation keeps only its
newest live token; older duplicates are revoked.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE = "revoked_at IS NULL AND installation_id IS NOT NULL"


def upgrade() -> None:
    op.execute(
        sa.text(
            "UPDATE access_tokens SET revoked_at = CURRENT_TIMESTAMP "  # noqa: S608 - constants
            f"WHERE {LIVE} AND id < (SELECT max(newer.id) FROM access_tokens AS newer "
            "WHERE newer.installation_id = access_tokens.installation_id "
            "AND newer.revoked_at IS NULL)"
        )
    )
    op.create_index(
        "uq_access_tokens_live_installation",
        "access_tokens",
        ["installation_id"],
        unique=True,
        sqlite_where=sa.text(LIVE),
        postgresql_where=sa.text(LIVE),
    )


def downgrade() -> None:
    op.drop_index("uq_access_tokens_live_installation", table_name="access_tokens")
