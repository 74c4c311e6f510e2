"""Single-use link tokens: a token's kind (link or widget session) and when it was spent

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "access_tokens",
        sa.Column("kind", sa.String(length=16), server_default="LINK", nullable=False),
    )
    op.add_column("access_tokens", sa.Column("spent_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("access_tokens", "spent_at")
    op.drop_column("access_tokens", "kind")
