"""Drop the unique indexes on the lone seq columns

They are redundant (seq is an identity) and let a generic plan walk all tenants' rows in
seq order, filtering by tenant, instead of using the (tenant_id, …, seq) indexes: the read
benchmark measured 42 ms against 0.04 ms for a small tenant's page under such a plan.
They also slowed every insert.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("users", "accounts", "tasks", "events", "datapoints")


def upgrade() -> None:
    for table in TABLES:
        op.drop_constraint(f"uq_{table}_seq", table, type_="unique")


def downgrade() -> None:
    for table in TABLES:
        op.create_unique_constraint(f"uq_{table}_seq", table, ["seq"])
