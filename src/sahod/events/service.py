"""Writing events: always inside the transaction of the change they report (the outbox)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from sahod.events import repository
from sahod.events.models import Event
from sahod.kit.ids import EVENT, new_id


async def emit(
    session: AsyncSession, tenant_id: str, event_type: str, data: dict[str, Any], now: datetime
) -> Event:
    event = Event(id=new_id(EVENT), tenant_id=tenant_id, type=event_type, data=data, created_at=now)
    await repository.add_event(session, event)
    return event


def envelope_of(event: Event) -> dict[str, Any]:
    """The webhook body of an event, as the seed documents show it."""
    return {
        "id": event.id,
        "version": 1,
        "type": event.type,
        "createdAt": event.created_at.isoformat().replace("+00:00", "Z"),
        "data": event.data,
    }
