"""`sahod keys rotate`: afterwards the old key can go, and nothing stops working."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sahod.accounts.models import Account, AccountCredentials
from sahod.accounts.schemas import ConnectionStatus
from sahod.keys.rotate import SEALED_COLUMNS, remaining_under_old_keys, rotate
from sahod.kit.clock import ManualClock
from sahod.kit.crypto import Sealer, sealed_key_id
from sahod.providers.base import Credentials
from sahod.providers.sandbox import BackgroundPortals
from sahod.runtime import Runtime
from sahod.sync.pipeline import Pipeline
from sahod.tasks.models import Task
from sahod.tenants.schemas import TenantContext, TenantMode
from sahod.tenants.service import create_tenant
from sahod.webhooks.models import Webhook
from sahod.webhooks.schemas import WebhookCreate
from sahod.webhooks.subscriptions import create_webhook, sealing_context
from tests.factories import link_and_commit, make_user

OLD = os.urandom(32)
NEW = os.urandom(32)


@pytest.fixture(scope="module")
def portals() -> Iterator[BackgroundPortals]:
    with BackgroundPortals() as running:
        yield running


def _with(runtime: Runtime, sealer: Sealer, portals: BackgroundPortals) -> Runtime:
    settings = runtime.settings.model_copy(update={"portal_base_url": portals.base_url})
    return replace(runtime, sealer=sealer, settings=settings, connectors={})


async def _link(
    runtime: Runtime, session: AsyncSession, clock: ManualClock, tenant_id: str
) -> tuple[str, str]:
    user = await make_user(session, tenant_id, clock.now())
    account, task_id = await link_and_commit(
        session,
        tenant_id=tenant_id,
        user_id=user.id,
        provider_id="pagibig",
        credentials=Credentials("nomfa@sahod.test", "sandbox1"),
        sealer=runtime.sealer,
        now=clock.now(),
    )
    return account.id, task_id


async def test_after_rotation_accounts_link_and_sync_and_webhook_secrets_open_under_the_new_key(
    runtime: Runtime, session: AsyncSession, clock: ManualClock, portals: BackgroundPortals
) -> None:
    old_only = _with(runtime, Sealer(OLD), portals)
    keys = await create_tenant(session, "Rotating Tenant", TenantMode.SANDBOX, clock.now())
    tenant = TenantContext(id=keys.tenant_id, mode=TenantMode.SANDBOX)

    # Under the old key: one account connected (credentials and portal state sealed), one
    # still waiting to be linked, and a webhook whose secret was rotated once.
    connected, connected_task = await _link(old_only, session, clock, keys.tenant_id)
    await Pipeline(old_only, keys.tenant_id).advance(connected, connected_task)
    pending, pending_task = await _link(old_only, session, clock, keys.tenant_id)
    hook = await create_webhook(
        session,
        tenant,
        WebhookCreate.model_validate(
            {
                "name": "Receiver",
                "url": "https://receiver.example/hooks",
                "eventTypes": ["USER_CREATED"],
                "active": True,
                "secret": "new-secret-new-secret",
            }
        ),
        clock.now(),
        old_only.sealer,
        old_only.settings,
    )
    row = await session.get(Webhook, hook.id)
    assert row is not None
    row.previous_secret_sealed = old_only.sealer.seal(
        b"old-secret-old-secret", sealing_context(hook.id)
    )
    await session.commit()

    # Every process now runs with the ring; rotate; then the old key is dropped.
    ring = Sealer(OLD, keys={"2026-12": NEW}, current="2026-12")
    before = await remaining_under_old_keys(runtime.session_factory, ring)
    report = await rotate(runtime.session_factory, ring, batch_size=1)
    assert report.resealed["account credentials"] >= 2
    assert report.resealed["portal state"] >= 1
    assert report.resealed["webhook secrets"] >= 1
    assert report.resealed["previous webhook secrets"] >= 1
    assert report.total >= 5
    assert await remaining_under_old_keys(runtime.session_factory, ring) == before - report.total
    again = await rotate(runtime.session_factory, ring)
    assert again.total == 0

    new_only = _with(runtime, Sealer(keys={"2026-12": NEW}, current="2026-12"), portals)
    for sealed in SEALED_COLUMNS:
        values = (
            await session.execute(
                select(sealed.column).where(
                    sealed.column.is_not(None), sealed.key.in_([connected, pending, hook.id])
                )
            )
        ).scalars()
        assert {sealed_key_id(v) for v in values} <= {"2026-12"}  # no code is pending

    # The account waiting to be linked links; the connected one syncs again.
    await Pipeline(new_only, keys.tenant_id).advance(pending, pending_task)
    refreshed = await session.get(Account, pending, populate_existing=True)
    assert refreshed is not None and refreshed.connection_status == ConnectionStatus.CONNECTED
    await session.execute(
        Task.__table__.update().where(Task.id == connected_task).values(status="Started")
    )
    await session.commit()
    await Pipeline(new_only, keys.tenant_id).advance(connected, connected_task)
    synced = await session.get(Account, connected, populate_existing=True)
    assert synced is not None and synced.connection_status == ConnectionStatus.CONNECTED
    assert await session.get(AccountCredentials, connected) is not None

    # Both webhook secrets still open, so deliveries are signed with them.
    await session.refresh(row)
    context = sealing_context(hook.id)
    assert new_only.sealer.open(row.secret_sealed, context) == b"new-secret-new-secret"
    assert row.previous_secret_sealed is not None
    assert new_only.sealer.open(row.previous_secret_sealed, context) == b"old-secret-old-secret"


async def test_a_value_no_key_of_the_ring_opens_is_reported_and_left(
    runtime: Runtime, session: AsyncSession, clock: ManualClock, portals: BackgroundPortals
) -> None:
    lost = _with(runtime, Sealer(os.urandom(32)), portals)
    keys = await create_tenant(session, "Lost Key Tenant", TenantMode.SANDBOX, clock.now())
    account_id, _ = await _link(lost, session, clock, keys.tenant_id)
    stored = await session.get(AccountCredentials, account_id)
    assert stored is not None
    sealed_before = stored.sealed

    report = await rotate(runtime.session_factory, Sealer(keys={"n": NEW}, current="n"))

    assert account_id in report.unreadable["account credentials"]
    await session.refresh(stored)
    assert stored.sealed == sealed_before
