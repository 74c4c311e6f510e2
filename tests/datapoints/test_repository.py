"""Every tenant-facing query of the data points sees one tenant's rows only."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sahod.datapoints import repository
from sahod.datapoints.kinds import DataPointKind
from sahod.datapoints.models import DataPoint
from sahod.kit.clock import ManualClock
from sahod.kit.pagination import PageRequest
from tests.conftest import TenantClient
from tests.factories import seed_connected_user


async def test_another_tenants_account_is_out_of_reach(
    session: AsyncSession, clock: ManualClock, tenant: TenantClient, other_tenant: TenantClient
) -> None:
    _, account, points = await seed_connected_user(session, tenant.tenant_id, clock.now())
    stranger = other_tenant.tenant_id
    task_id = "task-seen-by-one-tenant"
    points[DataPointKind.INCOMES].last_task_id = task_id
    await session.flush()

    assert await repository.account_payload_rows(session, stranger, account.id) == []
    assert await repository.task_datapoints(session, stranger, task_id, 10) == []
    kind = DataPointKind.INCOMES
    assert await repository.get_datapoint(session, stranger, kind, points[kind].id) is None
    listed = await repository.list_datapoints(
        session, stranger, kind, PageRequest(size=10, after_seq=None), repository.DataPointFilter()
    )
    assert listed == []
    assert await repository.delete_account_datapoints(session, stranger, account.id) == 0

    mine = await repository.account_payload_rows(session, tenant.tenant_id, account.id)
    assert len(mine) == len(DataPointKind)
    assert len(await repository.task_datapoints(session, tenant.tenant_id, task_id, 10)) == 1
    deleted = await repository.delete_account_datapoints(session, tenant.tenant_id, account.id)
    assert deleted == len(DataPointKind)
    left = select(func.count()).select_from(DataPoint).where(DataPoint.account_id == account.id)
    assert (await session.execute(left)).scalar_one() == 0
