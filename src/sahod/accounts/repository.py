from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from sahod.accounts.models import Account, AccountCredentials
from sahod.kit.pagination import JsonPage, PageRequest, json_page_of, keyset_json


def tenant_accounts(tenant_id: str) -> Select[Account]:
    """Where every query of accounts starts: one tenant's. Jobs carry their tenant's id
    too, so not even they can reach another tenant's row."""
    return select(Account).where(Account.tenant_id == tenant_id)


def tenant_account_columns(tenant_id: str, *columns: Any) -> Select[Any]:
    """The same, for queries that read plain columns rather than whole rows."""
    return tenant_accounts(tenant_id).with_only_columns(*columns)


def _tenant_credentials(tenant_id: str) -> Select[AccountCredentials]:
    return select(AccountCredentials).where(AccountCredentials.tenant_id == tenant_id)


async def get_account_json(session: AsyncSession, tenant_id: str, account_id: str) -> str | None:
    """The wire item, as the JSON PostgreSQL keeps for it."""
    found: str | None = (
        await session.execute(
            tenant_account_columns(tenant_id, Account.wire_json).where(Account.id == account_id)
        )
    ).scalar_one_or_none()
    return found


async def get_account(session: AsyncSession, tenant_id: str, account_id: str) -> Account | None:
    return (
        await session.execute(tenant_accounts(tenant_id).where(Account.id == account_id))
    ).scalar_one_or_none()


async def list_accounts(
    session: AsyncSession,
    tenant_id: str,
    page: PageRequest,
    *,
    user_id: str | None,
    created_from: datetime | None,
    created_before: datetime | None,
) -> JsonPage:
    """One page of wire items, as the JSON PostgreSQL keeps for them."""
    statement = tenant_account_columns(tenant_id, Account.seq)
    if user_id is not None:
        statement = statement.where(Account.user_id == user_id)
    if created_from is not None:
        statement = statement.where(Account.created_at >= created_from)
    if created_before is not None:
        statement = statement.where(Account.created_at < created_before)
    row = (
        await session.execute(keyset_json(statement, Account.seq, Account.wire_json, page))
    ).one()
    return json_page_of(row, page)


async def add_account(session: AsyncSession, account: Account) -> None:
    session.add(account)
    await session.flush()


async def lock_account(session: AsyncSession, tenant_id: str, account_id: str) -> Account | None:
    """The account row, locked until the transaction ends: every state change of the
    pipeline and the revoke go through this lock, so a revoke cannot interleave."""
    return (
        await session.execute(
            tenant_accounts(tenant_id).where(Account.id == account_id).with_for_update()
        )
    ).scalar_one_or_none()


async def lock_user_accounts(session: AsyncSession, tenant_id: str, user_id: str) -> list[Account]:
    return list(
        (
            await session.execute(
                tenant_accounts(tenant_id)
                .where(Account.user_id == user_id)
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
                tenant_accounts(tenant_id)
                .where(Account.user_id == user_id)
                .order_by(Account.seq.desc())
            )
        )
        .scalars()
        .all()
    )


async def add_credentials(session: AsyncSession, credentials: AccountCredentials) -> None:
    session.add(credentials)
    await session.flush()


async def get_credentials(
    session: AsyncSession, tenant_id: str, account_id: str
) -> AccountCredentials | None:
    return (
        await session.execute(
            _tenant_credentials(tenant_id).where(AccountCredentials.account_id == account_id)
        )
    ).scalar_one_or_none()


async def delete_credentials(session: AsyncSession, tenant_id: str, account_id: str) -> None:
    await session.execute(
        delete(AccountCredentials).where(
            AccountCredentials.tenant_id == tenant_id, AccountCredentials.account_id == account_id
        )
    )
