"""Continuous Data Sync: each account's sync day, next sync, and last requested refresh

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("accounts", sa.Column("sync_day", sa.SmallInteger(), nullable=True))
    op.add_column("accounts", sa.Column("next_sync_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "accounts", sa.Column("sync_requested_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.create_index(
        "ix_accounts_due_sync",
        "accounts",
        ["next_sync_at"],
        postgresql_where=sa.text("connection_status = 'CONNECTED' AND monitor_status = 'ACTIVE'"),
    )


def downgrade() -> None:
    op.drop_index("ix_accounts_due_sync", table_name="accounts")
    op.drop_column("accounts", "sync_requested_at")
    op.drop_column("accounts", "next_sync_at")
    op.drop_column("accounts", "sync_day")
