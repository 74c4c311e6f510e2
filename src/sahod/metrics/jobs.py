"""Around every job a worker runs: its id, task and tenant on every log line it writes,
and its outcome and time counted."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from procrastinate import exceptions

from sahod.kit import logs
from sahod.metrics.process import JOB_DURATION, JOBS_RUN


async def observe_job(call_next: Callable[[], Awaitable[Any]], context: Any, _worker: Any) -> Any:
    """A procrastinate worker middleware (``worker_middleware=[observe_job]``)."""
    job = context.job
    tenant = (job.task_kwargs or {}).get("tenant_id")
    started = time.perf_counter()
    outcome = "failed"
    with logs.job_context(job.id, job.task_name, tenant if isinstance(tenant, str) else None):
        try:
            result = await call_next()
        except (exceptions.JobAborted, asyncio.CancelledError):
            outcome = "aborted"
            raise
        else:
            outcome = "succeeded"
            return result
        finally:
            JOBS_RUN.labels(job.task_name, outcome).inc()
            JOB_DURATION.labels(job.task_name).observe(time.perf_counter() - started)
