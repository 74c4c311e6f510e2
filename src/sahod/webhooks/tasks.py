"""Webhook delivery tasks."""

from __future__ import annotations

import logging

import procrastinate

from sahod.config import Settings
from sahod.db import session_scope
from sahod.webhooks import delivery, sender
from sahod.webhooks.signing import signature_headers
from sahod.worker import runtime_of

log = logging.getLogger(__name__)


async def deliver(
    context: procrastinate.JobContext, delivery_id: str, tenant_id: str, generation: int
) -> None:
    """One attempt of one delivery. A retry is another job, deferred by ``record`` with a
    ``schedule_at``: no job sleeps, and a worker restart loses nothing."""
    runtime = runtime_of(context)
    clock, settings = runtime.clock, runtime.settings
    # No transaction stays open across the request: a slow receiver must not hold a
    # connection or a row lock for up to the timeout.
    async with session_scope(runtime.session_factory) as session:
        claimed = await delivery.claim(
            session, runtime.sealer, tenant_id, delivery_id, generation, clock.now()
        )
    if claimed is None:
        return
    attempted_at = clock.now()
    headers = signature_headers(
        claimed.body, claimed.message_id, int(attempted_at.timestamp()), claimed.secrets
    )
    client = sender.client_for(runtime, production=claimed.production)
    outcome = await sender.send(client, claimed.url, claimed.body, headers, settings)
    async with session_scope(runtime.session_factory) as session:
        await delivery.record(session, claimed, outcome, attempted_at, clock.now(), settings)
    if not outcome.succeeded:
        log.info(
            "webhook delivery %s to %s failed: %s", delivery_id, claimed.webhook_id, outcome.error
        )


def register(app: procrastinate.App, settings: Settings | None = None) -> None:
    """Add the webhook tasks to ``app``. Their settings are read from the runtime at each
    run, so ``settings`` is not needed here."""
    # Retries here are for Sahod's own failures (the database unreachable, a bug): a
    # receiver's failure is not an exception, it is recorded and rescheduled by ``record``.
    # A job retried after the request went out sends it again: delivery is at least once.
    app.task(
        name=delivery.DELIVER_TASK,
        pass_context=True,
        retry=procrastinate.RetryStrategy(max_attempts=5, exponential_wait=4),
    )(deliver)
