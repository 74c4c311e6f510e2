"""Every query of portal members and sessions.

Tenant-facing queries start from ``_members(tenant_id)``; the two that must find a row
before the tenant is known (sign-in by e-mail, a session by its cookie) say so.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Select, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sahod.portal.models import Member, PortalSession
from sahod.tenants.models import Tenant


def _members(tenant_id: str) -> Select[Member]:
    return select(Member).where(Member.tenant_id == tenant_id)


async def add_member(session: AsyncSession, member: Member) -> None:
    session.add(member)
    await session.flush()


async def email_taken_across_tenants(session: AsyncSession, email: str) -> bool:
    """Across tenants: an e-mail signs in to one tenant only."""
    found = await session.execute(select(Member.id).where(func.lower(Member.email) == email))
    return found.first() is not None


async def member_for_sign_in_across_tenants(session: AsyncSession, email: str) -> Member | None:
    """The member an e-mail signs in as, locked for the update of its failure counter
    (before any tenant is known: the e-mail decides it)."""
    return (
        await session.execute(
            select(Member).where(func.lower(Member.email) == email).with_for_update()
        )
    ).scalar_one_or_none()


async def list_members(session: AsyncSession, tenant_id: str) -> Sequence[Member]:
    return (await session.execute(_members(tenant_id).order_by(Member.email))).scalars().all()


async def get_member(session: AsyncSession, tenant_id: str, member_id: str) -> Member | None:
    return (
        await session.execute(_members(tenant_id).where(Member.id == member_id).with_for_update())
    ).scalar_one_or_none()


async def count_owners(session: AsyncSession, tenant_id: str) -> int:
    statement = _members(tenant_id).where(Member.role == "owner")
    found = await session.execute(statement.with_only_columns(func.count()))
    return int(found.scalar_one())


async def delete_member(session: AsyncSession, tenant_id: str, member_id: str) -> None:
    await session.execute(
        delete(Member).where(Member.tenant_id == tenant_id, Member.id == member_id)
    )


async def add_session(session: AsyncSession, row: PortalSession) -> None:
    session.add(row)
    await session.flush()


async def live_session_across_tenants(
    session: AsyncSession, token_hash: str, now: datetime
) -> tuple[PortalSession, Member, Tenant] | None:
    """The session a cookie names, with its member and tenant (the cookie decides the
    tenant, so this is the one lookup before it is known)."""
    row = (
        await session.execute(
            select(PortalSession, Member, Tenant)
            .join(Member, Member.id == PortalSession.member_id)
            .join(Tenant, Tenant.id == PortalSession.tenant_id)
            .where(PortalSession.token_hash == token_hash, PortalSession.expires_at > now)
        )
    ).first()
    return None if row is None else (row[0], row[1], row[2])


async def extend_session(
    session: AsyncSession, tenant_id: str, token_hash: str, expires_at: datetime
) -> None:
    await session.execute(
        update(PortalSession)
        .where(PortalSession.tenant_id == tenant_id, PortalSession.token_hash == token_hash)
        .values(expires_at=expires_at)
    )


async def end_session_across_tenants(session: AsyncSession, token_hash: str) -> None:
    await session.execute(delete(PortalSession).where(PortalSession.token_hash == token_hash))


async def end_member_sessions(session: AsyncSession, tenant_id: str, member_id: str) -> None:
    await session.execute(
        delete(PortalSession).where(
            PortalSession.tenant_id == tenant_id, PortalSession.member_id == member_id
        )
    )


async def delete_expired_sessions_across_tenants(session: AsyncSession, now: datetime) -> None:
    """Across tenants: housekeeping at sign-in."""
    await session.execute(delete(PortalSession).where(PortalSession.expires_at <= now))
