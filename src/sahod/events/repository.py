"""The event outbox. Events are only written here (in the transaction of their change);
a tenant-facing read would start from a ``tenant_id`` filter like every repository's."""

from __future__ import annotations

from collections.abc import Sequence

import orjson
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sahod.db import driver_connection_of
from sahod.events.models import Event

# Built once and run on the driver, not the unit of work: every change that emits runs
# it. The events come as one JSON parameter, however many a change writes, and take their
# places in the outbox (seq) in the order given.
_ADD_EVENTS = b"""
INSERT INTO events (id, tenant_id, type, data, created_at)
SELECT e.id, CAST(%(tenant_id)s AS text), e.type, e.data, CAST(%(created_at)s AS timestamptz)
FROM ROWS FROM (
    json_to_recordset(CAST(%(events)s AS json)) AS (id text, type text, data jsonb)
) WITH ORDINALITY AS e(id, type, data, position)
ORDER BY e.position
"""


async def add_events(session: AsyncSession, events: Sequence[Event]) -> None:
    """Writes ``events``, all of one tenant and one instant, in one statement (they stay
    out of the session: nothing reads them back)."""
    if not events:
        return
    first = events[0]
    assert all(
        event.tenant_id == first.tenant_id and event.created_at == first.created_at
        for event in events
    ), "one statement writes one tenant's events of one instant"
    rows = [{"id": event.id, "type": event.type, "data": event.data} for event in events]
    connection = await driver_connection_of(session)
    await connection.execute(
        _ADD_EVENTS,
        {
            "tenant_id": first.tenant_id,
            "created_at": first.created_at,
            "events": orjson.dumps(rows).decode(),
        },
    )


def _tenant_events(tenant_id: str) -> Select[Event]:
    return select(Event).where(Event.tenant_id == tenant_id)


async def latest_seq(session: AsyncSession, tenant_id: str) -> int:
    """The tenant's newest event's place in the outbox (0 without events): a reader that
    starts after it sees only what comes next."""
    found = await session.scalar(select(func.max(Event.seq)).where(Event.tenant_id == tenant_id))
    return int(found or 0)


async def user_events_after(
    session: AsyncSession, tenant_id: str, user_id: str, after_seq: int, limit: int
) -> list[Event]:
    """One user's events after ``after_seq``, oldest first. The (tenant_id, seq) index
    bounds the scan to the events since ``after_seq``; the user is a filter on those."""
    statement = (
        _tenant_events(tenant_id)
        .where(Event.seq > after_seq, Event.data["userId"].astext == user_id)
        .order_by(Event.seq)
        .limit(limit)
    )
    return list((await session.scalars(statement)).all())
