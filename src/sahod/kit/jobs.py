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
    parameters = {
        "queue": queue,
        "task_name": task_name,
        "priority": priority,
        "lock": lock,
        "queueing_lock": queueing_lock,
        "args": orjson.dumps(task_kwargs).decode(),
        "scheduled_at": schedule_at,
    }
    if queueing_lock is None:
        # Nothing can conflict: no savepoint (two round trips) is needed.
        job_id: int = (await session.execute(_DEFER, parameters)).scalar_one()
        return job_id
    try:
        # A savepoint: a queueing-lock conflict must not abort the caller's transaction.
        async with session.begin_nested():
            locked_job_id: int = (await session.execute(_DEFER, parameters)).scalar_one()
            return locked_job_id
    except IntegrityError as error:
        if queueing_lock is not None and "procrastinate_jobs_queueing_lock_idx" in str(error):
            return None
        raise


_DEFER_MANY = text(
    "SELECT unnest(procrastinate_defer_jobs_v1(CAST(:jobs AS procrastinate_job_to_defer_v1[])))"
)


async def defer_many(
    session: AsyncSession,
    task_name: str,
    jobs: list[tuple[str | None, str | None, dict[str, Any]]],
    *,
    priority: int = 0,
    queue: str = DEFAULT_QUEUE,
) -> int:
    """Enqueue many jobs of one task in one statement: (lock, queueing_lock, kwargs) each.

    Returns how many were queued. When a queueing lock says one of them is already
    waiting, the batch is retried one job at a time and that one is left out.
    """
    if not jobs:
        return 0
    rows = [
        (queue, task_name, priority, lock, queueing_lock, orjson.dumps(kwargs).decode(), None)
        for lock, queueing_lock, kwargs in jobs
    ]
    if all(queueing_lock is None for _, queueing_lock, _ in jobs):
        # Nothing can conflict: one statement, no savepoint.
        return len((await session.execute(_DEFER_MANY, {"jobs": rows})).all())
    try:
        async with session.begin_nested():
            return len((await session.execute(_DEFER_MANY, {"jobs": rows})).all())
    except IntegrityError as error:
        if "procrastinate_jobs_queueing_lock_idx" not in str(error):
            raise
    queued = 0
    for lock, queueing_lock, kwargs in jobs:
        job_id = await defer(
            session,
            task_name,
            lock=lock,
            queueing_lock=queueing_lock,
            priority=priority,
            queue=queue,
            **kwargs,
        )
        queued += job_id is not None
    return queued
