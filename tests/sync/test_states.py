"""The account's states through the real pipeline and tasks, with a fake portal and
procrastinate's in-memory queue: fast, and each step's outcome as a tenant sees it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sahod.accounts import service as accounts_service
from sahod.accounts.models import Account
from sahod.accounts.schemas import ConnectionStatus, MonitorStatus
from sahod.cds import tasks as cds_tasks
from sahod.events.models import Event
from sahod.kit.clock import ManualClock
from sahod.providers.base import ConnectorError, Credentials, ErrorCode
from sahod.runtime import Runtime
from sahod.sync import service as sync_service
from sahod.sync.pipeline import ADVANCE, MFA_DEADLINE
from sahod.tasks.models import Task
from sahod.tasks.schemas import TaskOutcome, TaskStatus, TaskType
from sahod.tenants.schemas import TenantMode
from sahod.tenants.service import create_tenant
from tests.factories import make_user
from tests.sync.fake import CODE, FakePortal, run_jobs, with_fake_portal


@pytest.fixture
def portal() -> FakePortal:
    return FakePortal()


@pytest.fixture
def fake_runtime(runtime: Runtime, portal: FakePortal) -> Runtime:
    return with_fake_portal(runtime, portal)


async def _link(session: AsyncSession, runtime: Runtime, clock: ManualClock) -> Account:
    keys = await create_tenant(session, "Fake Portal Lending", TenantMode.SANDBOX, clock.now())
    user = await make_user(session, keys.tenant_id, clock.now())
    account = await sync_service.link_account(
        session,
        tenant_id=keys.tenant_id,
        user_id=user.id,
        provider_id="sss",
        credentials=Credentials("member@sahod.test", "secret"),
        sealer=runtime.sealer,
        now=clock.now(),
    )
    await session.commit()
    return account


async def _fresh(session: AsyncSession, account: Account) -> Account:
    found = await session.get(Account, account.id, populate_existing=True)
    assert found is not None
    return found


async def _tasks(session: AsyncSession, account: Account) -> list[Task]:
    statement = select(Task).where(Task.account_id == account.id).order_by(Task.seq)
    return list(
        (await session.execute(statement.execution_options(populate_existing=True))).scalars()
    )


async def _event_types(session: AsyncSession, tenant_id: str) -> list[str]:
    statement = select(Event.type).where(Event.tenant_id == tenant_id).order_by(Event.seq)
    return list((await session.execute(statement)).scalars())


async def test_a_code_then_a_wrong_code_then_the_right_one_connects(
    fake_runtime: Runtime, session: AsyncSession, clock: ManualClock, portal: FakePortal
) -> None:
    portal.asks_code = True
    account = await _link(session, fake_runtime, clock)
    assert await run_jobs(session, fake_runtime) == [ADVANCE]
    account = await _fresh(session, account)
    assert account.connection_status is ConnectionStatus.AWAITING_MFA
    assert account.mfa_deadline is not None

    await sync_service.submit_mfa_code(session, account, "000000", fake_runtime.sealer)
    await session.commit()
    await run_jobs(session, fake_runtime)
    account = await _fresh(session, account)
    assert account.connection_status is ConnectionStatus.AWAITING_MFA
    assert account.error_code is ErrorCode.INVALID_MFA

    await sync_service.submit_mfa_code(session, account, CODE, fake_runtime.sealer)
    await session.commit()
    await run_jobs(session, fake_runtime)
    account = await _fresh(session, account)
    assert account.connection_status is ConnectionStatus.CONNECTED
    assert account.error_code is None and account.mfa_deadline is None
    assert account.monitor_status is MonitorStatus.ACTIVE
    assert account.sync_day is not None and account.next_sync_at is not None
    [task] = await _tasks(session, account)
    assert (task.type, task.status, task.outcome) == (
        TaskType.LINK_ACCOUNT,
        TaskStatus.FINISHED,
        TaskOutcome.SUCCEEDED,
    )
    assert task.account_created_at == account.created_at
    assert await _event_types(session, account.tenant_id) == [
        "TASK_STARTED",
        "ACCOUNT_CREATED",
        "ACCOUNT_CONNECTED",
        "TASK_FINISHED",
    ]


async def test_no_code_by_the_deadline_ends_in_mfa_timeout(
    fake_runtime: Runtime, session: AsyncSession, clock: ManualClock, portal: FakePortal
) -> None:
    portal.asks_code = True
    account = await _link(session, fake_runtime, clock)
    await run_jobs(session, fake_runtime)
    clock.advance(timedelta(seconds=fake_runtime.settings.mfa_timeout_seconds + 2))
    assert await run_jobs(session, fake_runtime) == [MFA_DEADLINE]
    account = await _fresh(session, account)
    assert account.connection_status is ConnectionStatus.ERROR
    assert account.error_code is ErrorCode.MFA_TIMEOUT
    [task] = await _tasks(session, account)
    assert task.outcome is TaskOutcome.FAILED and task.error_code == ErrorCode.MFA_TIMEOUT


async def test_wrong_credentials_end_in_error_and_a_failed_task(
    fake_runtime: Runtime, session: AsyncSession, clock: ManualClock, portal: FakePortal
) -> None:
    portal.login_error = ConnectorError(ErrorCode.INVALID_CREDENTIALS)
    account = await _link(session, fake_runtime, clock)
    await run_jobs(session, fake_runtime)
    account = await _fresh(session, account)
    assert account.connection_status is ConnectionStatus.ERROR
    assert account.error_code is ErrorCode.INVALID_CREDENTIALS
    [task] = await _tasks(session, account)
    assert task.outcome is TaskOutcome.FAILED
    assert "ACCOUNT_FAILED" in await _event_types(session, account.tenant_id)


async def test_a_revoke_while_a_code_is_awaited_wins_over_the_code(
    fake_runtime: Runtime, session: AsyncSession, clock: ManualClock, portal: FakePortal
) -> None:
    portal.asks_code = True
    account = await _link(session, fake_runtime, clock)
    await run_jobs(session, fake_runtime)
    account = await _fresh(session, account)
    await sync_service.submit_mfa_code(session, account, CODE, fake_runtime.sealer)
    await accounts_service.revoke(
        session,
        account,
        clock.now(),
        extras=fake_runtime.extras,
        settings=fake_runtime.settings,
    )
    await session.commit()
    await run_jobs(session, fake_runtime)  # the code's job finds the account revoked
    account = await _fresh(session, account)
    assert account.connection_status is ConnectionStatus.DISCONNECTED
    assert account.portal_state is None and account.pending_mfa_code is None
    [task] = await _tasks(session, account)
    assert task.outcome is TaskOutcome.CANCELLED


async def test_a_monthly_sync_the_member_must_fix_waits_for_them(
    fake_runtime: Runtime, session: AsyncSession, clock: ManualClock, portal: FakePortal
) -> None:
    account = await _link(session, fake_runtime, clock)
    await run_jobs(session, fake_runtime)
    account = await _fresh(session, account)
    assert account.connection_status is ConnectionStatus.CONNECTED
    assert account.next_sync_at is not None

    clock.set(account.next_sync_at + timedelta(minutes=1))
    portal.fetch_error = ConnectorError(ErrorCode.ACCOUNT_LOCKED, user_action_required=True)
    portal.login_error = ConnectorError(ErrorCode.ACCOUNT_LOCKED, user_action_required=True)
    assert await cds_tasks.scan_due_accounts(fake_runtime, clock.now()) == 1
    await session.commit()
    await run_jobs(session, fake_runtime)
    account = await _fresh(session, account)
    assert account.connection_status is ConnectionStatus.CONNECTED  # its data stay
    assert account.monitor_status is MonitorStatus.USER_ACTION_REQUIRED
    sync = (await _tasks(session, account))[-1]
    assert (sync.type, sync.outcome) == (TaskType.UPDATE_ACCOUNT, TaskOutcome.FAILED)
    assert (await _event_types(session, account.tenant_id))[-1] == "ACCOUNT_SYNC_TASK_FINISHED"
