"""The one wiring point: settings → database → engine, sessions, clock, sealer, job app."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import procrastinate
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from sahod import migrate
from sahod.config import Settings
from sahod.db import (
    EmbeddedServer,
    create_engine,
    create_session_factory,
    resolve_database_url,
)
from sahod.kit.clock import Clock, SystemClock
from sahod.kit.crypto import Sealer, decode_key, load_or_create_key_file
from sahod.providers.base import Connector
from sahod.providers.registry import create_connector
from sahod.worker import create_job_app

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    database_url: str
    engine: AsyncEngine
    session_factory: async_sessionmaker[AsyncSession]
    clock: Clock
    sealer: Sealer
    jobs: procrastinate.App
    embedded: EmbeddedServer | None = None
    extras: dict[str, Any] = field(default_factory=dict)
    connectors: dict[str, Connector] = field(default_factory=dict)
    """One connector per provider, shared by this process's jobs (its HTTP pools)."""

    def connector(self, provider_id: str) -> Connector:
        if provider_id not in self.connectors:
            self.connectors[provider_id] = create_connector(
                provider_id,
                base_url=self.settings.resolved_portal_base_url(),
                timeout=self.settings.connector_timeout_seconds,
            )
        return self.connectors[provider_id]


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
