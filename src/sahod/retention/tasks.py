"""The retention sweep: hourly, once across all workers."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

import procrastinate

from sahod.config import Settings
from sahod.db import session_scope
from sahod.kit.services import Services, runtime_of
from sahod.retention import service

log = logging.getLogger(__name__)

SWEEP = "retention.sweep"
"""Hourly: delete failed accounts' credentials, revoke accounts past the retention window."""


async def sweep_now(services: Services[Any]) -> tuple[int, int]:
    """One sweep; (credentials deleted, accounts revoked). Each batch commits on its own."""
    settings = services.settings
    now = services.clock.now()
    async with session_scope(services.session_factory) as session:
        forgotten = await service.forget_failed_credentials(
            session, now, timedelta(hours=settings.error_credentials_retention_hours)
        )
    revoked = 0
    while True:
        async with session_scope(services.session_factory) as session:
            done = await service.revoke_expired_batch(
                session,
                services.extras,
                settings,
                now,
                timedelta(days=settings.data_retention_days),
            )
        revoked += done
        if done < service.EXPIRE_BATCH:
            break
    archives, files = await sweep_documents(services, now)
    if forgotten or revoked or archives or files:
        log.info(
            "retention: deleted the credentials of %d failed accounts, revoked %d accounts "
            "and %d archives past the retention window, deleted %d other expired files",
            forgotten,
            revoked,
            archives,
            files,
        )
    return forgotten, revoked


async def sweep_documents(services: Services[Any], now: datetime) -> tuple[int, int]:
    """Archives past ARCHIVE_RETENTION_DAYS revoked, revoked accounts' exports and other
    expired files deleted, in batches that commit on their own; (archives revoked, files
    deleted)."""
    archives = files = 0
    steps = (
        service.revoke_expired_archives,
        service.delete_revoked_accounts_exports,
        service.delete_expired_files,
    )
    for step in steps:
        while True:
            async with session_scope(services.session_factory) as session:
                done = await step(session, services.extras, services.settings, now)
            if step is service.revoke_expired_archives:
                archives += done
            else:
                files += done
            if done == 0:
                break
    return archives, files


async def sweep(context: procrastinate.JobContext, timestamp: int) -> None:
    await sweep_now(runtime_of(context))


def register(app: procrastinate.App, settings: Settings) -> None:
    app.periodic(cron="17 * * * *")(
        app.task(name=SWEEP, pass_context=True, queueing_lock=SWEEP)(sweep)
    )
