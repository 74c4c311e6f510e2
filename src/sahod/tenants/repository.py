from __future__ import annotations

from sqlalchemy import select
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


async def first_tenant_named(session: AsyncSession, name: str) -> Tenant | None:
    return (
        await session.execute(
            select(Tenant).where(Tenant.name == name).order_by(Tenant.created_at).limit(1)
        )
    ).scalar_one_or_none()


# --- tenant mode and settings, for the pipeline and retention -------------------------


async def tenant_settings(session: AsyncSession, tenant_id: str) -> tuple[str, bool] | None:
    """The tenant's mode (SANDBOX or PRODUCTION) and whether it has Continuous Data Sync;
    None for an unknown tenant."""
    row = (
        await session.execute(select(Tenant.mode, Tenant.cds_enabled).where(Tenant.id == tenant_id))
    ).first()
    return None if row is None else (row[0], row[1])
