"""What the database knows, read at scrape time across every tenant. Only counts leave
these queries, never a row."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select, text

from sahod.accounts.models import Account
from sahod.cds.repository import syncing_accounts_across_tenants
from sahod.tasks.models import Task
from sahod.tasks.schemas import TaskStatus
from sahod.webhooks.models import WebhookAttempt, WebhookDelivery


def jobs_by_task_and_status(connection: Connection) -> list[tuple[str, str, int]]:
    """procrastinate's jobs still in its table, by task and status (succeeded jobs are
    deleted as they finish, so these are the queued, running and failed ones)."""
    rows: Sequence[Any] = connection.execute(
        text(
            "SELECT task_name, status::text, count(*) FROM procrastinate_jobs "
            "WHERE status IN ('todo', 'doing', 'failed') GROUP BY task_name, status"
        )
    ).all()
    return [(str(task), str(status), int(count)) for task, status, count in rows]


def finished_tasks(connection: Connection) -> list[tuple[str, str, str, str | None, int]]:
    """Every finished link and sync task: (provider, type, outcome, error code, count)."""
    statement = (
        select(Task.provider_id, Task.type, Task.outcome, Task.error_code, func.count())
        # An archive's analysis is a task too, but no sign-in to a portal.
        .where(Task.status == TaskStatus.FINISHED, Task.archive_id.is_(None))
        .group_by(Task.provider_id, Task.type, Task.outcome, Task.error_code)
    )
    return [
        (str(p), str(t), str(o), None if e is None else str(e), int(n))
        for p, t, o, e, n in connection.execute(statement).all()
    ]


def deliveries_by_status(connection: Connection) -> list[tuple[str, int]]:
    statement = select(WebhookDelivery.status, func.count()).group_by(WebhookDelivery.status)
    return [(str(s), int(n)) for s, n in connection.execute(statement).all()]


def attempts_by_outcome(connection: Connection) -> list[tuple[bool, int]]:
    statement = select(WebhookAttempt.succeeded, func.count()).group_by(WebhookAttempt.succeeded)
    return [(bool(s), int(n)) for s, n in connection.execute(statement).all()]


def cds_due(connection: Connection, now: datetime, late_before: datetime) -> tuple[int, int]:
    """Accounts whose monthly sync is due (its time has come and the scan has not taken it
    yet), and of those the ones due since before ``late_before``."""
    statement = syncing_accounts_across_tenants(
        func.count(),
        func.count().filter(Account.next_sync_at <= late_before),
    ).where(Account.next_sync_at <= now)
    row: Any = connection.execute(statement).one()
    return int(row[0]), int(row[1])
