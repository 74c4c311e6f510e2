"""A task's life: started for an account, then finished once (succeeded or failed) or
cancelled with the account's revoke or re-authorization. The only code that writes a
task's status, outcome and error code, and the task events that go with them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from sahod.events.service import emit
from sahod.kit.ids import TASK, new_id
from sahod.providers.base import ErrorCode
from sahod.tasks import repository
from sahod.tasks.models import Task
from sahod.tasks.schemas import TaskOutcome, TaskStatus, TaskType


class TaskSource(Protocol):
    """What a task needs of the account it runs for (an accounts.models.Account is one)."""

    @property
    def id(self) -> str: ...
    @property
    def tenant_id(self) -> str: ...
    @property
    def user_id(self) -> str: ...
    @property
    def provider_id(self) -> str: ...
    @property
    def created_at(self) -> datetime: ...


def task_event(task: Task, **extra: Any) -> dict[str, Any]:
    """TASK_STARTED / TASK_FINISHED / ACCOUNT_SYNC_TASK_FINISHED: the task's source is the
    account. ``taskId`` is ours, beyond the seed: it names the task these data points are
    from (webhooks with includePayload read them by it)."""
    return {
        "userId": task.user_id,
        "sourceId": task.account_id,
        "sourceType": "ACCOUNT",
        "providers": [task.provider_id],
        "taskId": task.id,
        **extra,
    }


async def start_task(
    session: AsyncSession, source: TaskSource, task_type: TaskType, now: datetime
) -> Task:
    task = Task(
        id=new_id(TASK),
        tenant_id=source.tenant_id,
        user_id=source.user_id,
        account_id=source.id,
        provider_id=source.provider_id,
        account_created_at=source.created_at,
        type=task_type,
        status=TaskStatus.STARTED,
        datapoints=[],
        started_at=now,
    )
    await repository.add_task(session, task)
    await emit(session, task.tenant_id, "TASK_STARTED", task_event(task, type=task_type), now)
    return task


async def finish_task(
    session: AsyncSession,
    tenant_id: str,
    task_id: str,
    outcome: TaskOutcome,
    now: datetime,
    *,
    datapoints: Sequence[str] = (),
    error_code: ErrorCode | None = None,
    monitor_status: str,
) -> None:
    """Finish a started task (a finished one stays as it is) and say so: TASK_FINISHED,
    or for a sync ACCOUNT_SYNC_TASK_FINISHED with the account's monitor status."""
    task = await repository.lock_task(session, tenant_id, task_id)
    if task is None or task.status is not TaskStatus.STARTED:
        return
    kinds = list(datapoints)
    task.status = TaskStatus.FINISHED
    task.outcome = outcome
    task.finished_at = now
    task.datapoints = kinds
    task.error_code = error_code
    data = task_event(task, status=outcome, datapoints=kinds, errorCode=error_code)
    if task.type is TaskType.UPDATE_ACCOUNT:
        data = {**data, "monitorStatus": monitor_status, "dataPoints": kinds}
        await emit(session, tenant_id, "ACCOUNT_SYNC_TASK_FINISHED", data, now)
    else:
        await emit(session, tenant_id, "TASK_FINISHED", data, now)


async def mark_connected(
    session: AsyncSession, tenant_id: str, task_id: str, now: datetime
) -> None:
    """The task's sign-in reached CONNECTED (the first time only: a retry of the fetch
    that follows does not move it)."""
    task = await repository.lock_task(session, tenant_id, task_id)
    if task is not None and task.connected_at is None:
        task.connected_at = now


async def cancel_open_tasks(
    session: AsyncSession, tenant_id: str, account_id: str, now: datetime
) -> None:
    """The account's running task ends CANCELLED (its revoke, or a new sign-in)."""
    await repository.finish_open_tasks(session, tenant_id, account_id, TaskOutcome.CANCELLED, now)
