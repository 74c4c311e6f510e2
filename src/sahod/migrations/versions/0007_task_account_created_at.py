"""Tasks keep their account's createdAt, so the tasks package reads no accounts table

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "tasks", sa.Column("account_created_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.execute(
        "UPDATE tasks SET account_created_at = accounts.created_at "
        "FROM accounts WHERE accounts.id = tasks.account_id"
    )
    op.alter_column("tasks", "account_created_at", nullable=False)


def downgrade() -> None:
    op.drop_column("tasks", "account_created_at")
