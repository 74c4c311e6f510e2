from __future__ import annotations

import re
import secrets
import time
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from sahod.errors import InvalidParameters, MissingResource
from sahod.kit.crypto import hash_secret, new_secret, secret_matches
from sahod.tenants import repository
from sahod.tenants.models import ApiKey, Tenant
from sahod.tenants.schemas import IssuedKeys, TenantContext, TenantMode

_AUTH_CACHE_SECONDS = 30.0
_AUTH_CACHE_MAX = 10_000


def tenant_slug(name: str) -> str:
    """A tenant id from its name: lowercase letters and digits, as user ids embed it."""
    slug = re.sub(r"[^a-z0-9]", "", name.lower())[:24]
    return slug or "tenant"


async def create_tenant(
    session: AsyncSession, name: str, mode: TenantMode, now: datetime, *, cds_enabled: bool = True
) -> IssuedKeys:
    name = name.strip()
    if not name or len(name) > 200:
        raise InvalidParameters("name must be 1 to 200 characters")
    tenant_id = tenant_slug(name)
    while await repository.tenant_id_taken(session, tenant_id):
        tenant_id = f"{tenant_slug(name)[:19]}{secrets.token_hex(2)}"
    api_key, api_secret = _new_key(mode)
    await repository.add_tenant(
        session,
        Tenant(id=tenant_id, name=name, mode=mode.value, created_at=now, cds_enabled=cds_enabled),
        ApiKey(
            key=api_key, tenant_id=tenant_id, secret_hash=hash_secret(api_secret), created_at=now
        ),
    )
    return IssuedKeys(tenant_id=tenant_id, api_key=api_key, api_secret=api_secret, mode=mode)


def _new_key(mode: TenantMode) -> tuple[str, str]:
    key_prefix = "sk_test" if mode is TenantMode.SANDBOX else "sk_live"
    return f"{key_prefix}_{secrets.token_hex(12)}", new_secret("ss")


async def list_keys(session: AsyncSession, tenant: TenantContext) -> list[ApiKey]:
    return await repository.list_keys(session, tenant.id)


async def create_key(session: AsyncSession, tenant: TenantContext, now: datetime) -> IssuedKeys:
    """Another key of the tenant, in its mode; the secret is returned this once."""
    api_key, api_secret = _new_key(tenant.mode)
    await repository.add_key(
        session,
        ApiKey(
            key=api_key, tenant_id=tenant.id, secret_hash=hash_secret(api_secret), created_at=now
        ),
    )
    return IssuedKeys(tenant_id=tenant.id, api_key=api_key, api_secret=api_secret, mode=tenant.mode)


async def revoke_key(
    session: AsyncSession,
    tenant: TenantContext,
    key: str,
    now: datetime,
    authenticator: Authenticator | None = None,
) -> None:
    """Stops the key at once in this process (other processes within their cache's 30 s).
    The last active key is kept: a tenant without one could not call the API at all."""
    found = await repository.active_key_for_update(session, tenant.id, key)
    if found is None:
        raise MissingResource(f"There is no active key {key}.")
    if await repository.count_active_keys(session, tenant.id) <= 1:
        raise InvalidParameters("key: create another key before revoking the last one")
    found.revoked_at = now
    await session.flush()
    if authenticator is not None:
        authenticator.forget(key)


class Authenticator:
    """Checks HTTP Basic ``apiKey:apiSecret``.

    A short-lived in-process cache keeps the key lookup off the hot path of every API call;
    a revoked key stops working within ``_AUTH_CACHE_SECONDS``.
    """

    def __init__(self) -> None:
        self._cache: dict[tuple[str, str], tuple[float, TenantContext]] = {}

    def cached(self, api_key: str, api_secret: str) -> TenantContext | None:
        """The tenant of credentials verified less than ``_AUTH_CACHE_SECONDS`` ago."""
        cached = self._cache.get((api_key, hash_secret(api_secret)))
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        return None

    async def authenticate(
        self, session: AsyncSession, api_key: str, api_secret: str
    ) -> TenantContext | None:
        known = self.cached(api_key, api_secret)
        if known is not None:
            return known
        cache_key = (api_key, hash_secret(api_secret))
        found = await repository.find_active_key(session, api_key)
        if found is None or not secret_matches(api_secret, found[0].secret_hash):
            return None
        context = TenantContext(id=found[1].id, mode=TenantMode(found[1].mode))
        if len(self._cache) >= _AUTH_CACHE_MAX:
            self._cache.clear()
        self._cache[cache_key] = (time.monotonic() + _AUTH_CACHE_SECONDS, context)
        return context

    def forget(self, api_key: str) -> None:
        """Drops a revoked key's cached sign-ins."""
        for cached in [k for k in self._cache if k[0] == api_key]:
            self._cache.pop(cached, None)
