"""The event outbox. Events are only written here (in the transaction of their change);
a tenant-facing read would start from a ``tenant_id`` filter like every repository's."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from sahod.events.models import Event


async def add_event(session: AsyncSession, event: Event) -> None:
    session.add(event)
    await session.flush()
