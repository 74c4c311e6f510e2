"""The one wiring point: settings → database → engine, sessions, clock, sealer, job app,
and the one list of the domains whose tasks the job app runs."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import procrastinate
from sqlalchemy.ext.asyncio import AsyncEngine

from sahod import migrate
from sahod.archives import tasks as archives_tasks
from sahod.cds import tasks as cds_tasks
from sahod.config import Settings
from sahod.db import (
    EmbeddedServer,
    checked_job_pool,
    create_engine,
    create_session_factory,
    dispose_engine,
    libpq_url,
    resolve_database_url,
)
from sahod.files.store import check_file_store
from sahod.keys.keyring import load_sealer
from sahod.kit.clock import Clock, SystemClock
from sahod.kit.services import Services
from sahod.metrics.jobs import observe_job
from sahod.portal_routing.targets import check_portal_urls, connector_for
from sahod.providers.base import Connector
from sahod.retention import tasks as retention_tasks
from sahod.sync import tasks as sync_tasks
from sahod.webhooks import tasks as webhooks_tasks

log = logging.getLogger(__name__)


TASK_REGISTRATIONS: tuple[Callable[[procrastinate.App, Settings], None], ...] = (
    sync_tasks.register,
    cds_tasks.register,
    webhooks_tasks.register,
    retention_tasks.register,
    archives_tasks.register,
)
"""Each adds its domain's tasks to the job app, under names its domain defines."""


@dataclass(kw_only=True)
class Runtime(Services[Connector]):
    """The process's services, plus what only the process itself needs (the engine)."""

    database_url: str
    engine: AsyncEngine
    embedded: EmbeddedServer | None = None


def create_job_app(
    database_url: str, settings: Settings, *, pool_size: int = 10
) -> procrastinate.App:
    connector = procrastinate.PsycopgConnector(
        conninfo=libpq_url(database_url),
        min_size=1,
        max_size=pool_size,
        kwargs={"options": "-c timezone=UTC"},
        pool_factory=checked_job_pool,
    )
    app = procrastinate.App(connector=connector)
    for register in TASK_REGISTRATIONS:
        register(app, settings)
    return app


JOB_POLL_SECONDS = 0.5
"""How often a worker looks for jobs whose notification it missed."""


def worker_options(runtime: Runtime, concurrency: int) -> dict[str, Any]:
    """The same worker settings for `sahod serve` and `sahod worker`."""
    return {
        "concurrency": concurrency,
        "install_signal_handlers": False,
        "additional_context": {"runtime": runtime},
        "delete_jobs": "successful",
        "update_heartbeat_interval": runtime.settings.worker_heartbeat_seconds,
        "stalled_worker_timeout": runtime.settings.stalled_after_seconds,
        # procrastinate's worker can miss the notification of a job committed while it was
        # fetching, and then finds it only at its next poll (5 s by default): a webhook's
        # wake-up stranded that long was the paced p99 of bench/webhooks.py. A poll is one
        # cheap indexed query.
        "fetch_job_polling_interval": JOB_POLL_SECONDS,
        # Every job's id on its log lines, and its outcome counted (sahod.metrics).
        "worker_middleware": [observe_job],
    }


def new_connector(provider_id: str, settings: Settings, mode: str) -> Connector:
    # The tenant's mode picks the portal (issue 12): see sahod.portal_routing.
    return connector_for(provider_id, settings, mode)


@asynccontextmanager
async def open_runtime(
    settings: Settings,
    *,
    clock: Clock | None = None,
    database_url: str | None = None,
    run_migrations: bool = True,
) -> AsyncIterator[Runtime]:
    # Issue 12: refuse bad key and portal settings before touching the database.
    sealer = load_sealer(settings)
    check_portal_urls(settings)
    check_file_store(settings)
    embedded: EmbeddedServer | None = None
    if database_url is None:
        url, embedded = await asyncio.to_thread(resolve_database_url, settings)
    else:
        url = database_url
    if run_migrations:
        await asyncio.to_thread(migrate.upgrade, url)
    engine = create_engine(
        url,
        pool_size=settings.db_pool_size,
        statement_timeout_seconds=settings.statement_timeout_seconds,
    )
    jobs = create_job_app(url, settings)
    runtime = Runtime(
        settings=settings,
        database_url=url,
        engine=engine,
        session_factory=create_session_factory(engine),
        clock=clock or SystemClock(),
        sealer=sealer,
        jobs=jobs,
        connector_factory=new_connector,
        embedded=embedded,
    )
    await jobs.open_async()
    try:
        yield runtime
    finally:
        for connector in runtime.connectors.values():
            await connector.aclose()
        for extra in runtime.extras.values():
            # Clients a domain keeps for the process (the webhook sender's), closed with it.
            close = getattr(extra, "aclose", None)
            if close is not None:
                await close()
        await jobs.close_async()
        await dispose_engine(engine)
