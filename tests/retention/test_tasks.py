"""The retention sweep: failed accounts' credentials go after a day; without Continuous
Data Sync an account is revoked 60 days after it connected, as a user revoke would be."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sahod.accounts.models import Account, AccountCredentials
from sahod.accounts.schemas import ConnectionStatus
from sahod.accounts.sealed import seal_credentials
from sahod.datapoints.kinds import DataPointKind
from sahod.datapoints.models import DataPoint
from sahod.events.models import Event
from sahod.kit.clock import ManualClock
from sahod.providers.base import Credentials
from sahod.retention.tasks import sweep_now
from sahod.runtime import Runtime
from sahod.sync.pipeline import Pipeline
from sahod.tenants.schemas import TenantMode
from sahod.tenants.service import create_tenant
from tests.factories import (
    link_and_commit,
    make_account,
    make_datapoint,
    make_user,
    seed_connected_user,
)
from tests.sync.fake import FakePortal, with_fake_portal


async def _with_credentials(session: AsyncSession, runtime: Runtime, account: Account) -> None:
    session.add(
        AccountCredentials(
            account_id=account.id,
            tenant_id=account.tenant_id,
            sealed=seal_credentials(runtime.sealer, account.id, Credentials("u", "p")),
            created_at=account.created_at,
            updated_at=account.created_at,
        )
    )
    await session.flush()


async def _has_credentials(session: AsyncSession, account: Account) -> bool:
    return await session.get(AccountCredentials, account.id, populate_existing=True) is not None


async def test_credentials_of_accounts_that_ended_in_error_are_deleted_after_the_window(
    runtime: Runtime, session: AsyncSession, clock: ManualClock
) -> None:
    keys = await create_tenant(session, "Retention Tenant", TenantMode.SANDBOX, clock.now())
    user = await make_user(session, keys.tenant_id, clock.now() - timedelta(days=3))
    now = clock.now()
    failed_long_ago = await make_account(session, user, now - timedelta(hours=25), status="ERROR")
    failed_just_now = await make_account(session, user, now - timedelta(hours=23), status="ERROR")
    connected = await make_account(session, user, now - timedelta(days=2))
    for account in (failed_long_ago, failed_just_now, connected):
        await _with_credentials(session, runtime, account)
    await session.commit()

    forgotten, _ = await sweep_now(runtime)

    assert forgotten >= 1
    assert not await _has_credentials(session, failed_long_ago)
    assert await _has_credentials(session, failed_just_now)
    assert await _has_credentials(session, connected)

    clock.advance(timedelta(hours=2))
    await sweep_now(runtime)
    assert not await _has_credentials(session, failed_just_now)


async def test_without_cds_an_account_is_revoked_60_days_after_it_connected(
    runtime: Runtime, session: AsyncSession, clock: ManualClock
) -> None:
    now = clock.now()
    without = await create_tenant(
        session, "No CDS Tenant", TenantMode.SANDBOX, now, cds_enabled=False
    )
    with_cds = await create_tenant(session, "CDS Tenant", TenantMode.SANDBOX, now)
    _, expired, _ = await seed_connected_user(session, without.tenant_id, now - timedelta(days=60))
    _, kept_by_cds, _ = await seed_connected_user(
        session, with_cds.tenant_id, now - timedelta(days=60)
    )
    user = await make_user(session, without.tenant_id, now - timedelta(days=59))
    recent = await make_account(session, user, now - timedelta(days=59))
    await make_datapoint(session, recent, DataPointKind.IDENTITIES, now)
    await session.commit()
    events_before = int(
        (await session.execute(select(func.count()).select_from(Event))).scalar_one()
    )

    _, revoked = await sweep_now(runtime)

    assert revoked == 1
    for account, status in (
        (expired, ConnectionStatus.DISCONNECTED),
        (kept_by_cds, ConnectionStatus.CONNECTED),
        (recent, ConnectionStatus.CONNECTED),
    ):
        await session.refresh(account)
        assert account.connection_status == status, account.id

    def points(account: Account) -> object:
        return select(func.count()).where(DataPoint.account_id == account.id)

    assert (await session.execute(points(expired))).scalar_one() == 0
    assert (await session.execute(points(kept_by_cds))).scalar_one() > 0
    new_events = (
        await session.execute(
            select(Event.type, Event.tenant_id).order_by(Event.seq).offset(events_before)
        )
    ).all()
    assert ("ACCOUNT_DISCONNECTED", without.tenant_id) in [tuple(e) for e in new_events]

    again = await sweep_now(runtime)
    assert again == (0, 0)


async def test_a_tenant_without_cds_gets_unsupported_monitors_and_no_monthly_syncs(
    runtime: Runtime, session: AsyncSession, clock: ManualClock
) -> None:
    faked = with_fake_portal(runtime, FakePortal())
    for cds, monitor in ((False, "UNSUPPORTED"), (True, "ACTIVE")):
        keys = await create_tenant(
            session, f"CDS {cds}", TenantMode.SANDBOX, clock.now(), cds_enabled=cds
        )
        user = await make_user(session, keys.tenant_id, clock.now())
        account, task_id = await link_and_commit(
            session,
            tenant_id=keys.tenant_id,
            user_id=user.id,
            provider_id="sss",
            credentials=Credentials("nomfa@sahod.test", "sandbox1"),
            sealer=runtime.sealer,
            now=clock.now(),
        )
        await Pipeline(faked, keys.tenant_id).advance(account.id, task_id)
        await session.refresh(account)
        assert account.connection_status == ConnectionStatus.CONNECTED
        assert account.monitor_status.value == monitor
        assert (account.next_sync_at is None) is (not cds)
