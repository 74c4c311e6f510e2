"""Archive analysis is a task (ANALYZE_ARCHIVE) whose source is an archive: a task names
either an account or an archive, and its error code may be an archive's (not only an
account's), so the column is read as plain text

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("tasks", sa.Column("archive_id", sa.String(40), nullable=True))
    op.create_foreign_key(
        op.f("fk_tasks_archive_id_archives"),
        "tasks",
        "archives",
        ["archive_id"],
        ["id"],
        ondelete="CASCADE",
    )
    op.alter_column("tasks", "account_id", existing_type=sa.String(40), nullable=True)
    op.create_check_constraint(
        op.f("ck_tasks_one_source"), "tasks", "(account_id IS NULL) <> (archive_id IS NULL)"
    )
    op.create_index("ix_tasks_tenant_archive_seq", "tasks", ["tenant_id", "archive_id", "seq"])


def downgrade() -> None:
    op.drop_index("ix_tasks_tenant_archive_seq", table_name="tasks")
    op.execute("DELETE FROM tasks WHERE archive_id IS NOT NULL")
    op.drop_constraint(op.f("ck_tasks_one_source"), "tasks", type_="check")
    op.alter_column("tasks", "account_id", existing_type=sa.String(40), nullable=False)
    op.drop_constraint(op.f("fk_tasks_archive_id_archives"), "tasks", type_="foreignkey")
    op.drop_column("tasks", "archive_id")
