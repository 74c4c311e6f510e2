"""The wire JSON PostgreSQL keeps for each data point is the item the API promises."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sahod.datapoints import repository, service
from sahod.datapoints.kinds import DataPointKind
from sahod.datapoints.models import DataPoint
from sahod.datapoints.records import FetchedRecord
from sahod.kit.clock import ManualClock
from tests.conftest import TenantClient
from tests.factories import SAMPLE_PAYLOADS, make_account, make_datapoint, make_user


async def stored_wire(session: AsyncSession, datapoint_id: str) -> dict[str, object]:
    text = (
        await session.execute(select(DataPoint.wire_json).where(DataPoint.id == datapoint_id))
    ).scalar_one()
    parsed: dict[str, object] = json.loads(text)
    return parsed


async def test_every_kind_is_stored_as_its_wire_item(
    session: AsyncSession, clock: ManualClock, tenant: TenantClient
) -> None:
    user = await make_user(session, tenant.tenant_id, clock.now())
    # A whole second and an instant with microseconds: iso_z writes them differently.
    account = await make_account(session, user, datetime(2026, 3, 1, 8, 0, 0, tzinfo=UTC))
    created = datetime(2026, 3, 2, 9, 30, 15, 120034, tzinfo=UTC)
    for kind in DataPointKind:
        point = await make_datapoint(session, account, kind, created)
        row = await repository.get_datapoint(session, tenant.tenant_id, kind, point.id)
        assert row is not None
        assert await stored_wire(session, point.id) == service.wire_item(row)


async def test_text_needing_escapes_survives_the_stored_json(
    session: AsyncSession, clock: ManualClock, tenant: TenantClient
) -> None:
    user = await make_user(session, tenant.tenant_id, clock.now())
    account = await make_account(session, user, clock.now())
    kind = DataPointKind.LIABILITIES
    awkward = 'Salary "Loan" \\ Peñafrancia\n\t✓'
    point = await make_datapoint(session, account, kind, clock.now(), type=awkward)
    wire = await stored_wire(session, point.id)
    assert wire["type"] == awkward
    row = await repository.get_datapoint(session, tenant.tenant_id, kind, point.id)
    assert row is not None
    assert wire == service.wire_item(row)


async def test_an_upsert_that_changes_a_record_changes_its_stored_json(
    session: AsyncSession, clock: ManualClock, tenant: TenantClient
) -> None:
    user = await make_user(session, tenant.tenant_id, clock.now())
    account = await make_account(session, user, clock.now())
    kind = DataPointKind.LIABILITIES
    source = service.RecordSource(
        tenant_id=tenant.tenant_id,
        user_id=user.id,
        account_id=account.id,
        provider_id=account.provider_id,
        account_created_at=account.created_at,
        task_id="task-1",
    )
    first = FetchedRecord(kind=kind, reference="loan-1", payload=dict(SAMPLE_PAYLOADS[kind]))
    added = await service.store_records(session, [first], source, clock.now())
    (point_id,) = added.added[kind.value]
    before = await stored_wire(session, point_id)

    clock.advance(timedelta(seconds=60))
    changed = {**SAMPLE_PAYLOADS[kind], "outstandingBalance": 13861.44}
    second = FetchedRecord(kind=kind, reference="loan-1", payload=changed)
    result = await service.store_records(session, [second], source, clock.now())
    assert result.updated == {kind.value: [point_id]}

    after = await stored_wire(session, point_id)
    assert after["outstandingBalance"] == 13861.44
    assert after["id"] == point_id
    assert after["metadata"] == before["metadata"]  # still the record first seen then
    row = await repository.get_datapoint(session, tenant.tenant_id, kind, point_id)
    assert row is not None
    assert after == service.wire_item(row)
