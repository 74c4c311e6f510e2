"""Tasks record when their account reached CONNECTED, and providers' task outcomes are
read across tenants by (provider, finished_at) for provider health and metrics

Revision ID: 0014
Revises: 0011
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
# After the portal's 0013 on this branch only (the two heads met here); main re-chains.
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("tasks", sa.Column("connected_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_tasks_provider_finished", "tasks", ["provider_id", "finished_at"])


def downgrade() -> None:
    op.drop_index("ix_tasks_provider_finished", table_name="tasks")
    op.drop_column("tasks", "connected_at")
