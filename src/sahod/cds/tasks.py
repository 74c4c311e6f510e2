"""Continuous Data Sync's procrastinate tasks."""

from __future__ import annotations

import procrastinate

from sahod.cds import service
from sahod.config import Settings
from sahod.sync import names
from sahod.worker import runtime_of


async def scan_due(context: procrastinate.JobContext, timestamp: int) -> None:
    runtime = runtime_of(context)
    await service.scan_due(runtime, runtime.clock.now())


async def start_update(context: procrastinate.JobContext, account_id: str, monthly: bool) -> None:
    await service.start_update(runtime_of(context), account_id, monthly=monthly)


def register(app: procrastinate.App, settings: Settings) -> None:
    """Add Continuous Data Sync's tasks to ``app``; the scan runs every minute, once
    across all workers (procrastinate dedupes periodic jobs by their timestamp)."""
    app.task(name=names.START_UPDATE, pass_context=True)(start_update)
    app.periodic(cron="* * * * *")(
        app.task(name=names.SCAN_DUE, pass_context=True, queueing_lock=names.SCAN_DUE)(scan_due)
    )
