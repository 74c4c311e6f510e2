"""Continuous Data Sync: the monthly scan, and the syncs it (or a tenant) starts.

Nothing here commits: ``cds.tasks`` holds the transactions (a batch of the scan each)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from sahod.accounts import lifecycle
from sahod.accounts import repository as accounts_repository
from sahod.accounts.models import Account
from sahod.accounts.schemas import MonitorStatus
from sahod.accounts.sync_dates import next_sync_after
from sahod.cds import repository
from sahod.errors import RequestLimitExceeded
from sahod.kit.jobs import defer, defer_many
from sahod.tasks import lifecycle as tasks_lifecycle
from sahod.tasks import repository as tasks_repository
from sahod.tasks.schemas import TaskType

log = logging.getLogger(__name__)

START_UPDATE = "sync.start_update"
"""Open an UPDATE_ACCOUNT task for a connected account and run it (args: tenant_id,
account_id, monthly). At most one waits per account (queueing lock ``sync:<account id>``)."""

SCAN_BATCH = 1000
REFRESH_INTERVAL = timedelta(hours=1)


def sync_queueing_lock(account_id: str) -> str:
    return f"sync:{account_id}"


async def queue_due_batch(session: AsyncSession, now: datetime, batch: int) -> tuple[int, int]:
    """Claim up to ``batch`` accounts whose sync is due, move each to its next month and
    queue its sync, all in the caller's transaction: (claimed, queued)."""
    due = await repository.claim_due_across_tenants(session, now, batch)
    if not due:
        return 0, 0
    await repository.set_next_syncs(
        session,
        [
            {
                "account_id": row.id,
                "next_sync_at": next_sync_after(max(row.next_sync_at, now), row.sync_day),
            }
            for row in due
        ],
    )
    queued = await defer_many(
        session,
        START_UPDATE,
        [
            (
                row.id,
                sync_queueing_lock(row.id),
                {"tenant_id": row.tenant_id, "account_id": row.id, "monthly": True},
            )
            for row in due
        ],
    )
    return len(due), queued


async def open_update(
    session: AsyncSession, tenant_id: str, account_id: str, *, monthly: bool, now: datetime
) -> str | None:
    """Open the account's UPDATE_ACCOUNT task (TASK_STARTED), if it should sync now: its
    id, for the pipeline to run."""
    account = await accounts_repository.lock_account(session, tenant_id, account_id)
    if account is None or not lifecycle.SYNC.allows(account):
        return None
    if monthly and account.monitor_status != MonitorStatus.ACTIVE:
        return None  # disabled, or waiting for the user, since the scan queued it
    if await tasks_repository.open_task_id(session, tenant_id, account_id) is not None:
        return None  # a sync is already running for it
    task = await tasks_lifecycle.start_task(session, account, TaskType.UPDATE_ACCOUNT, now)
    return task.id


async def request_refresh(session: AsyncSession, account: Account, now: datetime) -> None:
    """A tenant asks for a sync now: at most once an hour per account."""
    locked = await accounts_repository.lock_account(session, account.tenant_id, account.id)
    if locked is None:
        raise lifecycle.TransitionRefused(lifecycle.SYNC.refusal)
    lifecycle.SYNC.check(locked)
    if locked.sync_requested_at is not None and now - locked.sync_requested_at < (REFRESH_INTERVAL):
        wait = locked.sync_requested_at + REFRESH_INTERVAL - now
        raise RequestLimitExceeded(
            f"This account was refreshed less than an hour ago; try again in "
            f"{int(wait.total_seconds() // 60) + 1} minutes."
        )
    lifecycle.request_sync(locked, now)
    await defer(
        session,
        START_UPDATE,
        lock=locked.id,
        queueing_lock=sync_queueing_lock(locked.id),
        tenant_id=locked.tenant_id,
        account_id=locked.id,
        monthly=False,
    )
