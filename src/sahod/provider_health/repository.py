"""Every query of provider health. Health is a fact about a provider, so these read every
tenant's tasks, and nothing but counts, times and error codes ever leaves them: no row,
id or tenant is returned."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from sahod.tasks.models import Task
from sahod.tasks.schemas import TaskOutcome, TaskStatus, TaskType

SIGN_IN_OUTCOMES = (TaskOutcome.SUCCEEDED, TaskOutcome.FAILED)


def provider_tasks_across_tenants(provider_id: str, *columns: Any) -> Select[Any]:
    """Where every query here starts: one provider's tasks in every tenant. This is on
    purpose (a portal's health is the same for every tenant), and it is why only
    aggregates may be selected from it."""
    return select(*columns).where(Task.provider_id == provider_id)


def provider_sign_ins(provider_id: str, since: datetime, *columns: Any) -> Select[Any]:
    """One provider's sign-ins (link and sync tasks that finished succeeded or failed; a
    cancelled one says nothing of the portal) since an instant, through
    ix_tasks_provider_finished."""
    return provider_tasks_across_tenants(provider_id, *columns).where(
        Task.finished_at >= since,
        Task.status == TaskStatus.FINISHED,
        Task.outcome.in_(SIGN_IN_OUTCOMES),
    )


@dataclass(frozen=True, slots=True)
class OutcomeCount:
    outcome: TaskOutcome
    error_code: str | None
    counts: tuple[int, ...]
    """One per window asked for, in the order asked."""


async def outcome_counts(
    session: AsyncSession, provider_id: str, windows: tuple[datetime, ...]
) -> list[OutcomeCount]:
    """Sign-ins by outcome and error code, counted in each window (the windows' starts,
    the widest first)."""
    counts = [func.count().filter(Task.finished_at >= since) for since in windows]
    statement = provider_sign_ins(
        provider_id, min(windows), Task.outcome, Task.error_code, *counts
    ).group_by(Task.outcome, Task.error_code)
    rows = (await session.execute(statement)).all()
    return [
        OutcomeCount(
            outcome=TaskOutcome(row[0]),
            error_code=None if row[1] is None else str(row[1]),
            counts=tuple(int(value) for value in row[2:]),
        )
        for row in rows
    ]


@dataclass(frozen=True, slots=True)
class ConnectTimes:
    count: int
    median: float | None
    p95: float | None


async def connect_times(
    session: AsyncSession, provider_id: str, windows: tuple[datetime, ...]
) -> list[ConnectTimes]:
    """Seconds from a link's start to CONNECTED (the user's code entry included: it is
    what the user waits), in each window, by when it connected."""
    seconds = func.extract("epoch", Task.connected_at - Task.started_at)
    aggregates: list[Any] = []
    for since in windows:
        within = Task.connected_at >= since
        aggregates += [
            func.count().filter(within),
            func.percentile_cont(0.5).within_group(seconds).filter(within),
            func.percentile_cont(0.95).within_group(seconds).filter(within),
        ]
    statement = provider_tasks_across_tenants(provider_id, *aggregates).where(
        Task.type == TaskType.LINK_ACCOUNT,
        Task.connected_at >= min(windows),
    )
    row = (await session.execute(statement)).one()
    found: list[ConnectTimes] = []
    for i in range(len(windows)):
        count, median, p95 = row[3 * i : 3 * i + 3]
        found.append(
            ConnectTimes(
                count=int(count),
                median=None if median is None else float(median),
                p95=None if p95 is None else float(p95),
            )
        )
    return found


async def last_success_at(session: AsyncSession, provider_id: str) -> datetime | None:
    statement = provider_tasks_across_tenants(provider_id, func.max(Task.finished_at)).where(
        Task.status == TaskStatus.FINISHED,
        Task.outcome == TaskOutcome.SUCCEEDED,
    )
    value: datetime | None = (await session.execute(statement)).scalar_one()
    return value


@dataclass(frozen=True, slots=True)
class BucketCount:
    start: datetime
    outcome: TaskOutcome
    count: int


async def bucketed_outcomes(
    session: AsyncSession, provider_id: str, since: datetime, bucket: timedelta
) -> list[BucketCount]:
    """Sign-ins by outcome in buckets of ``bucket`` starting at ``since``."""
    start = func.date_bin(literal(bucket), Task.finished_at, literal(since)).label("bucket")
    statement = (
        provider_sign_ins(provider_id, since, start, Task.outcome, func.count())
        .group_by(start, Task.outcome)
        .order_by(start)
    )
    rows = (await session.execute(statement)).all()
    return [
        BucketCount(start=row[0], outcome=TaskOutcome(row[1]), count=int(row[2])) for row in rows
    ]
