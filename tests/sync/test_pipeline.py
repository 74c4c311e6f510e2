"""The pipeline run directly against the sandbox portals (real HTTP), inside the test's
rolled-back transaction."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sahod.datapoints.models import DataPoint
from sahod.events.models import Event
from sahod.kit.clock import ManualClock
from sahod.providers.base import Credentials
from sahod.providers.sandbox import BackgroundPortals
from sahod.runtime import Runtime
from sahod.sync.pipeline import Pipeline
from sahod.tasks.models import Task
from sahod.tenants.schemas import TenantMode
from sahod.tenants.service import create_tenant
from tests.factories import link_and_commit, make_user

PORTAL_START = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)


@pytest.fixture
def portals_clock() -> ManualClock:
    return ManualClock(PORTAL_START)


@pytest.fixture
def portal_clock(portals_clock: ManualClock) -> ManualClock:
    """The suite's portals (``portals``) read this clock during the test."""
    return portals_clock


@pytest.fixture
def pipeline_runtime(runtime: Runtime, portals: BackgroundPortals) -> Runtime:
    settings = runtime.settings.model_copy(update={"portal_base_url": portals.base_url})
    return replace(runtime, settings=settings, connectors={})


async def _count(session: AsyncSession, statement: object) -> int:
    return int((await session.execute(statement)).scalar_one())  # type: ignore[call-overload]


async def test_the_same_sync_twice_stores_nothing_twice(
    pipeline_runtime: Runtime,
    session: AsyncSession,
    clock: ManualClock,
    portal_clock: ManualClock,
) -> None:
    keys = await create_tenant(session, "Pipeline Tenant", TenantMode.SANDBOX, clock.now())
    user = await make_user(session, keys.tenant_id, clock.now())
    account, task_id = await link_and_commit(
        session,
        tenant_id=keys.tenant_id,
        user_id=user.id,
        provider_id="pagibig",
        credentials=Credentials("nomfa@sahod.test", "sandbox1"),
        sealer=pipeline_runtime.sealer,
        now=clock.now(),
    )
    pipeline = Pipeline(pipeline_runtime, keys.tenant_id)
    try:
        await pipeline.advance(account.id, task_id)
        stored = await _count(
            session, select(func.count()).where(DataPoint.account_id == account.id)
        )
        assert stored > 20
        events = await _count(session, select(func.count()).select_from(Event))

        # The same task, run again from CONNECTED (as after a crash before it finished).
        await session.execute(update(Task).where(Task.id == task_id).values(status="Started"))
        await session.commit()
        await pipeline.advance(account.id, task_id)
        assert (
            await _count(session, select(func.count()).where(DataPoint.account_id == account.id))
            == stored
        )
        new_types = (
            (await session.execute(select(Event.type).order_by(Event.seq).offset(events)))
            .scalars()
            .all()
        )
        assert new_types == ["TASK_FINISHED"], new_types  # no *_ADDED: nothing was new

        # A month on, the loan's balance has gone down: reported as updated, not added.
        portal_clock.advance(timedelta(days=31))
        await session.execute(update(Task).where(Task.id == task_id).values(status="Started"))
        await session.commit()
        await pipeline.advance(account.id, task_id)
        later = (
            await session.execute(
                select(Event.type, Event.data).order_by(Event.seq).offset(events + 1)
            )
        ).all()
        types = [row.type for row in later]
        assert "LIABILITIES_UPDATED" in types
        updated = next(row.data for row in later if row.type == "LIABILITIES_UPDATED")
        assert updated["count"] == len(updated["ids"]) >= 1
    finally:
        portal_clock.set(PORTAL_START)
        for connector in pipeline_runtime.connectors.values():
            await connector.aclose()
