"""Storing a sync's records: one statement for all of them, with the upsert's promises."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sahod.datapoints import service
from sahod.datapoints.kinds import DataPointKind
from sahod.datapoints.models import DataPoint
from sahod.datapoints.records import FetchedRecord
from sahod.kit.clock import ManualClock
from tests.conftest import TenantClient
from tests.factories import SAMPLE_PAYLOADS, make_account, make_user


def _records(balance: float = 15000.0) -> list[FetchedRecord]:
    """One record of every kind, and three contributions (a kind with many records)."""
    records = [
        FetchedRecord(kind=kind, reference=f"{kind.value}-1", payload=dict(SAMPLE_PAYLOADS[kind]))
        for kind in DataPointKind
    ]
    contributions = DataPointKind.CONTRIBUTIONS
    records += [
        FetchedRecord(
            kind=contributions,
            reference=f"{contributions.value}-{month}",
            payload={**SAMPLE_PAYLOADS[contributions], "date": f"2026-{month:02}-01"},
        )
        for month in (2, 3, 4)
    ]
    liabilities = next(r for r in records if r.kind is DataPointKind.LIABILITIES)
    liabilities.payload["outstandingBalance"] = balance
    return records


async def _source(
    session: AsyncSession, tenant_id: str, clock: ManualClock
) -> service.RecordSource:
    user = await make_user(session, tenant_id, clock.now())
    account = await make_account(session, user, clock.now())
    return service.RecordSource(
        tenant_id=tenant_id,
        user_id=user.id,
        account_id=account.id,
        provider_id=account.provider_id,
        account_created_at=account.created_at,
        task_id="task-1",
    )


Stored = dict[str, tuple[str, datetime, dict[str, Any]]]
"""By reference: the row's id, when it was last written, and its payload."""


async def _stored(session: AsyncSession, account_id: str) -> Stored:
    rows = await session.execute(
        select(DataPoint.reference, DataPoint.id, DataPoint.updated_at, DataPoint.payload).where(
            DataPoint.account_id == account_id
        )
    )
    return {row.reference: (row.id, row.updated_at, row.payload) for row in rows}


async def test_a_sync_stored_twice_is_stored_once_and_reported_once(
    session: AsyncSession, clock: ManualClock, tenant: TenantClient
) -> None:
    source = await _source(session, tenant.tenant_id, clock)
    first = await service.store_records(session, _records(), source, clock.now())
    assert first.updated == {}
    assert {kind: len(ids) for kind, ids in first.added.items()} == {
        kind.value: 4 if kind is DataPointKind.CONTRIBUTIONS else 1 for kind in DataPointKind
    }
    stored = await _stored(session, source.account_id)
    # In the records' order, with the ids the rows were stored under.
    assert first.added[DataPointKind.CONTRIBUTIONS.value] == [
        stored[f"CONTRIBUTIONS-{n}"][0] for n in (1, 2, 3, 4)
    ]

    clock.advance(timedelta(minutes=5))
    again = await service.store_records(session, _records(), source, clock.now())
    assert again.added == {} and again.updated == {}
    assert await _stored(session, source.account_id) == stored  # not even rewritten


async def test_only_the_changed_record_is_rewritten_and_reported(
    session: AsyncSession, clock: ManualClock, tenant: TenantClient
) -> None:
    source = await _source(session, tenant.tenant_id, clock)
    await service.store_records(session, _records(), source, clock.now())
    before = await _stored(session, source.account_id)

    clock.advance(timedelta(days=31))
    result = await service.store_records(session, _records(balance=12000.0), source, clock.now())
    loan_id = before["LIABILITIES-1"][0]
    assert result.added == {}
    assert result.updated == {DataPointKind.LIABILITIES.value: [loan_id]}
    after = await _stored(session, source.account_id)
    changed_id, written_at, payload = after["LIABILITIES-1"]
    assert (changed_id, written_at) == (loan_id, clock.now())
    assert payload["outstandingBalance"] == 12000.0
    assert {k: v for k, v in after.items() if k != "LIABILITIES-1"} == {
        k: v for k, v in before.items() if k != "LIABILITIES-1"
    }


async def test_a_record_read_twice_in_one_sync_is_stored_once_as_last_read(
    session: AsyncSession, clock: ManualClock, tenant: TenantClient
) -> None:
    source = await _source(session, tenant.tenant_id, clock)
    kind = DataPointKind.LIABILITIES
    first = FetchedRecord(kind=kind, reference="loan-1", payload=dict(SAMPLE_PAYLOADS[kind]))
    last = FetchedRecord(
        kind=kind,
        reference="loan-1",
        payload={**SAMPLE_PAYLOADS[kind], "outstandingBalance": 9000.0},
    )
    result = await service.store_records(session, [first, last], source, clock.now())
    assert len(result.added[kind.value]) == 1
    stored = await _stored(session, source.account_id)
    assert stored["loan-1"][2]["outstandingBalance"] == 9000.0
