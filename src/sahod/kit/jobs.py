"""Enqueueing procrastinate jobs inside the caller's transaction.

A state change and the work it needs commit together or not at all: the job row is
inserted with procrastinate's own defer function on the session's connection, so it
exists exactly when the transaction that asked for it commits (and procrastinate's
trigger notifies the workers at that commit).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

DEFAULT_QUEUE = "default"

_DEFER = text(
    "SELECT unnest(procrastinate_defer_jobs_v1(ARRAY[ROW("
    ":queue, :task_name, :priority, :lock, :queueing_lock, CAST(:args AS jsonb), :scheduled_at"
    ")::procrastinate_job_to_defer_v1])) AS id"
)


async def defer(
    session: AsyncSession,
    task_name: str,
    *,
    lock: str | None = None,
    queueing_lock: str | None = None,
    schedule_at: datetime | None = None,
    priority: int = 0,
    queue: str = DEFAULT_QUEUE,
    **task_kwargs: Any,
) -> int | None:
    """Enqueue ``task_name(**task_kwargs)`` in the session's transaction.

    ``lock``: jobs sharing it run one at a time. ``queueing_lock``: at most one such job
    waits in the queue; a second one is not added and None is returned.
    """
    try:
        # A savepoint: a queueing-lock conflict must not abort the caller's transaction.
        async with session.begin_nested():
            result = await session.execute(
                _DEFER,
                {
                    "queue": queue,
                    "task_name": task_name,
                    "priority": priority,
                    "lock": lock,
                    "queueing_lock": queueing_lock,
                    "args": orjson.dumps(task_kwargs).decode(),
                    "scheduled_at": schedule_at,
                },
            )
            job_id: int = result.scalar_one()
            return job_id
    except IntegrityError as error:
        if queueing_lock is not None and "procrastinate_jobs_queueing_lock_idx" in str(error):
            return None
        raise
