from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from sahod.kit.clock import ManualClock
from sahod.providers.base import Credentials
from sahod.providers.sandbox import BackgroundPortals
from sahod.runtime import Runtime
from sahod.sync.pipeline import Pipeline
from tests.conftest import TenantClient
from tests.factories import link_and_commit, make_user

# Provider health counts every tenant's tasks in the database, and other tests in this
# worker's database commit link tasks too, near TEST_START. So each test here judges a week
# of its own, three years on, where only its own links are.
_WEEKS_TAKEN = itertools.count()


@pytest.fixture
def health_week(clock: ManualClock) -> ManualClock:
    clock.advance(timedelta(days=3 * 365, weeks=next(_WEEKS_TAKEN)))
    return clock


@pytest.fixture
def portals_clock(clock: ManualClock) -> ManualClock:
    # The portals read the test's own clock, so task times and portal times agree.
    return clock


@dataclass
class Linker:
    """Links accounts the way the worker does: the Link API's transaction, then the
    pipeline against the sandbox portals over real HTTP."""

    runtime: Runtime
    session: AsyncSession
    tenant_id: str
    clock: ManualClock

    async def link(
        self, provider_id: str, username: str, password: str, *, takes: float = 0.0
    ) -> str:
        user = await make_user(self.session, self.tenant_id, self.clock.now())
        account, task_id = await link_and_commit(
            self.session,
            tenant_id=self.tenant_id,
            user_id=user.id,
            provider_id=provider_id,
            credentials=Credentials(username, password),
            sealer=self.runtime.sealer,
            now=self.clock.now(),
        )
        # The portal answers ``takes`` seconds after the link started.
        self.clock.advance(timedelta(seconds=takes))
        await Pipeline(self.runtime, self.tenant_id).advance(account.id, task_id)
        return account.id


@pytest.fixture
async def linker(
    runtime: Runtime,
    portals: BackgroundPortals,
    session: AsyncSession,
    tenant: TenantClient,
    health_week: ManualClock,
) -> AsyncIterator[Linker]:
    settings = runtime.settings.model_copy(
        update={
            "portal_base_url": portals.base_url,
            # A portal in maintenance fails the link at once rather than after 2 hours.
            "link_retry_window_seconds": 0.0,
            "link_attempts": 1,
        }
    )
    linked = replace(runtime, settings=settings, connectors={})
    try:
        yield Linker(linked, session, tenant.tenant_id, health_week)
    finally:
        for connector in linked.connectors.values():
            await connector.aclose()
