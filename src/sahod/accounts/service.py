from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from sahod.accounts import repository
from sahod.accounts.events import account_event, task_event
from sahod.accounts.models import Account, AccountCredentials
from sahod.accounts.schemas import ConnectionStatus, MonitorStatus
from sahod.accounts.sealed import seal_code, seal_credentials
from sahod.datapoints import repository as datapoints_repository
from sahod.errors import InvalidParameters, MissingResource
from sahod.events.service import emit
from sahod.kit.clock import iso_z
from sahod.kit.crypto import Sealer
from sahod.kit.ids import ACCOUNT, TASK, new_id
from sahod.kit.jobs import defer
from sahod.kit.pagination import PageRequest
from sahod.providers.base import Credentials
from sahod.providers.catalog import PROVIDERS_BY_ID
from sahod.sync import names
from sahod.tasks import repository as tasks_repository
from sahod.tasks.models import Task
from sahod.tasks.schemas import TaskOutcome, TaskStatus, TaskType
from sahod.tenants.schemas import TenantContext
from sahod.users import repository as users_repository


def account_wire(row: Row[Any] | Account) -> dict[str, Any]:
    """The contract's Account object (schemas.AccountOut), built as a plain dict: the
    list endpoint renders up to 150 at a time and validating each would triple its cost."""
    return {
        "id": row.id,
        "createdAt": iso_z(row.created_at),
        "providerId": row.provider_id,
        "userId": row.user_id,
        "connectionStatus": row.connection_status,
        "connection": {
            "status": row.connection_status,
            "errorCode": row.error_code,
            "errorMessage": row.error_message,
            "updatedAt": iso_z(row.connection_updated_at),
        },
        "monitorStatus": row.monitor_status,
        "monitor": {"status": row.monitor_status, "updatedAt": iso_z(row.monitor_updated_at)},
    }


async def get_account_wire(
    session: AsyncSession, tenant: TenantContext, account_id: str
) -> dict[str, Any]:
    row = await repository.get_account_row(session, tenant.id, account_id)
    if row is None:
        raise MissingResource(f"There is no account {account_id}.")
    return account_wire(row)


async def get_account(session: AsyncSession, tenant: TenantContext, account_id: str) -> Account:
    account = await repository.get_account(session, tenant.id, account_id)
    if account is None:
        raise MissingResource(f"There is no account {account_id}.")
    return account


async def list_accounts(
    session: AsyncSession,
    tenant: TenantContext,
    page: PageRequest,
    *,
    user_id: str | None,
    created_from: datetime | None,
    created_before: datetime | None,
) -> Sequence[Row[Any]]:
    return await repository.list_accounts(
        session,
        tenant.id,
        page,
        user_id=user_id,
        created_from=created_from,
        created_before=created_before,
    )


# --- The write side: linking, one-time codes, revoke ------------------------------------


async def link_account(
    session: AsyncSession,
    *,
    tenant_id: str,
    user_id: str,
    provider_id: str,
    credentials: Credentials,
    sealer: Sealer,
    now: datetime,
) -> Account:
    """A new account in PENDING, with its sealed credentials, its LINK_ACCOUNT task, the job
    that will log in, and ACCOUNT_CREATED: one transaction, so none exists without the rest."""
    provider = PROVIDERS_BY_ID.get(provider_id)
    if provider is None or not provider.enabled:
        raise InvalidParameters(f"providerId {provider_id!r} is not a provider of Sahod")
    account = Account(
        id=new_id(ACCOUNT),
        tenant_id=tenant_id,
        user_id=user_id,
        provider_id=provider_id,
        login_name=credentials.username,
        created_at=now,
        connection_status=ConnectionStatus.PENDING.value,
        connection_updated_at=now,
        monitor_status=MonitorStatus.UNSUPPORTED.value,
        monitor_updated_at=None,
    )
    await repository.add_account(session, account)
    await repository.add_credentials(
        session,
        AccountCredentials(
            account_id=account.id,
            tenant_id=tenant_id,
            sealed=seal_credentials(sealer, account.id, credentials),
            created_at=now,
            updated_at=now,
        ),
    )
    task = await start_task(session, account, TaskType.LINK_ACCOUNT, now)
    await emit(session, tenant_id, "ACCOUNT_CREATED", account_event(account), now)
    await defer(session, names.ADVANCE, lock=account.id, account_id=account.id, task_id=task.id)
    return account


