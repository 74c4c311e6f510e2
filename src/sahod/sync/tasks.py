"""The pipeline's procrastinate tasks."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import procrastinate

from sahod.config import Settings
from sahod.kit.outage import RetryWhileDatabaseAway, is_database_unavailable
from sahod.kit.services import runtime_of
from sahod.sync.pipeline import ADVANCE, MFA_DEADLINE, Pipeline

log = logging.getLogger(__name__)

RECOVER_STALLED = "sync.recover_stalled"
"""Put the jobs of workers that stopped sending heartbeats back in the queue."""


async def advance(
    context: procrastinate.JobContext,
    tenant_id: str,
    account_id: str,
    task_id: str,
    attempt: int = 0,
) -> None:
    pipeline = Pipeline(runtime_of(context), tenant_id)
    try:
        await pipeline.advance(account_id, task_id, attempt)
    except Exception as error:
        if is_database_unavailable(error):
            raise  # not the account's fault: RetryWhileDatabaseAway runs the step again
        log.exception("pipeline step failed for account %s", account_id)
        await pipeline.fail_unexpectedly(account_id, task_id)


async def mfa_deadline(
    context: procrastinate.JobContext, tenant_id: str, account_id: str, task_id: str
) -> None:
    await Pipeline(runtime_of(context), tenant_id).time_out_if_due(account_id, task_id)


async def recover_stalled(context: procrastinate.JobContext, timestamp: int) -> None:
    """Jobs whose worker stopped sending heartbeats (killed, lost its machine) go back in
    the queue; the pipeline resumes them from the account's committed state."""
    runtime = runtime_of(context)
    manager = runtime.jobs.job_manager
    stalled = await manager.get_stalled_jobs(
        seconds_since_heartbeat=runtime.settings.stalled_after_seconds
    )
    for job in stalled:
        if job.id is None or job.id == context.job.id:
            continue
        log.warning("job %s (%s) stalled; queueing it again", job.id, job.task_name)
        await manager.retry_job(job, retry_at=datetime.now(UTC))


def register(app: procrastinate.App, settings: Settings) -> None:
    """Add the pipeline's tasks to ``app``."""
    app.task(name=ADVANCE, pass_context=True, retry=RetryWhileDatabaseAway())(advance)
    app.task(name=MFA_DEADLINE, pass_context=True, retry=RetryWhileDatabaseAway())(mfa_deadline)
    every = settings.stalled_check_seconds
    app.periodic(cron=f"* * * * * */{every}")(
        app.task(name=RECOVER_STALLED, pass_context=True)(recover_stalled)
    )
