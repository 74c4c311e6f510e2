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
from sahod.cds import tasks as cds_tasks
from sahod.config import Settings
from sahod.db import (
    EmbeddedServer,
    create_engine,
    create_session_factory,
    libpq_url,
    resolve_database_url,
)
from sahod.kit.clock import Clock, SystemClock
from sahod.kit.crypto import Sealer, decode_key, load_or_create_key_file
from sahod.kit.services import Services
from sahod.providers.base import Connector
from sahod.providers.registry import create_connector
from sahod.sync import tasks as sync_tasks
from sahod.webhooks import tasks as webhooks_tasks

log = logging.getLogger(__name__)


TASK_REGISTRATIONS: tuple[Callable[[procrastinate.App, Settings], None], ...] = (
    sync_tasks.register,
    cds_tasks.register,
    webhooks_tasks.register,
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
    )
    app = procrastinate.App(connector=connector)
    for register in TASK_REGISTRATIONS:
        register(app, settings)
    return app


def worker_options(runtime: Runtime, concurrency: int) -> dict[str, Any]:
    """The same worker settings for `sahod serve` and `sahod worker`."""
    return {
        "concurrency": concurrency,
        "install_signal_handlers": False,
        "additional_context": {"runtime": runtime},
        "delete_jobs": "successful",
        "update_heartbeat_interval": runtime.settings.worker_heartbeat_seconds,
        "stalled_worker_timeout": runtime.settings.stalled_after_seconds,
    }


def new_connector(provider_id: str, settings: Settings) -> Connector:
    return create_connector(
        provider_id,
        base_url=settings.resolved_portal_base_url(),
        timeout=settings.connector_timeout_seconds,
    )


def load_sealer(settings: Settings) -> Sealer:
    if settings.sealing_key:
        return Sealer(decode_key(settings.sealing_key))
    return Sealer(load_or_create_key_file(settings.data_dir / "sealing.key"))


@asynccontextmanager
async def open_runtime(
    settings: Settings,
    *,
    clock: Clock | None = None,
    database_url: str | None = None,
    run_migrations: bool = True,
) -> AsyncIterator[Runtime]:
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
        sealer=load_sealer(settings),
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
        await engine.dispose()
