"""The readiness facts, read straight from the database (no tenant scope: they are global)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


async def applied_revisions(session: AsyncSession) -> set[str]:
    rows = await session.execute(text("SELECT version_num FROM alembic_version"))
    return {str(row[0]) for row in rows}


async def seconds_since_last_heartbeat(session: AsyncSession) -> float | None:
    """Of the most recent worker heartbeat; None when no worker is registered."""
    value = await session.scalar(
        text(
            "SELECT EXTRACT(EPOCH FROM now() - max(last_heartbeat))::float8 "
            "FROM procrastinate_workers"
        )
    )
    return None if value is None else float(value)


async def oldest_due_job_seconds(session: AsyncSession) -> float | None:
    """How long the oldest job that could run now has been waiting; None for an empty queue.

    A job is due from its ``scheduled_at``, or else from when it was deferred.
    """
    value = await session.scalar(
        text(
            "SELECT EXTRACT(EPOCH FROM now() - min(coalesce(j.scheduled_at, d.at)))::float8 "
            "FROM procrastinate_jobs j "
            "LEFT JOIN procrastinate_events d ON d.job_id = j.id AND d.type = 'deferred' "
            "WHERE j.status = 'todo' AND (j.scheduled_at IS NULL OR j.scheduled_at <= now())"
        )
    )
    return None if value is None else float(value)
