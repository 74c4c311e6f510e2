from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from sahod.accounts import repository
from sahod.accounts.models import Account
from sahod.accounts.schemas import (
    AccountOut,
    Connection,
    ConnectionStatus,
    Monitor,
    MonitorStatus,
)
from sahod.errors import MissingResource
from sahod.kit.pagination import PageRequest
from sahod.tenants.schemas import TenantContext


def account_out(account: Account) -> AccountOut:
    connection_status = ConnectionStatus(account.connection_status)
    monitor_status = MonitorStatus(account.monitor_status)
    return AccountOut(
        id=account.id,
        created_at=account.created_at,
        provider_id=account.provider_id,
        user_id=account.user_id,
        connection_status=connection_status,
        connection=Connection(
            status=connection_status,
            error_code=account.error_code,
            error_message=account.error_message,
            updated_at=account.connection_updated_at,
        ),
        monitor_status=monitor_status,
        monitor=Monitor(status=monitor_status, updated_at=account.monitor_updated_at),
    )


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
) -> Sequence[Account]:
    return await repository.list_accounts(
        session,
        tenant.id,
        page,
        user_id=user_id,
        created_from=created_from,
        created_before=created_before,
    )
