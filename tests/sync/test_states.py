"""The account's states through the real pipeline and tasks, with a fake portal and
procrastinate's in-memory queue: fast, and each step's outcome as a tenant sees it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sahod.accounts import service as accounts_service
from sahod.accounts.models import Account
from sahod.accounts.schemas import ConnectionStatus, MonitorStatus
from sahod.cds import tasks as cds_tasks
from sahod.datapoints.kinds import DataPointKind
from sahod.datapoints.models import DataPoint
from sahod.datapoints.records import FetchedRecord
from sahod.events.models import Event
from sahod.kit.clock import ManualClock
from sahod.providers.base import ConnectorError, Credentials, ErrorCode
from sahod.runtime import Runtime
from sahod.sync import service as sync_service
from sahod.sync.pipeline import ADVANCE, MFA_DEADLINE
from sahod.tasks import lifecycle as tasks_lifecycle
from sahod.tasks.models import Task
from sahod.tasks.schemas import TaskOutcome, TaskStatus, TaskType
from sahod.tenants.schemas import TenantMode
from sahod.tenants.service import create_tenant
from tests.factories import SAMPLE_PAYLOADS, make_user
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


async def _datapoint_count(session: AsyncSession, account: Account) -> int:
    statement = select(func.count()).where(DataPoint.account_id == account.id)
    return int((await session.execute(statement)).scalar_one())


async def test_a_revoke_while_the_portal_is_read_wins_over_what_it_read(
    fake_runtime: Runtime, session: AsyncSession, clock: ManualClock, portal: FakePortal
) -> None:
    kind = DataPointKind.LIABILITIES
    portal.records = [FetchedRecord(kind, "loan-1", dict(SAMPLE_PAYLOADS[kind]))]
    account = await _link(session, fake_runtime, clock)

    async def revoke() -> None:
        found = await _fresh(session, account)
        await accounts_service.revoke(
            session, found, clock.now(), extras=fake_runtime.extras, settings=fake_runtime.settings
        )
        await session.commit()

    portal.while_fetching = revoke
    await run_jobs(session, fake_runtime)
    account = await _fresh(session, account)
    assert account.connection_status is ConnectionStatus.DISCONNECTED
    assert await _datapoint_count(session, account) == 0
    [task] = await _tasks(session, account)
    assert task.outcome is TaskOutcome.CANCELLED
    events = await _event_types(session, account.tenant_id)
    assert "LIABILITIES_ADDED" not in events and "TASK_FINISHED" not in events


async def test_a_task_ended_while_the_portal_is_read_stores_nothing(
    fake_runtime: Runtime, session: AsyncSession, clock: ManualClock, portal: FakePortal
) -> None:
    kind = DataPointKind.LIABILITIES
    portal.records = [FetchedRecord(kind, "loan-1", dict(SAMPLE_PAYLOADS[kind]))]
    account = await _link(session, fake_runtime, clock)

    async def cancel() -> None:  # as a new sign-in does to the task it replaces
        await tasks_lifecycle.cancel_open_tasks(session, account.tenant_id, account.id, clock.now())
        await session.commit()

    portal.while_fetching = cancel
    await run_jobs(session, fake_runtime)
    account = await _fresh(session, account)
    assert account.connection_status is ConnectionStatus.CONNECTED
    assert await _datapoint_count(session, account) == 0
    [task] = await _tasks(session, account)
    assert task.outcome is TaskOutcome.CANCELLED
    events = await _event_types(session, account.tenant_id)
    assert "LIABILITIES_ADDED" not in events and "TASK_FINISHED" not in events


async def test_a_link_stores_what_it_read_and_says_so_once(
    fake_runtime: Runtime, session: AsyncSession, clock: ManualClock, portal: FakePortal
) -> None:
    kind = DataPointKind.LIABILITIES
    portal.records = [FetchedRecord(kind, "loan-1", dict(SAMPLE_PAYLOADS[kind]))]
    account = await _link(session, fake_runtime, clock)
    await run_jobs(session, fake_runtime)
    assert await _datapoint_count(session, account) == 1
    [task] = await _tasks(session, account)
    assert (task.outcome, task.datapoints) == (TaskOutcome.SUCCEEDED, [kind.value])
    events = await _event_types(session, account.tenant_id)
    assert events[-3:] == ["ACCOUNT_CONNECTED", "LIABILITIES_ADDED", "TASK_FINISHED"]
