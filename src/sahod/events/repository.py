from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sahod.events.models import Event


async def add_event(session: AsyncSession, event: Event) -> None:
    session.add(event)
    await session.flush()


async def list_events(
    session: AsyncSession, tenant_id: str, *, after_seq: int = 0, limit: int = 100
) -> Sequence[Event]:
    return (
        (
            await session.execute(
                select(Event)
                .where(Event.tenant_id == tenant_id, Event.seq > after_seq)
                .order_by(Event.seq)
                .limit(limit)
            )
        )
        .scalars()
        .all()
    )
