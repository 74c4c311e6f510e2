"""The event outbox. Events are only written here (in the transaction of their change);
a tenant-facing read would start from a ``tenant_id`` filter like every repository's."""

from __future__ import annotations

from sqlalchemy import Select, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from sahod.events.models import Event

# Built once; a Core insert, not the unit of work: every change that emits runs it.
_ADD_EVENT = insert(Event)


async def add_event(session: AsyncSession, event: Event) -> None:
    """Writes ``event`` (which stays out of the session: nothing reads it back)."""
    row = {
        "id": event.id,
        "tenant_id": event.tenant_id,
        "type": event.type,
        "data": event.data,
        "created_at": event.created_at,
    }
    await session.execute(_ADD_EVENT, [row])


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
