from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any

import orjson
from sqlalchemy import Delete, Row, Select, bindparam, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sahod.datapoints.kinds import DataPointKind
from sahod.datapoints.models import DataPoint
from sahod.db import (
    CompiledRead,
    DriverConnection,
    compile_read,
    driver_connection_of,
    read_row,
)
from sahod.kit.pagination import (
    JsonPage,
    PageRequest,
    json_page_of,
    json_page_parameters,
    keyset,
    keyset_json,
)

# Only what the wire item needs: the list endpoints are the hottest path of the API.
_WIRE_COLUMNS = (
    DataPoint.id,
    DataPoint.seq,
    DataPoint.user_id,
    DataPoint.account_id,
    DataPoint.archive_id,
    DataPoint.source_type,
    DataPoint.provider_id,
    DataPoint.payload,
    DataPoint.account_created_at,
    DataPoint.created_at,
)


def tenant_select(tenant_id: str, *columns: Any) -> Select[*tuple[Any, ...]]:
    """The statement every tenant-facing read starts from: only ``tenant_id``'s rows."""
    return select(*columns).where(DataPoint.tenant_id == tenant_id)


def tenant_delete(tenant_id: str) -> Delete:
    """The statement every tenant-facing delete starts from: only ``tenant_id``'s rows."""
    return delete(DataPoint).where(DataPoint.tenant_id == tenant_id)


ARCHIVE_ID_PREFIX = "u-"
"""Archive ids (Smile's ``u-…``): a ``sourceId`` filter with it compares the archive."""


@dataclass(frozen=True, slots=True)
class DataPointFilter:
    user_id: str | None = None
    source_id: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    source_is_archive: bool = False
    """Set by ``of_source``: whether ``source_id`` names an archive rather than an account."""


def of_source(
    user_id: str | None, source_id: str | None, date_from: date | None, date_to: date | None
) -> DataPointFilter:
    return DataPointFilter(
        user_id=user_id,
        source_id=source_id,
        date_from=date_from,
        date_to=date_to,
        source_is_archive=bool(source_id and source_id.startswith(ARCHIVE_ID_PREFIX)),
    )


def _listed(
    tenant_id: str, kind: DataPointKind, wanted: DataPointFilter, *columns: Any
) -> Select[*tuple[Any, ...]]:
    statement = tenant_select(tenant_id, *columns).where(DataPoint.kind == kind.value)
    if wanted.user_id is not None:
        statement = statement.where(DataPoint.user_id == wanted.user_id)
    if wanted.source_id is not None:
        source = DataPoint.archive_id if wanted.source_is_archive else DataPoint.account_id
        statement = statement.where(source == wanted.source_id)
    if wanted.date_from is not None:
        statement = statement.where(DataPoint.effective_date >= wanted.date_from)
    if wanted.date_to is not None:
        statement = statement.where(DataPoint.effective_date <= wanted.date_to)
    return statement


async def list_datapoints(
    session: AsyncSession,
    tenant_id: str,
    kind: DataPointKind,
    page: PageRequest,
    wanted: DataPointFilter,
) -> Sequence[Row[Any]]:
    statement = _listed(tenant_id, kind, wanted, *_WIRE_COLUMNS)
    return (await session.execute(keyset(statement, DataPoint.seq, page))).all()


async def get_datapoint(
    session: AsyncSession, tenant_id: str, kind: DataPointKind, datapoint_id: str
) -> Row[Any] | None:
    return (
        await session.execute(
            tenant_select(tenant_id, *_WIRE_COLUMNS).where(
                DataPoint.kind == kind.value, DataPoint.id == datapoint_id
            )
        )
    ).first()


def _parameter(name: str) -> Any:
    # Stands in for a value in a statement built once (see _json_page_statement).
    return bindparam(name)


@cache
def _json_page_read(
    kind: DataPointKind,
    by_user: bool,
    by_source: bool,
    by_archive: bool,
    from_date: bool,
    to_date: bool,
    after: bool,
) -> CompiledRead:
    return compile_read(
        _json_page_statement(kind, by_user, by_source, by_archive, from_date, to_date, after)
    )


def _json_page_statement(
    kind: DataPointKind,
    by_user: bool,
    by_source: bool,
    by_archive: bool,
    from_date: bool,
    to_date: bool,
    after: bool,
) -> Select[Any]:
    """The page query of one shape, with the tenant, filters and page as parameters."""
    wanted = DataPointFilter(
        user_id=_parameter("user_id") if by_user else None,
        source_id=_parameter("source_id") if by_source else None,
        date_from=_parameter("date_from") if from_date else None,
        date_to=_parameter("date_to") if to_date else None,
        source_is_archive=by_archive,
    )
    statement = _listed(_parameter("tenant_id"), kind, wanted, DataPoint.seq)
    return keyset_json(statement, DataPoint.seq, DataPoint.wire_json, after=after)


