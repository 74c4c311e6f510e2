"""Continuous Data Sync: the monthly scan, and the syncs it (or a tenant) starts."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from sahod.accounts import repository as accounts_repository
from sahod.accounts.models import Account
from sahod.accounts.schemas import ConnectionStatus, MonitorStatus
from sahod.accounts.service import start_task
from sahod.cds import repository
from sahod.cds.schedule import next_sync_after
from sahod.db import session_scope
from sahod.errors import InvalidParameters, RequestLimitExceeded
from sahod.kit.jobs import defer, defer_many
from sahod.runtime import Runtime
from sahod.sync import names
from sahod.sync.pipeline import Pipeline
from sahod.tasks import repository as tasks_repository
from sahod.tasks.schemas import TaskType

log = logging.getLogger(__name__)

SCAN_BATCH = 1000
REFRESH_INTERVAL = timedelta(hours=1)


async def scan_due(runtime: Runtime, now: datetime, *, batch: int = SCAN_BATCH) -> int:
    """Queue every account whose sync is due, a batch per transaction; returns how many.

    Each claimed account moves to its next month in the same transaction that queues its
    job, so a crash between batches loses nothing and queues nothing twice.
    """
    queued = 0
    while True:
        async with session_scope(runtime.session_factory) as session:
            due = await repository.claim_due(session, now, batch)
            if not due:
                return queued
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
            queued += await defer_many(
                session,
                names.START_UPDATE,
                [
                    (
                        row.id,
                        names.sync_queueing_lock(row.id),
                        {"account_id": row.id, "monthly": True},
                    )
                    for row in due
                ],
            )
        if len(due) < batch:
            return queued


async def start_update(runtime: Runtime, account_id: str, *, monthly: bool) -> None:
    """Open the account's UPDATE_ACCOUNT task (TASK_STARTED) and run the pipeline on it."""
    now = runtime.clock.now()
    async with session_scope(runtime.session_factory) as session:
        account = await accounts_repository.lock_account(session, account_id)
        if account is None or account.connection_status != ConnectionStatus.CONNECTED.value:
            return
        if monthly and account.monitor_status != MonitorStatus.ACTIVE.value:
            return  # disabled, or waiting for the user, since the scan queued it
        if await tasks_repository.open_task_id(session, account_id) is not None:
            return  # a sync is already running for it
        task = await start_task(session, account, TaskType.UPDATE_ACCOUNT, now)
    await Pipeline(runtime).advance(account_id, task.id)


async def request_refresh(session: AsyncSession, account: Account, now: datetime) -> None:
    """A tenant asks for a sync now: at most once an hour per account."""
    locked = await accounts_repository.lock_account(session, account.id)
    if locked is None or locked.connection_status != ConnectionStatus.CONNECTED.value:
        raise InvalidParameters("Only a connected account can be synced.")
    if locked.sync_requested_at is not None and now - locked.sync_requested_at < (REFRESH_INTERVAL):
        wait = locked.sync_requested_at + REFRESH_INTERVAL - now
        raise RequestLimitExceeded(
            f"This account was refreshed less than an hour ago; try again in "
            f"{int(wait.total_seconds() // 60) + 1} minutes."
        )
    locked.sync_requested_at = now
    await defer(
        session,
        names.START_UPDATE,
        lock=locked.id,
        queueing_lock=names.sync_queueing_lock(locked.id),
        account_id=locked.id,
        monthly=False,
    )
