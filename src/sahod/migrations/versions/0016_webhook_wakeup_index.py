"""Webhook wake-ups are looked up by webhook: one job per webhook waits, not one per
delivery, and an emitting transaction adds one only when none is waiting. The index keeps
that check (run by every event with a subscriber) to the webhook's own waiting jobs rather
than a scan of every waiting job

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "CREATE INDEX idx_procrastinate_jobs_webhook_wakeups ON procrastinate_jobs "
        "((args->>'webhook_id'), scheduled_at) "
        "WHERE status = 'todo' AND task_name = 'sahod.webhooks.deliver'"
    )


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS idx_procrastinate_jobs_webhook_wakeups")
