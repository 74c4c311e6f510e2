"""Tenants and their API keys.

Nothing here is tenant-facing: these are the lookups that find the tenant (by its id or
by an API key) before any tenant-scoped query can run.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sahod.tenants.models import ApiKey, Tenant


async def tenant_id_taken(session: AsyncSession, tenant_id: str) -> bool:
    return await session.get(Tenant, tenant_id) is not None


async def add_tenant(session: AsyncSession, tenant: Tenant, api_key: ApiKey) -> None:
    session.add(tenant)
    await session.flush()
    session.add(api_key)
    await session.flush()


async def find_active_key(session: AsyncSession, key: str) -> tuple[ApiKey, Tenant] | None:
    row = (
        await session.execute(
            select(ApiKey, Tenant)
            .join(Tenant, Tenant.id == ApiKey.tenant_id)
            .where(ApiKey.key == key, ApiKey.revoked_at.is_(None))
        )
    ).first()
    return None if row is None else (row[0], row[1])


# --- tenant mode and settings, for the pipeline and retention -------------------------


async def tenant_settings(session: AsyncSession, tenant_id: str) -> tuple[str, bool] | None:
    """The tenant's mode (SANDBOX or PRODUCTION) and whether it has Continuous Data Sync;
    None for an unknown tenant."""
    row = (
        await session.execute(select(Tenant.mode, Tenant.cds_enabled).where(Tenant.id == tenant_id))
    ).first()
    return None if row is None else (row[0], row[1])


# --- API keys, for the developer portal -------------------------------------------------


async def list_keys(session: AsyncSession, tenant_id: str) -> list[ApiKey]:
    """The tenant's keys, newest first, revoked ones included."""
    found = await session.execute(
        select(ApiKey).where(ApiKey.tenant_id == tenant_id).order_by(ApiKey.created_at.desc())
    )
    return list(found.scalars().all())


async def add_key(session: AsyncSession, api_key: ApiKey) -> None:
    session.add(api_key)
    await session.flush()


async def active_key_for_update(session: AsyncSession, tenant_id: str, key: str) -> ApiKey | None:
    return (
        await session.execute(
            select(ApiKey)
            .where(ApiKey.tenant_id == tenant_id, ApiKey.key == key, ApiKey.revoked_at.is_(None))
            .with_for_update()
        )
    ).scalar_one_or_none()


async def count_active_keys(session: AsyncSession, tenant_id: str) -> int:
    found = await session.execute(
        select(func.count())
        .select_from(ApiKey)
        .where(ApiKey.tenant_id == tenant_id, ApiKey.revoked_at.is_(None))
    )
    return int(found.scalar_one())
