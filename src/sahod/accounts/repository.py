from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Select, bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from sahod.accounts.models import Account, AccountCredentials
from sahod.accounts.schemas import ConnectionStatus
from sahod.db import CompiledRead, DriverConnection, compile_read, read_row
from sahod.kit.pagination import (
    JsonPage,
    PageRequest,
    json_page_of,
    json_page_parameters,
    keyset_json,
)


def tenant_accounts(tenant_id: str) -> Select[Account]:
    """Where every query of accounts starts: one tenant's. Jobs carry their tenant's id
    too, so not even they can reach another tenant's row."""
    return select(Account).where(Account.tenant_id == tenant_id)


def tenant_account_columns(tenant_id: str, *columns: Any) -> Select[Any]:
    """The same, for queries that read plain columns rather than whole rows."""
    return tenant_accounts(tenant_id).with_only_columns(*columns)


def _tenant_credentials(tenant_id: str) -> Select[AccountCredentials]:
    return select(AccountCredentials).where(AccountCredentials.tenant_id == tenant_id)


@cache
def _item_read() -> CompiledRead:
    return compile_read(
        tenant_account_columns(_parameter("tenant_id"), Account.wire_json).where(
            Account.id == _parameter("account_id")
        )
    )


async def get_account_json(
    connection: DriverConnection, tenant_id: str, account_id: str
) -> str | None:
    """The wire item, as the JSON PostgreSQL keeps for it."""
    row = await read_row(
        connection, _item_read(), {"tenant_id": tenant_id, "account_id": account_id}
    )
    return None if row is None else str(row[0])


@dataclass(frozen=True, slots=True)
class StepState:
    """What a pipeline step reads of an account before it talks to the portal: plain
    columns (no ORM object: the step changes nothing until it locks the row again)."""

    provider_id: str
    connection_status: ConnectionStatus
    portal_state: bytes | None
    """Sealed (``sealed.open_state``)."""
    pending_mfa_code: bytes | None
    """Sealed (``sealed.open_code``)."""
    credentials: bytes | None
    """Sealed (``sealed.open_credentials``); None once deleted."""


@cache
def _step_state_read() -> CompiledRead:
    return compile_read(
        tenant_account_columns(
            _parameter("tenant_id"),
            Account.provider_id,
            Account.connection_status,
            Account.portal_state,
            Account.pending_mfa_code,
            AccountCredentials.sealed,
        )
        .outerjoin(
            AccountCredentials,
            (AccountCredentials.account_id == Account.id)
            & (AccountCredentials.tenant_id == Account.tenant_id),
        )
        .where(Account.id == _parameter("account_id"))
    )


async def step_state(
    connection: DriverConnection, tenant_id: str, account_id: str
) -> StepState | None:
    """The account and its sealed credentials in one statement, compiled once, on the
    driver: the first read of every pipeline step."""
    row = await read_row(
        connection, _step_state_read(), {"tenant_id": tenant_id, "account_id": account_id}
    )
    if row is None:
        return None
    provider_id, status, portal_state, code, credentials = row
    return StepState(
        provider_id=provider_id,
        connection_status=ConnectionStatus(status),
        portal_state=portal_state,
        pending_mfa_code=code,
        credentials=credentials,
    )


async def get_account(session: AsyncSession, tenant_id: str, account_id: str) -> Account | None:
    return (
        await session.execute(tenant_accounts(tenant_id).where(Account.id == account_id))
    ).scalar_one_or_none()


@cache
def _json_page_read(by_user: bool, from_date: bool, before_date: bool, after: bool) -> CompiledRead:
    return compile_read(_json_page_statement(by_user, from_date, before_date, after))


def _json_page_statement(by_user: bool, from_date: bool, before_date: bool, after: bool) -> Any:
    """The page query of one shape, with the tenant, filters and page as parameters:
    built once, as building it costs more than running it."""
    statement = tenant_account_columns(_parameter("tenant_id"), Account.seq)
    if by_user:
        statement = statement.where(Account.user_id == bindparam("user_id"))
    if from_date:
        statement = statement.where(Account.created_at >= bindparam("created_from"))
    if before_date:
        statement = statement.where(Account.created_at < bindparam("created_before"))
    return keyset_json(statement, Account.seq, Account.wire_json, after=after)


def _parameter(name: str) -> Any:
    # Stands in for a value in a statement built once.
    return bindparam(name)


async def list_accounts(
    connection: DriverConnection,
    tenant_id: str,
    page: PageRequest,
    *,
    user_id: str | None,
    created_from: datetime | None,
    created_before: datetime | None,
) -> JsonPage:
    """One page of wire items, as the JSON PostgreSQL keeps for them."""
    read = _json_page_read(
        user_id is not None,
        created_from is not None,
        created_before is not None,
        page.after_seq is not None,
    )
    values = {
        "tenant_id": tenant_id,
        "user_id": user_id,
        "created_from": created_from,
        "created_before": created_before,
    }
    parameters: dict[str, Any] = {
        name: value for name, value in values.items() if value is not None
    }
    parameters.update(json_page_parameters(page))
    row = await read_row(connection, read, parameters)
    assert row is not None  # an aggregate: one row, however empty the page
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
