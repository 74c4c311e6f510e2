"""The linking pipeline: sealed credentials and portal state, and each record's last task

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "account_credentials",
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("tenant_id", sa.String(length=40), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_account_credentials_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_account_credentials_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_account_credentials")),
    )
    op.add_column("accounts", sa.Column("portal_state", sa.LargeBinary(), nullable=True))
    op.add_column("accounts", sa.Column("pending_mfa_code", sa.LargeBinary(), nullable=True))
    op.add_column("accounts", sa.Column("mfa_deadline", sa.DateTime(timezone=True), nullable=True))
    op.add_column("datapoints", sa.Column("last_task_id", sa.String(length=40), nullable=True))
    op.create_index("ix_datapoints_last_task", "datapoints", ["last_task_id", "kind"])


def downgrade() -> None:
    op.drop_index("ix_datapoints_last_task", table_name="datapoints")
    op.drop_column("datapoints", "last_task_id")
    op.drop_column("accounts", "mfa_deadline")
    op.drop_column("accounts", "pending_mfa_code")
    op.drop_column("accounts", "portal_state")
    op.drop_table("account_credentials")
