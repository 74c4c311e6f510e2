"""Tenants and their API keys.

Nothing here is tenant-facing: these are the lookups that find the tenant (by its id or
by an API key) before any tenant-scoped query can run.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from sahod.db import libpq_url
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


REVOKED_KEYS_CHANNEL = "sahod_revoked_api_keys"
"""Where a key's revocation is announced, on its commit, to every process that caches
sign-ins (``Authenticator``)."""


async def announce_revoked(session: AsyncSession, key: str) -> None:
    """In the revoking transaction: PostgreSQL delivers the notice when, and only if, it
    commits."""
    await session.execute(
        text("SELECT pg_notify(:channel, :key)"), {"channel": REVOKED_KEYS_CHANNEL, "key": key}
    )


REVOCATIONS_LISTENER = "sahod revocations"
"""The listening connection's name in ``pg_stat_activity``."""


@asynccontextmanager
async def revocation_notices(database_url: str) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
    """A connection of its own, listening for revoked keys (its ``notifies()``): a
    notice goes only to connections listening when the revocation commits."""
    connection = await psycopg.AsyncConnection.connect(
        libpq_url(database_url), autocommit=True, application_name=REVOCATIONS_LISTENER
    )
    try:
        await connection.execute(sql.SQL("LISTEN {}").format(sql.Identifier(REVOKED_KEYS_CHANNEL)))
        yield connection
    finally:
        await connection.close()
