"""The analysis job: read the archive's files in one short transaction, analyse them in a
child process with no transaction open, record the outcome in another."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import procrastinate

from sahod.archives import service
from sahod.config import Settings
from sahod.db import session_scope
from sahod.kit.outage import RetryWhileDatabaseAway, is_database_unavailable
from sahod.kit.services import Services, runtime_of

log = logging.getLogger(__name__)

_GATE = "archives.analysis_gate"


def _gate(services: Services[Any]) -> asyncio.Semaphore:
    """At most ARCHIVE_ANALYSIS_CONCURRENCY readers at once in this process."""
    gate = services.extras.get(_GATE)
    if not isinstance(gate, asyncio.Semaphore):
        gate = asyncio.Semaphore(services.settings.archive_analysis_concurrency)
        services.extras[_GATE] = gate
    return gate


async def analyze_now(services: Services[Any], tenant_id: str, archive_id: str) -> None:
    # Imported here: the reader (OCR, PDF text) is the worker's business; the API
    # processes never load it.
    from sahod.documents.analysis import analyze_in_child

    settings = services.settings
    async with session_scope(services.session_factory) as session:
        wanted = await service.analysis_input(
            session, services.extras, settings, tenant_id, archive_id
        )
    if wanted is None:
        return
    try:
        async with _gate(services):
            outcome = await analyze_in_child(
                wanted.files,
                wanted.person,
                declared_type=wanted.declared_type,
                timeout_seconds=settings.archive_analysis_timeout_seconds,
            )
    except Exception:
        # The reader promises not to raise for what a file contains: this is a bug of
        # ours, and the archive says so instead of staying STARTED.
        log.exception("analysis of archive %s failed", archive_id)
        await fail_now(services, tenant_id, archive_id)
        return
    async with session_scope(services.session_factory) as session:
        await service.record_analysis(session, tenant_id, outcome, archive_id, services.clock.now())


async def analyze(context: procrastinate.JobContext, tenant_id: str, archive_id: str) -> None:
    services = runtime_of(context)
    try:
        await analyze_now(services, tenant_id, archive_id)
    except Exception as error:
        if is_database_unavailable(error):
            raise  # not the archive's fault: RetryWhileDatabaseAway runs the job again
        # Anything else (a store that cannot be read, records the contract refuses) ends
        # the archive in ERROR rather than leaving it STARTED for ever.
        log.exception("archive job failed for %s", archive_id)
        await fail_now(services, tenant_id, archive_id)


async def fail_now(services: Services[Any], tenant_id: str, archive_id: str) -> None:
    async with session_scope(services.session_factory) as session:
        await service.record_failure(
            session,
            tenant_id,
            archive_id,
            "The document could not be analysed; upload it again.",
            services.clock.now(),
        )


def register(app: procrastinate.App, settings: Settings) -> None:
    app.task(name=service.ANALYZE, pass_context=True, retry=RetryWhileDatabaseAway())(analyze)
