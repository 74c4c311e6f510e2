"""Continuous Data Sync's procrastinate tasks, and the transactions they commit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import procrastinate

from sahod.cds import service
from sahod.config import Settings
from sahod.db import session_scope
from sahod.kit.services import Services, runtime_of
from sahod.providers.base import Connector
from sahod.sync.pipeline import Pipeline

SCAN_DUE = "cds.scan_due"
"""Every minute: find the accounts whose monthly sync is due and queue them."""


async def scan_due_accounts(
    services: Services[Any], now: datetime, *, batch: int = service.SCAN_BATCH
) -> int:
    """Queue every account whose sync is due, a batch per transaction; returns how many.

    Each claimed account moves to its next month in the same transaction that queues its
    job, so a crash between batches loses nothing and queues nothing twice.
    """
    queued = 0
    while True:
        async with session_scope(services.session_factory) as session:
            claimed, added = await service.queue_due_batch(session, now, batch)
        queued += added
        if claimed < batch:
            return queued


async def start_update_now(
    services: Services[Connector], tenant_id: str, account_id: str, *, monthly: bool
) -> None:
    """Open the account's sync task (committed, so TASK_STARTED is out) and run it."""
    async with session_scope(services.session_factory) as session:
        task_id = await service.open_update(
            session, tenant_id, account_id, monthly=monthly, now=services.clock.now()
        )
    if task_id is not None:
        await Pipeline(services, tenant_id).advance(account_id, task_id)


async def scan_due(context: procrastinate.JobContext, timestamp: int) -> None:
    services = runtime_of(context)
    await scan_due_accounts(services, services.clock.now())


async def start_update(
    context: procrastinate.JobContext, tenant_id: str, account_id: str, monthly: bool
) -> None:
    await start_update_now(runtime_of(context), tenant_id, account_id, monthly=monthly)


def register(app: procrastinate.App, settings: Settings) -> None:
    """Add Continuous Data Sync's tasks to ``app``; the scan runs every minute, once
    across all workers (procrastinate dedupes periodic jobs by their timestamp)."""
    app.task(name=service.START_UPDATE, pass_context=True)(start_update)
    app.periodic(cron="* * * * *")(
        app.task(name=SCAN_DUE, pass_context=True, queueing_lock=SCAN_DUE)(scan_due)
    )
