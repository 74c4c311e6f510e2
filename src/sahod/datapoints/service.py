from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from sahod.datapoints import repository
from sahod.datapoints.kinds import DataPointKind
from sahod.datapoints.records import FetchedRecord
from sahod.datapoints.registry import SPECS
from sahod.datapoints.repository import DataPointFilter
from sahod.db import DriverConnection
from sahod.errors import InvalidParameters, MissingResource
from sahod.kit.clock import iso_z
from sahod.kit.ids import new_id
from sahod.kit.pagination import JsonPage, PageRequest
from sahod.tenants.schemas import TenantContext

ACCOUNT_SOURCE = "ACCOUNT"
ARCHIVE_SOURCE = "ARCHIVE"


def wire_item(row: Row[Any]) -> dict[str, Any]:
    """The contract item: the stored payload, its id and its metadata.

    Built as a plain dict (not a validated model): the payload was validated when it was
    stored, and this runs for every item of every page.
    """
    item: dict[str, Any] = {"id": row.id}
    item.update(row.payload)
    metadata: dict[str, Any] = {
        "createdAt": iso_z(row.account_created_at),
        "itemCreatedAt": iso_z(row.created_at),
    }
    if row.source_type == ARCHIVE_SOURCE:
        # Read from an uploaded document: no account, so no (deprecated) accountId.
        metadata.update(sourceId=row.archive_id, sourceType=ARCHIVE_SOURCE)
    else:
        metadata.update(
            accountId=row.account_id, sourceId=row.account_id, sourceType=ACCOUNT_SOURCE
        )
    metadata.update(providerId=row.provider_id, userId=row.user_id)
    item["metadata"] = metadata
    return item


def parse_month_filter(value: str | None, field: str) -> date | None:
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
    connection: DriverConnection,
    tenant: TenantContext,
    kind: DataPointKind,
    page: PageRequest,
    wanted: DataPointFilter,
) -> JsonPage:
    if wanted.date_from and wanted.date_to and wanted.date_from > wanted.date_to:
        raise InvalidParameters("the start of the range must not be after its end")
    return await repository.list_datapoints_json(connection, tenant.id, kind, page, wanted)


async def get_datapoint_json(
    connection: DriverConnection, tenant: TenantContext, kind: DataPointKind, datapoint_id: str
) -> str:
    """The wire item (``wire_item``'s JSON, as stored) of one data point."""
    found = await repository.get_datapoint_json(connection, tenant.id, kind, datapoint_id)
    if found is None:
        raise MissingResource(f"There is no {kind.path[:-1]} {datapoint_id}.")
    return found


@dataclass(frozen=True, slots=True)
class RecordSource:
    """Where fetched records come from: what every stored row of them shares."""

    tenant_id: str
    user_id: str
    account_id: str
    provider_id: str
    account_created_at: datetime
    task_id: str


def effective_date_of(kind: DataPointKind, payload: dict[str, Any]) -> date | None:
    field = SPECS[kind].date_field
    value = payload.get(field) if field else None
    if not isinstance(value, str):
        return None
    return date.fromisoformat(value + "-01" if len(value) == 7 else value)


def validated_records(records: Iterable[FetchedRecord]) -> list[repository.NewRecord]:
    """The records' rows for the statements that store them. A record that does not fit
    its contract shape is an error of the connector's, raised before anything is stored."""
    rows = []
    for record in records:
        SPECS[record.kind].payload_model.model_validate(record.payload)
        rows.append(
            repository.NewRecord(
                id=new_id(record.kind.id_prefix),
                kind=record.kind.value,
                reference=record.reference,
                effective_date=effective_date_of(record.kind, record.payload),
                payload=record.payload,
            )
        )
    return rows


async def store_records(
    session: AsyncSession, records: Iterable[FetchedRecord], source: RecordSource, now: datetime
) -> repository.UpsertResult:
    shared = repository.SourceColumns(
        tenant_id=source.tenant_id,
        user_id=source.user_id,
        provider_id=source.provider_id,
        source_created_at=source.account_created_at,
        task_id=source.task_id,
        account_id=source.account_id,
    )
    # One statement cannot write a key twice: a record read twice is stored once, as last
    # read (what writing them one after the other left).
    latest = {(record.kind, record.reference): record for record in records}
    rows = validated_records(latest.values())
    return await repository.upsert_datapoints(session, shared, rows, now)


@dataclass(frozen=True, slots=True)
class ArchiveSource:
    """An uploaded document the records were read from (``sahod.archives``)."""

    tenant_id: str
    user_id: str
    archive_id: str
    provider_id: str
    archive_created_at: datetime
    task_id: str | None = None
    """The ANALYZE_ARCHIVE task that read them: TASK_FINISHED's includePayload finds them
    by it, as it finds an account task's."""


async def store_archive_records(
    session: AsyncSession, records: Iterable[FetchedRecord], source: ArchiveSource, now: datetime
) -> dict[str, list[str]]:
    """An archive's records, stored once (its analysis runs once): the new ids by kind.
    A record that does not fit its contract shape is refused before anything is stored."""
    shared = repository.SourceColumns(
        tenant_id=source.tenant_id,
        user_id=source.user_id,
        provider_id=source.provider_id,
        source_created_at=source.archive_created_at,
        task_id=source.task_id,
        archive_id=source.archive_id,
    )
    return await repository.insert_datapoints(session, shared, validated_records(records), now)


async def delete_archive_records(session: AsyncSession, tenant_id: str, archive_id: str) -> int:
    return await repository.delete_archive_datapoints(session, tenant_id, archive_id)


async def user_payloads(
    session: AsyncSession, tenant_id: str, user_id: str, kind: DataPointKind
) -> list[dict[str, Any]]:
    """The payloads of one kind of a user's data points (all sources), newest first."""
    return await repository.user_payloads(session, tenant_id, user_id, kind)


async def account_payload(session: AsyncSession, tenant_id: str, account_id: str) -> dict[str, Any]:
    """Every data point of one account, grouped as the contract's AccountPayload."""
    grouped: dict[str, Any] = {}
    for row in await repository.account_payload_rows(session, tenant_id, account_id):
        item = {"id": row.id, **row.payload}
        if row.kind == DataPointKind.IDENTITIES.value:
            grouped.setdefault("identity", item)  # the contract has one identity per account
        else:
            grouped.setdefault(row.kind.lower(), []).append(item)
    return grouped
