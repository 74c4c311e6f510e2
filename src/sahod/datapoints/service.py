from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from sahod.datapoints import repository
from sahod.datapoints.kinds import DataPointKind
from sahod.datapoints.repository import DataPointFilter
from sahod.errors import InvalidParameters, MissingResource
from sahod.kit.pagination import PageRequest
from sahod.tenants.schemas import TenantContext


def _iso_z(value: Any) -> str:
    return str(value.isoformat()).replace("+00:00", "Z")


def wire_item(row: Row[Any]) -> dict[str, Any]:
    """The contract item: the stored payload, its id and its metadata.

    Built as a plain dict (not a validated model): the payload was validated when it was
    stored, and this runs for every item of every page.
    """
    item: dict[str, Any] = {"id": row.id}
    item.update(row.payload)
    item["metadata"] = {
        "createdAt": _iso_z(row.account_created_at),
        "itemCreatedAt": _iso_z(row.created_at),
        "accountId": row.account_id,
        "sourceId": row.account_id,
        "sourceType": "ACCOUNT",
        "providerId": row.provider_id,
        "userId": row.user_id,
    }
    return item


def parse_month(value: str | None, field: str, *, end: bool) -> date | None:
    """``YYYY-MM`` as the first day of that month (the stored form of an eincome's month)."""
    if value is None:
        return None
    try:
        year, month = value.split("-")
        if len(year) != 4 or len(month) != 2:
            raise ValueError(value)
        return date(int(year), int(month), 1)
    except ValueError:
        raise InvalidParameters(f"{field} must be a month as YYYY-MM") from None


async def list_datapoints(
    session: AsyncSession,
    tenant: TenantContext,
    kind: DataPointKind,
    page: PageRequest,
    wanted: DataPointFilter,
) -> Sequence[Row[Any]]:
    if wanted.date_from and wanted.date_to and wanted.date_from > wanted.date_to:
        raise InvalidParameters("the start of the range must not be after its end")
    return await repository.list_datapoints(session, tenant.id, kind, page, wanted)


async def get_datapoint(
    session: AsyncSession, tenant: TenantContext, kind: DataPointKind, datapoint_id: str
) -> dict[str, Any]:
    row = await repository.get_datapoint(session, tenant.id, kind, datapoint_id)
    if row is None:
        raise MissingResource(f"There is no {kind.path[:-1]} {datapoint_id}.")
    return wire_item(row)