async def start_task(
    session: AsyncSession, account: Account, task_type: TaskType, now: datetime
) -> Task:
    task = Task(
        id=new_id(TASK),
        tenant_id=account.tenant_id,
        user_id=account.user_id,
        account_id=account.id,
        provider_id=account.provider_id,
        type=task_type.value,
        status=TaskStatus.STARTED.value,
        datapoints=[],
        started_at=now,
    )
    await tasks_repository.add_task(session, task)
    await emit(
        session,
        account.tenant_id,
        "TASK_STARTED",
        task_event(account, task.id, type=task_type.value),
        now,
    )
    return task


async def submit_mfa_code(
    session: AsyncSession, account: Account, code: str, sealer: Sealer, now: datetime
) -> Account:
    """Keep the code sealed until the worker hands it to the portal."""
    code = code.strip()
    if not code or len(code) > 20:
        raise InvalidParameters("code must be 1 to 20 characters")
    locked = await repository.lock_account(session, account.id)
    if locked is None or locked.connection_status != ConnectionStatus.AWAITING_MFA.value:
        raise InvalidParameters("This account is not waiting for a one-time code.")
    locked.pending_mfa_code = seal_code(sealer, locked.id, code)
    task_id = await tasks_repository.open_task_id(session, locked.id)
    await defer(session, names.ADVANCE, lock=locked.id, account_id=locked.id, task_id=task_id)
    return locked


async def revoke(session: AsyncSession, account: Account, now: datetime) -> None:
    """The user's data and credentials go, in one transaction with the status change.

    The row lock orders this against any running job: a job that writes after this commit
    finds the account DISCONNECTED and writes nothing.
    """
    locked = await repository.lock_account(session, account.id)
    if locked is None or locked.connection_status == ConnectionStatus.DISCONNECTED.value:
        return
    await datapoints_repository.delete_account_datapoints(session, locked.tenant_id, locked.id)
    await repository.delete_credentials(session, locked.id)
    locked.portal_state = None
    locked.pending_mfa_code = None
    locked.mfa_deadline = None
    locked.connection_status = ConnectionStatus.DISCONNECTED.value
    locked.error_code = None
    locked.error_message = None
    locked.connection_updated_at = now
    await tasks_repository.close_open_tasks(session, locked.id, TaskOutcome.CANCELLED.value, now)
    await emit(session, locked.tenant_id, "ACCOUNT_DISCONNECTED", account_event(locked), now)


async def revoke_user_accounts(
    session: AsyncSession, tenant: TenantContext, user_id: str, now: datetime
) -> int:
    if not await users_repository.user_exists(session, tenant.id, user_id):
        raise MissingResource(f"There is no user {user_id}.")
    accounts = await repository.lock_user_accounts(session, tenant.id, user_id)
    for account in accounts:
        await revoke(session, account, now)
    return len(accounts)


async def disable_monitor(session: AsyncSession, account: Account, now: datetime) -> None:
    locked = await repository.lock_account(session, account.id)
    if locked is None or locked.monitor_status == MonitorStatus.CUSTOMER_DISABLED.value:
        return
    locked.monitor_status = MonitorStatus.CUSTOMER_DISABLED.value
    locked.monitor_updated_at = now


async def reauthorize(
    session: AsyncSession,
    account: Account,
    credentials: Credentials,
    sealer: Sealer,
    now: datetime,
) -> Account:
    """The user signs in again (new password, unlocked account): same account, new
    credentials, and a sync that returns the monitor to ACTIVE once it connects."""
    locked = await repository.lock_account(session, account.id)
    if locked is None or not (
        locked.monitor_status == MonitorStatus.USER_ACTION_REQUIRED.value
        or locked.connection_status == ConnectionStatus.ERROR.value
    ):
        raise InvalidParameters("This account does not need to be reconnected.")
    stored = await repository.get_credentials(session, locked.id)
    sealed = seal_credentials(sealer, locked.id, credentials)
    if stored is None:
        await repository.add_credentials(
            session,
            AccountCredentials(
                account_id=locked.id,
                tenant_id=locked.tenant_id,
                sealed=sealed,
                created_at=now,
                updated_at=now,
            ),
        )
    else:
        stored.sealed = sealed
        stored.updated_at = now
    locked.connection_status = ConnectionStatus.PENDING.value
    locked.connection_updated_at = now
    locked.error_code = None
    locked.error_message = None
    locked.login_name = credentials.username
    await tasks_repository.close_open_tasks(session, locked.id, TaskOutcome.CANCELLED.value, now)
    task = await start_task(session, locked, TaskType.UPDATE_ACCOUNT, now)
    await defer(session, names.ADVANCE, lock=locked.id, account_id=locked.id, task_id=task.id)
    return locked
