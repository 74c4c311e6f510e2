"""Writing events: always inside the transaction of the change they report (the outbox).

Each event also becomes its webhook deliveries in that transaction (one per matching
subscription, each with its job), so an event is delivered exactly when its change commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from sahod.events import repository
from sahod.events.models import Event
from sahod.kit.clock import iso_z
from sahod.kit.ids import EVENT, new_id
from sahod.tenants.schemas import TenantContext
from sahod.webhooks import delivery as webhooks


async def emit(
    session: AsyncSession, tenant_id: str, event_type: str, data: dict[str, Any], now: datetime
) -> Event:
    (event,) = await emit_many(session, tenant_id, [(event_type, data)], now)
    return event


async def emit_many(
    session: AsyncSession,
    tenant_id: str,
    events: Sequence[tuple[str, dict[str, Any]]],
    now: datetime,
) -> list[Event]:
    """Several events of one change, (type, data) each, in this order: written in one
    statement, then fanned out to their webhooks together (one query of subscribers, one
    insert of deliveries, whatever the number of events)."""
    if not events:
        return []
    written = [
        Event(id=new_id(EVENT), tenant_id=tenant_id, type=event_type, data=data, created_at=now)
        for event_type, data in events
    ]
    await repository.add_events(session, written)
    await webhooks.fan_out_many(session, tenant_id, [envelope_of(e) for e in written], now)
    return written


TEST_EVENT = "WEBHOOK_TEST"
"""Beyond the contract's catalogue: sent only when a tenant asks, to one webhook."""


async def emit_test(
    session: AsyncSession, tenant: TenantContext, webhook_id: str, now: datetime
) -> Event:
    """A test event to one webhook (the developer portal's "send test event"), signed and
    retried as any other; no other webhook receives it."""
    event = Event(
        id=new_id(EVENT),
        tenant_id=tenant.id,
        type=TEST_EVENT,
        data={"webhookId": webhook_id, "message": "A test event sent from the Sahod portal."},
        created_at=now,
    )
    await repository.add_events(session, [event])
    await webhooks.send_to_one(session, tenant, webhook_id, envelope_of(event), now)
    return event


def envelope_of(event: Event) -> dict[str, Any]:
    """The webhook body of an event, as the seed documents show it."""
    return {
        "id": event.id,
        "version": 1,
        "type": event.type,
        "createdAt": iso_z(event.created_at),
        "data": event.data,
    }


async def latest_seq(session: AsyncSession, tenant_id: str) -> int:
    return await repository.latest_seq(session, tenant_id)


async def user_events_after(
    session: AsyncSession, tenant_id: str, user_id: str, after_seq: int, limit: int = 100
) -> list[Event]:
    """A user's events after a place in the outbox, oldest first (the widget emulator
    follows one sandbox user with it)."""
    return await repository.user_events_after(session, tenant_id, user_id, after_seq, limit)
