from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from sahod.accounts import repository
from sahod.accounts.models import Account
from sahod.errors import MissingResource
from sahod.kit.pagination import PageRequest
from sahod.tenants.schemas import TenantContext


def _iso_z(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat().replace("+00:00", "Z")


def account_wire(row: Row[Any] | Account) -> dict[str, Any]:
    """The contract's Account object (schemas.AccountOut), built as a plain dict: the
    list endpoint renders up to 150 at a time and validating each would triple its cost."""
    return {
        "id": row.id,
        "createdAt": _iso_z(row.created_at),
        "providerId": row.provider_id,
        "userId": row.user_id,
        "connectionStatus": row.connection_status,
        "connection": {
            "status": row.connection_status,
            "errorCode": row.error_code,
            "errorMessage": row.error_message,
            "updatedAt": _iso_z(row.connection_updated_at),
        },
        "monitorStatus": row.monitor_status,
        "monitor": {"status": row.monitor_status, "updatedAt": _iso_z(row.monitor_updated_at)},
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
