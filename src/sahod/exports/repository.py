from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from sahod.datapoints.models import DataPoint
from sahod.datapoints.repository import tenant_select


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
