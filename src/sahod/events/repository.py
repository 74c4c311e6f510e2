"""The event outbox. Events are only written here (in the transaction of their change);
a tenant-facing read would start from a ``tenant_id`` filter like every repository's."""

from __future__ import annotations

from sqlalchemy import insert
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
