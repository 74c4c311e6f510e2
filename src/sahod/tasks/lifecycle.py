"""A task's life: started for an account (or an archive), then finished once (succeeded
or failed) or cancelled with the account's revoke or re-authorization (the archive's
revoke). The only code that writes a task's status, outcome and error code, and the task
events that go with them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from sahod.events.service import emit
from sahod.kit.ids import TASK, new_id
from sahod.tasks import repository
from sahod.tasks.models import Task
from sahod.tasks.schemas import TaskOutcome, TaskStatus, TaskType


class TaskSource(Protocol):
    """What a task needs of the account (or archive) it runs for (an accounts.models.Account
    or an archives.models.Archive is one)."""

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
    account or the archive. ``taskId`` is ours, beyond the seed: it names the task these
    data points are from (webhooks with includePayload read them by it)."""
    source: dict[str, str | None]
    if task.archive_id is not None:
        source = {"sourceId": task.archive_id, "sourceType": "ARCHIVE"}
    else:
        source = {"sourceId": task.account_id, "sourceType": "ACCOUNT"}
    return {
        "userId": task.user_id,
        **source,
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


async def start_archive_task(session: AsyncSession, archive: TaskSource, now: datetime) -> Task:
    """The archive's ANALYZE_ARCHIVE task, in the upload's transaction (TASK_STARTED); an
    archives.models.Archive is its source. ``finish_task`` ends it with the analysis."""
    task = Task(
        id=new_id(TASK),
        tenant_id=archive.tenant_id,
        user_id=archive.user_id,
        account_id=None,
        archive_id=archive.id,
        provider_id=archive.provider_id,
        account_created_at=archive.created_at,
        type=TaskType.ANALYZE_ARCHIVE,
        status=TaskStatus.STARTED,
        datapoints=[],
        started_at=now,
    )
    await repository.add_task(session, task)
    data = task_event(task, type=TaskType.ANALYZE_ARCHIVE)
    await emit(session, task.tenant_id, "TASK_STARTED", data, now)
    return task


async def finish_task(
    session: AsyncSession,
    tenant_id: str,
    task_id: str,
    outcome: TaskOutcome,
    now: datetime,
    *,
    datapoints: Sequence[str] = (),
    error_code: str | None = None,
    monitor_status: str | None = None,
) -> None:
    """Finish a started task (a finished one stays as it is) and say so: TASK_FINISHED,
    or for a sync ACCOUNT_SYNC_TASK_FINISHED with the account's monitor status.
    ``error_code``: an account's ErrorCode, or an archive's errorCode."""
    task = await repository.lock_task(session, tenant_id, task_id)
    if task is None or task.status is not TaskStatus.STARTED:
        return
    kinds = list(datapoints)
    task.status = TaskStatus.FINISHED
    task.outcome = outcome
    task.finished_at = now
    task.datapoints = kinds
    task.error_code = error_code
    event_type, data = _finished_event(task, outcome, kinds, error_code, monitor_status)
    await emit(session, tenant_id, event_type, data, now)


async def finish_started_task(
    session: AsyncSession,
    tenant_id: str,
    task_id: str,
    outcome: TaskOutcome,
    now: datetime,
    *,
    datapoints: Sequence[str] = (),
    error_code: str | None = None,
    monitor_status: str | None = None,
) -> tuple[str, dict[str, Any]] | None:
    """``finish_task`` in one statement (no lock taken beforehand, no flush), for a caller
    that writes the task's event with others of the same change: returns that event,
    (type, data), which the caller must emit in this transaction after its own, or None
    when the task was not running (then nothing changed)."""
    kinds = list(datapoints)
    task = await repository.finish_started(
        session, tenant_id, task_id, outcome, now, datapoints=kinds, error_code=error_code
    )
    if task is None:
        return None
    return _finished_event(task, outcome, kinds, error_code, monitor_status)


def _finished_event(
    task: Task,
    outcome: TaskOutcome,
    kinds: list[str],
    error_code: str | None,
    monitor_status: str | None,
) -> tuple[str, dict[str, Any]]:
    """A finished task's event: TASK_FINISHED, or for a sync ACCOUNT_SYNC_TASK_FINISHED
    with the account's monitor status."""
    data = task_event(task, status=outcome, datapoints=kinds, errorCode=error_code)
    if task.type is TaskType.UPDATE_ACCOUNT:
        data = {**data, "monitorStatus": monitor_status, "dataPoints": kinds}
        return ("ACCOUNT_SYNC_TASK_FINISHED", data)
    return ("TASK_FINISHED", data)


async def mark_connected(
    session: AsyncSession, tenant_id: str, task_id: str, now: datetime
) -> None:
    """The task's sign-in reached CONNECTED (the first time only: a retry of the fetch
    that follows does not move it)."""
    await repository.mark_connected(session, tenant_id, task_id, now)


async def cancel_archive_task(
    session: AsyncSession, tenant_id: str, archive_id: str, now: datetime
) -> None:
    """The archive was revoked before its analysis ended: its task ends CANCELLED (no
    event, as an account's cancelled task: ARCHIVE_REVOKED says it)."""
    await repository.finish_open_tasks(session, tenant_id, archive_id, TaskOutcome.CANCELLED, now)


async def cancel_open_tasks(
    session: AsyncSession, tenant_id: str, account_id: str, now: datetime
) -> None:
    """The account's running task ends CANCELLED (its revoke, or a new sign-in)."""
    await repository.finish_open_tasks(session, tenant_id, account_id, TaskOutcome.CANCELLED, now)
