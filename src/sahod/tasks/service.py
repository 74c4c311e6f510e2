from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from sahod.errors import MissingResource
from sahod.kit.clock import iso_z
from sahod.kit.pagination import PageRequest
from sahod.tasks import repository
from sahod.tenants.schemas import TenantContext


def task_wire(row: Row[Any]) -> dict[str, Any]:
    """The contract's Task object (schemas.TaskOut)."""
    return {
        "id": row.id,
        "type": row.type,
        "startedAt": iso_z(row.started_at),
        "finishedAt": iso_z(row.finished_at),
        "status": row.status,
        "datapoints": list(row.datapoints or []),
        "metadata": {
            "createdAt": iso_z(row.account_created_at),
            "itemCreatedAt": iso_z(row.started_at),
            **_source(row),
            "providerId": row.provider_id,
            "userId": row.user_id,
        },
    }


def _source(row: Row[Any]) -> dict[str, Any]:
    if row.archive_id is not None:
        # An archive's task: no account, so no (deprecated) accountId, as on its data points.
        return {"sourceId": row.archive_id, "sourceType": "ARCHIVE"}
    return {"accountId": row.account_id, "sourceId": row.account_id, "sourceType": "ACCOUNT"}


async def get_task(session: AsyncSession, tenant: TenantContext, task_id: str) -> dict[str, Any]:
    row = await repository.get_task(session, tenant.id, task_id)
    if row is None:
        raise MissingResource(f"There is no task {task_id}.")
    return task_wire(row)


async def list_tasks(
    session: AsyncSession,
    tenant: TenantContext,
    page: PageRequest,
    *,
    user_id: str | None,
    source_id: str | None,
    started_from: datetime | None,
    started_before: datetime | None,
) -> Sequence[Row[Any]]:
    return await repository.list_tasks(
        session,
        tenant.id,
        page,
        user_id=user_id,
        source_id=source_id,
        started_from=started_from,
        started_before=started_before,
    )
