from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncSession

from sahod.datapoints.kinds import DataPointKind
from sahod.datapoints.models import DataPoint
from sahod.kit.pagination import PageRequest, keyset

# Only what the wire item needs: the list endpoints are the hottest path of the API.
_WIRE_COLUMNS = (
    DataPoint.id,
    DataPoint.seq,
    DataPoint.user_id,
    DataPoint.account_id,
    DataPoint.provider_id,
    DataPoint.payload,
    DataPoint.account_created_at,
    DataPoint.created_at,
)


@dataclass(frozen=True, slots=True)
class DataPointFilter:
    user_id: str | None = None
    source_id: str | None = None
    date_from: date | None = None
    date_to: date | None = None


async def list_datapoints(
    session: AsyncSession,
    tenant_id: str,
    kind: DataPointKind,
    page: PageRequest,
    wanted: DataPointFilter,
) -> Sequence[Row[Any]]:
    statement = select(*_WIRE_COLUMNS).where(
        DataPoint.tenant_id == tenant_id, DataPoint.kind == kind.value
    )
    if wanted.user_id is not None:
        statement = statement.where(DataPoint.user_id == wanted.user_id)
    if wanted.source_id is not None:
        statement = statement.where(DataPoint.account_id == wanted.source_id)
    if wanted.date_from is not None:
        statement = statement.where(DataPoint.effective_date >= wanted.date_from)
    if wanted.date_to is not None:
        statement = statement.where(DataPoint.effective_date <= wanted.date_to)
    return (await session.execute(keyset(statement, DataPoint.seq, page))).all()


async def get_datapoint(
    session: AsyncSession, tenant_id: str, kind: DataPointKind, datapoint_id: str
) -> Row[Any] | None:
    return (
        await session.execute(
            select(*_WIRE_COLUMNS).where(
                DataPoint.tenant_id == tenant_id,
                DataPoint.kind == kind.value,
                DataPoint.id == datapoint_id,
            )
        )
    ).first()
