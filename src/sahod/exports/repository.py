from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncSession

from sahod.accounts.models import Account
from sahod.accounts.schemas import ConnectionStatus
from sahod.datapoints.models import DataPoint
from sahod.datapoints.repository import tenant_select
from sahod.files.models import StoredFile


async def account_datapoints(
    session: AsyncSession, tenant_id: str, account_id: str
) -> Sequence[Row[Any]]:
    """Every data point of one account, kind by kind, oldest record first."""
    return (
        await session.execute(
            tenant_select(
                tenant_id,
                DataPoint.id,
                DataPoint.kind,
                DataPoint.payload,
                DataPoint.created_at,
                DataPoint.updated_at,
            )
            .where(DataPoint.account_id == account_id)
            .order_by(DataPoint.kind, DataPoint.effective_date.asc().nulls_first(), DataPoint.seq)
        )
    ).all()


async def revoked_accounts_export_files_across_tenants(
    session: AsyncSession, limit: int
) -> Sequence[StoredFile]:
    """Retention's cross-tenant sweep: files still held for exports of accounts that were
    revoked since (an export's file is owned by its account)."""
    return (
        (
            await session.execute(
                select(StoredFile)
                .join(
                    Account,
                    (Account.tenant_id == StoredFile.tenant_id)
                    & (Account.id == StoredFile.owner_id),
                )
                .where(
                    Account.connection_status == ConnectionStatus.DISCONNECTED,
                    StoredFile.deleted_at.is_(None),
                )
                .order_by(StoredFile.seq)
                .limit(limit)
                .with_for_update(of=StoredFile, skip_locked=True)
            )
        )
        .scalars()
        .all()
    )
