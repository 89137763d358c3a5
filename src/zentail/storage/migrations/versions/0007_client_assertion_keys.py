"""apps' public keys for private_key_jwt client authentication

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 02:30:00

An app may register its public keys (a JWKS document, or the URL of one) and authenticate
at the token, revocation, introspection and diagnostics endpoints with a signed assertion
(RFC 7523 §2.2); ``secrets_accepted`` false makes the assertion its only credential.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("apps") as batch:
        batch.add_column(sa.Column("jwks", sa.Text(), nullable=True))
        batch.add_column(sa.Column("jwks_uri", sa.String(length=2000), nullable=True))
        batch.add_column(
            sa.Column("secrets_accepted", sa.Boolean(), server_default=sa.true(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("apps") as batch:
        batch.drop_column("secrets_accepted")
        batch.drop_column("jwks_uri")
        batch.drop_column("jwks")
