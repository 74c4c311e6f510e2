from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Row, Select, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sahod.db import (
    CompiledRead,
    DriverConnection,
    compile_read,
    driver_connection_of,
    read_row,
)
from sahod.kit.ids import ARCHIVE
from sahod.kit.pagination import PageRequest, keyset
from sahod.tasks.models import Task
from sahod.tasks.schemas import TaskOutcome, TaskStatus, TaskType

_WIRE_COLUMNS: tuple[Any, ...] = (
    Task.id,
    Task.seq,
    Task.type,
    Task.status,
    Task.started_at,
    Task.finished_at,
    Task.datapoints,
    Task.user_id,
    Task.account_id,
    Task.archive_id,
    Task.provider_id,
    Task.account_created_at,
)


def tenant_tasks(tenant_id: str) -> Select[Task]:
    """Where every query of tasks starts: one tenant's. Jobs carry their tenant's id
    too, so not even they can reach another tenant's row."""
    return select(Task).where(Task.tenant_id == tenant_id)


def tenant_task_columns(tenant_id: str, *columns: Any) -> Select[Any]:
    """The same, for queries that read plain columns rather than whole rows."""
    return tenant_tasks(tenant_id).with_only_columns(*columns)


async def add_task(session: AsyncSession, task: Task) -> None:
    session.add(task)
    await session.flush()


async def get_task(session: AsyncSession, tenant_id: str, task_id: str) -> Row[Any] | None:
    statement = tenant_task_columns(tenant_id, *_WIRE_COLUMNS).where(Task.id == task_id)
    row: Row[Any] | None = (await session.execute(statement)).first()
    return row


async def list_tasks(
    session: AsyncSession,
    tenant_id: str,
    page: PageRequest,
    *,
    user_id: str | None,
    source_id: str | None,
    started_from: datetime | None,
    started_before: datetime | None,
) -> Sequence[Row[Any]]:
    statement = tenant_task_columns(tenant_id, *_WIRE_COLUMNS)
    if user_id is not None:
        statement = statement.where(Task.user_id == user_id)
    if source_id is not None:
        statement = statement.where(_source_column(source_id) == source_id)
    if started_from is not None:
        statement = statement.where(Task.started_at >= started_from)
    if started_before is not None:
        statement = statement.where(Task.started_at < started_before)
    rows: Sequence[Row[Any]] = (await session.execute(keyset(statement, Task.seq, page))).all()
    return rows


async def lock_task(session: AsyncSession, tenant_id: str, task_id: str) -> Task | None:
    return (
        await session.execute(tenant_tasks(tenant_id).where(Task.id == task_id).with_for_update())
    ).scalar_one_or_none()


_FINISH_STARTED = b"""
UPDATE tasks SET status = %(finished)s, outcome = %(outcome)s, finished_at = %(now)s,
    datapoints = CAST(%(datapoints)s AS text[]), error_code = %(error_code)s
WHERE tenant_id = %(tenant_id)s AND id = %(task_id)s AND status = %(started)s
RETURNING id, type, user_id, account_id, archive_id, provider_id
"""


async def finish_started(
    session: AsyncSession,
    tenant_id: str,
    task_id: str,
    outcome: TaskOutcome,
    now: datetime,
    *,
    datapoints: list[str],
    error_code: str | None,
) -> Task | None:
    """Finishes the task if it is still started, in one statement on the driver (the row
    is locked by the UPDATE itself); what the task's event needs of it, as a Task outside
    the session, or None when it was not running."""
    connection = await driver_connection_of(session)
    cursor = await connection.execute(
        _FINISH_STARTED,
        {
            "finished": TaskStatus.FINISHED.value,
            "started": TaskStatus.STARTED.value,
            "outcome": outcome.value,
            "now": now,
            "datapoints": datapoints,
            "error_code": error_code,
            "tenant_id": tenant_id,
            "task_id": task_id,
        },
    )
    row = await cursor.fetchone()
    if row is None:
        return None
    found_id, task_type, user_id, account_id, archive_id, provider_id = row
    return Task(
        id=found_id,
        tenant_id=tenant_id,
        type=TaskType(task_type),
        user_id=user_id,
        account_id=account_id,
        archive_id=archive_id,
        provider_id=provider_id,
        status=TaskStatus.FINISHED,
        outcome=outcome,
        finished_at=now,
        datapoints=datapoints,
        error_code=error_code,
    )


_MARK_CONNECTED = b"""
UPDATE tasks SET connected_at = %(now)s
WHERE tenant_id = %(tenant_id)s AND id = %(task_id)s AND connected_at IS NULL
"""


async def mark_connected(
    session: AsyncSession, tenant_id: str, task_id: str, now: datetime
) -> None:
    """Stamps the task's first CONNECTED (a later one leaves it): one statement on the
    driver, no lock taken beforehand, as the stamp depends on nothing else in the row."""
    connection = await driver_connection_of(session)
    await connection.execute(
        _MARK_CONNECTED, {"now": now, "tenant_id": tenant_id, "task_id": task_id}
    )


def _source_column(source_id: str) -> Any:
    # The id's prefix says which column (and index) it is in, rather than an OR the planner
    # cannot walk in seq order.
    return Task.archive_id if source_id.startswith(f"{ARCHIVE}-") else Task.account_id


async def finish_open_tasks(
    session: AsyncSession, tenant_id: str, source_id: str, outcome: TaskOutcome, now: datetime
) -> None:
    """Ends the running tasks of an account or an archive (``source_id``)."""
    await session.execute(
        update(Task)
        .where(
            Task.tenant_id == tenant_id,
            _source_column(source_id) == source_id,
            Task.status == TaskStatus.STARTED,
        )
        .values(status=TaskStatus.FINISHED, outcome=outcome, finished_at=now)
    )


async def open_archive_task_id(
    session: AsyncSession, tenant_id: str, archive_id: str
) -> str | None:
    """The archive's ANALYZE_ARCHIVE task still running, if any (it has one at most)."""
    found: str | None = (
        await session.execute(
            tenant_task_columns(tenant_id, Task.id)
            .where(Task.archive_id == archive_id, Task.status == TaskStatus.STARTED)
            .order_by(Task.seq.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    return found


async def open_task_id(session: AsyncSession, tenant_id: str, account_id: str) -> str | None:
    """The account's task still running, if any (at most one is, by the pipeline's lock)."""
    found: str | None = (
        await session.execute(
            tenant_task_columns(tenant_id, Task.id)
            .where(Task.account_id == account_id, Task.status == TaskStatus.STARTED)
            .order_by(Task.seq.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    return found


def _parameter(name: str) -> Any:
    # Stands in for a value in a statement built once.
    return bindparam(name)


@cache
def _step_read() -> CompiledRead:
    return compile_read(
        tenant_task_columns(_parameter("tenant_id"), Task.status, Task.type).where(
            Task.id == _parameter("task_id")
        )
    )


async def status_and_type(
    connection: DriverConnection, tenant_id: str, task_id: str
) -> tuple[TaskStatus, TaskType] | None:
    """The task's status and type, compiled once, on the driver: what a pipeline step
    reads of its task before it talks to the portal."""
    row = await read_row(connection, _step_read(), {"tenant_id": tenant_id, "task_id": task_id})
    return None if row is None else (TaskStatus(row[0]), TaskType(row[1]))