async def list_datapoints_json(
    connection: DriverConnection,
    tenant_id: str,
    kind: DataPointKind,
    page: PageRequest,
    wanted: DataPointFilter,
) -> JsonPage:
    """One page of wire items, as the JSON PostgreSQL keeps for them."""
    read = _json_page_read(
        kind,
        wanted.user_id is not None,
        wanted.source_id is not None,
        wanted.source_is_archive,
        wanted.date_from is not None,
        wanted.date_to is not None,
        page.after_seq is not None,
    )
    values = {
        "tenant_id": tenant_id,
        "user_id": wanted.user_id,
        "source_id": wanted.source_id,
        "date_from": wanted.date_from,
        "date_to": wanted.date_to,
    }
    parameters: dict[str, Any] = {
        name: value for name, value in values.items() if value is not None
    }
    parameters.update(json_page_parameters(page))
    row = await read_row(connection, read, parameters)
    assert row is not None  # an aggregate: one row, however empty the page
    return json_page_of(row, page)


@cache
def _item_read(kind: DataPointKind) -> CompiledRead:
    return compile_read(
        tenant_select(_parameter("tenant_id"), DataPoint.wire_json).where(
            DataPoint.kind == kind.value, DataPoint.id == _parameter("datapoint_id")
        )
    )


async def get_datapoint_json(
    connection: DriverConnection, tenant_id: str, kind: DataPointKind, datapoint_id: str
) -> str | None:
    """One wire item, as the JSON PostgreSQL keeps for it."""
    row = await read_row(
        connection, _item_read(kind), {"tenant_id": tenant_id, "datapoint_id": datapoint_id}
    )
    return None if row is None else str(row[0])


@dataclass(frozen=True, slots=True)
class UpsertResult:
    added: dict[str, list[str]]
    """Ids of new records, by kind."""
    updated: dict[str, list[str]]
    """Ids of records whose payload changed, by kind."""


@dataclass(frozen=True, slots=True)
class SourceColumns:
    """The columns every row read from one source shares: an account's, or an archive's
    (exactly one of ``account_id`` and ``archive_id`` is set)."""

    tenant_id: str
    user_id: str
    provider_id: str
    source_created_at: datetime
    """The account's or the archive's creation time (the rows' ``account_created_at``)."""
    task_id: str | None
    account_id: str | None = None
    archive_id: str | None = None


@dataclass(frozen=True, slots=True)
class NewRecord:
    """One record's own columns, as the statements below read them (a field per column)."""

    id: str
    kind: str
    reference: str
    effective_date: date | None
    payload: dict[str, Any]


# The records as a relation, in their order, from one JSON parameter: the batch is
# serialised in one call (orjson, in C), where arrays of strings are quoted element by
# element in Python, and a source's rows are one statement whatever their number.
_RECORDS = """
    FROM ROWS FROM (
        json_to_recordset(CAST(%(records)s AS json)) AS (
            id text, kind text, reference text, effective_date date, payload jsonb
        )
    ) WITH ORDINALITY AS r(id, kind, reference, effective_date, payload, position)
    ORDER BY r.position
"""


def _insert_from_records(source_column: str, source_type: str) -> str:
    """The INSERT of a source's records (an account's or an archive's, named by its id
    column), read from the JSON parameter ``_RECORDS`` unpacks."""
    return (
        f"""
INSERT INTO datapoints AS d (
    id, tenant_id, user_id, {source_column}, source_type, provider_id, kind, reference,
    effective_date, payload, account_created_at, created_at, updated_at, last_task_id
)
SELECT r.id, CAST(%(tenant_id)s AS text), CAST(%(user_id)s AS text),
       CAST(%({source_column})s AS text), '{source_type}', CAST(%(provider_id)s AS text),
       r.kind, r.reference, r.effective_date, r.payload,
       CAST(%(source_created_at)s AS timestamptz), CAST(%(now)s AS timestamptz),
       CAST(%(now)s AS timestamptz), CAST(%(task_id)s AS text)
"""
        + _RECORDS
    )


# One statement for a sync's records, built once and run on the driver (no SQLAlchemy
# execution or result rows: about half the CPU of a session's): one round trip and one
# plan, where a row per statement cost a round trip (and a wake-up of the server) per
# record.
_UPSERT = (
    _insert_from_records("account_id", "ACCOUNT")
    + """
ON CONFLICT ON CONSTRAINT uq_datapoints_source_record DO UPDATE SET
    payload = excluded.payload,
    effective_date = excluded.effective_date,
    updated_at = excluded.updated_at,
    last_task_id = excluded.last_task_id
WHERE d.payload IS DISTINCT FROM excluded.payload
RETURNING d.id, d.kind, d.reference, (d.xmax = 0) AS inserted
"""
).encode()

