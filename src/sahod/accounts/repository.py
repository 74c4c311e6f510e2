from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncSession

from sahod.accounts.models import Account
from sahod.kit.pagination import PageRequest, keyset

# What the wire item needs, as plain rows: ORM objects cost ~3x more to load, and the
# account list is read 150 at a time.
WIRE_COLUMNS: tuple[Any, ...] = (
    Account.id,
    Account.seq,
    Account.created_at,
    Account.provider_id,
    Account.user_id,
    Account.connection_status,
    Account.error_code,
    Account.error_message,
    Account.connection_updated_at,
    Account.monitor_status,
    Account.monitor_updated_at,
)


async def get_account_row(
    session: AsyncSession, tenant_id: str, account_id: str
) -> Row[Any] | None:
    return (
        await session.execute(
            select(*WIRE_COLUMNS).where(Account.tenant_id == tenant_id, Account.id == account_id)
        )
    ).first()


async def get_account(session: AsyncSession, tenant_id: str, account_id: str) -> Account | None:
    return (
        await session.execute(
            select(Account).where(Account.tenant_id == tenant_id, Account.id == account_id)
        )
    ).scalar_one_or_none()


async def list_accounts(
    session: AsyncSession,
    tenant_id: str,
    page: PageRequest,
    *,
    user_id: str | None,
    created_from: datetime | None,
    created_before: datetime | None,
) -> Sequence[Row[Any]]:
    statement = select(*WIRE_COLUMNS).where(Account.tenant_id == tenant_id)
    if user_id is not None:
        statement = statement.where(Account.user_id == user_id)
    if created_from is not None:
        statement = statement.where(Account.created_at >= created_from)
    if created_before is not None:
        statement = statement.where(Account.created_at < created_before)
    return (await session.execute(keyset(statement, Account.seq, page))).all()


async def add_account(session: AsyncSession, account: Account) -> None:
    session.add(account)
    await session.flush()
