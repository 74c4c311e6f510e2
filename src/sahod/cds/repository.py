from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Select, Table, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sahod.accounts.models import Account
from sahod.accounts.schemas import ConnectionStatus, MonitorStatus


def syncing_accounts_across_tenants(*columns: Any) -> Select[Any]:
    """Where the scan's queries start: the accounts that sync monthly, of EVERY tenant.
    Deliberately not tenant-scoped: the scan is Sahod's own schedule, not a tenant's
    request, and what it queues carries each account's tenant from here on. The filter
    is the partial index ix_accounts_due_sync's own."""
    return select(*columns).where(
        Account.connection_status == ConnectionStatus.CONNECTED,
        Account.monitor_status == MonitorStatus.ACTIVE,
    )


async def claim_due_across_tenants(
    session: AsyncSession, now: datetime, limit: int
) -> Sequence[Any]:
    """Up to ``limit`` accounts whose sync is due, locked for this transaction.

    Reads the partial index ix_accounts_due_sync in next_sync_at order; SKIP LOCKED lets
    several workers scan at once without waiting on each other or taking the same rows.
    """
    statement = (
        syncing_accounts_across_tenants(
            Account.id, Account.tenant_id, Account.sync_day, Account.next_sync_at
        )
        .where(Account.next_sync_at <= now)
        .order_by(Account.next_sync_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    due: Sequence[Any] = (await session.execute(statement)).all()
    return due


async def set_next_syncs(session: AsyncSession, next_syncs: list[dict[str, Any]]) -> None:
    """``[{"account_id", "next_sync_at"}]`` of accounts just claimed, in one executemany."""
    if not next_syncs:
        return
    # Core, not ORM: an executemany of one parameterised UPDATE over the claimed rows.
    accounts = cast(Table, Account.__table__)
    statement = (
        update(accounts)
        .where(accounts.c.id == bindparam("account_id"))
        .values(next_sync_at=bindparam("next_sync_at"))
    )
    await session.execute(statement, next_syncs)
