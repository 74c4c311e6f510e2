"""The retention sweep's queries. They span tenants on purpose: the sweep is the
operator's, not a tenant's; every change it makes is then tenant-scoped by its account."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from sahod.accounts.models import Account, AccountCredentials
from sahod.accounts.schemas import ConnectionStatus
from sahod.tenants.models import Tenant


async def delete_error_credentials(session: AsyncSession, ended_before: datetime) -> int:
    """Delete the sealed credentials of accounts that ended in ERROR before the cutoff."""
    failed = select(Account.id).where(
        Account.connection_status == ConnectionStatus.ERROR,
        Account.connection_updated_at < ended_before,
    )
    result = await session.execute(
        delete(AccountCredentials).where(AccountCredentials.account_id.in_(failed))
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def expired_accounts(
    session: AsyncSession, connected_before: datetime, batch: int
) -> list[tuple[str, str]]:
    """(tenant id, account id) of up to ``batch`` accounts past the retention window whose
    tenant has no Continuous Data Sync, and that are not revoked yet; locked, skipping any
    a running job holds (the next sweep takes them)."""
    rows = await session.execute(
        select(Account.tenant_id, Account.id)
        .join(Tenant, Tenant.id == Account.tenant_id)
        .where(
            Tenant.cds_enabled.is_(False),
            Account.connection_status != ConnectionStatus.DISCONNECTED,
            Account.created_at < connected_before,
        )
        .order_by(Account.created_at)
        .limit(batch)
        .with_for_update(of=Account, skip_locked=True)
    )
    return [(row[0], row[1]) for row in rows]