# An archive's records are read once: nothing to update.
_INSERT = _insert_from_records("archive_id", "ARCHIVE").encode()


def _parameters(
    source: SourceColumns, records: Sequence[NewRecord], now: datetime
) -> dict[str, Any]:
    return {
        "tenant_id": source.tenant_id,
        "user_id": source.user_id,
        "account_id": source.account_id,
        "archive_id": source.archive_id,
        "provider_id": source.provider_id,
        "source_created_at": source.source_created_at,
        "task_id": source.task_id,
        "now": now,
        "records": orjson.dumps(records).decode(),
    }


async def upsert_datapoints(
    session: AsyncSession, source: SourceColumns, records: Sequence[NewRecord], now: datetime
) -> UpsertResult:
    """Insert an account's new records, update its changed ones, leave identical ones
    untouched.

    Keyed by (account, kind, the provider's reference): the same sync run twice, or again
    after a crash, stores nothing twice, and an unchanged record is not reported. A key
    must appear once in ``records``; ids come back in the records' order.
    """
    added: dict[str, list[str]] = {}
    updated: dict[str, list[str]] = {}
    if not records:
        return UpsertResult(added=added, updated=updated)
    assert source.account_id is not None, "the upsert is keyed by the account"
    connection = await driver_connection_of(session)
    cursor = await connection.execute(_UPSERT, _parameters(source, records, now))
    returned = await cursor.fetchall()
    # RETURNING promises no order: the rows go back in the records' own.
    position = {(record.kind, record.reference): n for n, record in enumerate(records)}
    for datapoint_id, kind, _, inserted in sorted(
        returned, key=lambda row: position[(row[1], row[2])]
    ):
        (added if inserted else updated).setdefault(kind, []).append(datapoint_id)
    return UpsertResult(added=added, updated=updated)


async def delete_account_datapoints(session: AsyncSession, tenant_id: str, account_id: str) -> int:
    result = await session.execute(
        tenant_delete(tenant_id).where(DataPoint.account_id == account_id)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def delete_archive_datapoints(session: AsyncSession, tenant_id: str, archive_id: str) -> int:
    result = await session.execute(
        tenant_delete(tenant_id).where(DataPoint.archive_id == archive_id)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def insert_datapoints(
    session: AsyncSession, source: SourceColumns, records: Sequence[NewRecord], now: datetime
) -> dict[str, list[str]]:
    """New records of a source read once (an archive's analysis): ids by kind, in the
    records' order. A key already stored is refused (the unique constraint), as before."""
    added: dict[str, list[str]] = {}
    if records:
        assert source.archive_id is not None, "only an archive's records are inserted"
        connection = await driver_connection_of(session)
        await connection.execute(_INSERT, _parameters(source, records, now))
        for record in records:
            added.setdefault(record.kind, []).append(record.id)
    return added


async def user_payloads(
    session: AsyncSession, tenant_id: str, user_id: str, kind: DataPointKind, limit: int = 50
) -> list[dict[str, Any]]:
    rows = await session.execute(
        tenant_select(tenant_id, DataPoint.payload)
        .where(DataPoint.kind == kind.value, DataPoint.user_id == user_id)
        .order_by(DataPoint.seq.desc())
        .limit(limit)
    )
    return [row[0] for row in rows]


async def account_payload_rows(
    session: AsyncSession, tenant_id: str, account_id: str
) -> Sequence[Row[Any]]:
    return (
        await session.execute(
            tenant_select(tenant_id, DataPoint.id, DataPoint.kind, DataPoint.payload)
            .where(DataPoint.account_id == account_id)
            .order_by(DataPoint.kind, DataPoint.seq)
        )
    ).all()


async def task_datapoints(
    session: AsyncSession, tenant_id: str, task_id: str, per_kind: int
) -> Sequence[Row[Any]]:
    """Up to ``per_kind`` of the records a task added or changed, of each kind, newest first."""
    ranked = (
        tenant_select(
            tenant_id,
            *_WIRE_COLUMNS,
            DataPoint.kind,
            func.row_number()
            .over(partition_by=DataPoint.kind, order_by=DataPoint.seq.desc())
            .label("rank"),
        )
        .where(DataPoint.last_task_id == task_id)
        .subquery()
    )
    return (
        await session.execute(
            select(ranked)
            .where(ranked.c.rank <= per_kind)
            .order_by(ranked.c.kind, ranked.c.seq.desc())
        )
    ).all()
