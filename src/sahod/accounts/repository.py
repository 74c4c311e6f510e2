from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from sahod.accounts.models import Account, AccountCredentials
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


async def lock_account(session: AsyncSession, account_id: str) -> Account | None:
    """The account row, locked until the transaction ends: every state change of the
    pipeline and the revoke go through this lock, so a revoke cannot interleave."""
    return (
        await session.execute(select(Account).where(Account.id == account_id).with_for_update())
    ).scalar_one_or_none()


async def lock_user_accounts(session: AsyncSession, tenant_id: str, user_id: str) -> list[Account]:
    return list(
        (
            await session.execute(
                select(Account)
                .where(Account.tenant_id == tenant_id, Account.user_id == user_id)
                .order_by(Account.seq)
                .with_for_update()
            )
        ).scalars()
    )


async def list_user_accounts(
    session: AsyncSession, tenant_id: str, user_id: str
) -> Sequence[Account]:
    return (
        (
            await session.execute(
                select(Account)
                .where(Account.tenant_id == tenant_id, Account.user_id == user_id)
                .order_by(Account.seq.desc())
            )
        )
        .scalars()
        .all()
    )


async def add_credentials(session: AsyncSession, credentials: AccountCredentials) -> None:
    session.add(credentials)
    await session.flush()


async def get_credentials(session: AsyncSession, account_id: str) -> AccountCredentials | None:
    return await session.get(AccountCredentials, account_id)


async def delete_credentials(session: AsyncSession, account_id: str) -> None:
    await session.execute(
        delete(AccountCredentials).where(AccountCredentials.account_id == account_id)
    )


async def get_account_by_id(session: AsyncSession, account_id: str) -> Account | None:
    """For the pipeline's jobs only: the id comes from our own job, never from a tenant."""
    return await session.get(Account, account_id)
