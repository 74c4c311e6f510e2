from __future__ import annotations

import asyncio
import logging
import re
import secrets
import time
from datetime import datetime

import psycopg
from sqlalchemy.ext.asyncio import AsyncSession

from sahod.errors import InvalidParameters, MissingResource
from sahod.kit.crypto import hash_secret, new_secret, secret_matches
from sahod.tenants import repository
from sahod.tenants.models import ApiKey, Tenant
from sahod.tenants.schemas import IssuedKeys, TenantContext, TenantMode

_AUTH_CACHE_SECONDS = 30.0
_AUTH_CACHE_MAX = 10_000
RETRY_FIRST_SECONDS = 0.5
RETRY_MAX_SECONDS = 10.0

log = logging.getLogger(__name__)


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
) -> None:
    """Stops the key in every API process, this one included, once this transaction
    commits (see ``Authenticator``). The last active key is kept: a tenant without one
    could not call the API at all."""
    found = await repository.active_key_for_update(session, tenant.id, key)
    if found is None:
        raise MissingResource(f"There is no active key {key}.")
    if await repository.count_active_keys(session, tenant.id) <= 1:
        raise InvalidParameters("key: create another key before revoking the last one")
    found.revoked_at = now
    await session.flush()
    await repository.announce_revoked(session, key)


class Authenticator:
    """Checks HTTP Basic ``apiKey:apiSecret``.

    A short-lived in-process cache keeps the key lookup off the hot path of every API call.
    It is used only while the process hears revocations (``follow_revocations``): a key
    revoked in any process is forgotten here as soon as its revocation commits. While the
    process does not hear them (not started, or its connection lost), every call looks the
    key up: a notice missed then would leave a revoked key working here.
    """

    def __init__(self) -> None:
        self._cache: dict[tuple[str, str], tuple[float, TenantContext]] = {}
        self._hearing = False
        self._forgotten = 0
        """Counts revocations heard: a lookup that began before one is not cached."""

    @property
    def hearing(self) -> bool:
        return self._hearing

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
        forgotten = self._forgotten
        found = await repository.find_active_key(session, api_key)
        if found is None or not secret_matches(api_secret, found[0].secret_hash):
            return None
        context = TenantContext(id=found[1].id, mode=TenantMode(found[1].mode))
        # Not when a revocation was heard during the lookup: it may be this key's, and the
        # lookup may have seen the key before the revocation committed.
        if self._hearing and forgotten == self._forgotten:
            if len(self._cache) >= _AUTH_CACHE_MAX:
                self._cache.clear()
            self._cache[cache_key] = (time.monotonic() + _AUTH_CACHE_SECONDS, context)
        return context

    def forget(self, api_key: str) -> None:
        """Drops a revoked key's cached sign-ins."""
        self._forgotten += 1
        for cached in [k for k in self._cache if k[0] == api_key]:
            self._cache.pop(cached, None)

    def hears_revocations(self, hearing: bool) -> None:
        """Whether revocations reach this process from now on; when they stop, what is
        cached goes (a revocation may be missed from then on)."""
        self._forgotten += 1
        self._hearing = hearing
        if not hearing:
            self._cache.clear()


async def follow_revocations(
    authenticator: Authenticator, database_url: str, *, check_every: float = 5.0
) -> None:
    """Until cancelled: every key revoked (in any process) is forgotten by
    ``authenticator`` as its revocation commits. The connection is checked every
    ``check_every`` seconds; when it is lost (a database restart), the cache is off until
    another one listens."""
    retry = RETRY_FIRST_SECONDS
    while True:
        try:
            async with repository.revocation_notices(database_url) as connection:
                authenticator.hears_revocations(True)
                retry = RETRY_FIRST_SECONDS
                while True:
                    async for notice in connection.notifies(timeout=check_every):
                        authenticator.forget(notice.payload)
                    await connection.execute("SELECT 1")
        except (OSError, psycopg.Error) as error:
            log.warning("not hearing key revocations (%s); retrying in %.0f s", error, retry)
        finally:
            authenticator.hears_revocations(False)
        await asyncio.sleep(retry)
        retry = min(retry * 2, RETRY_MAX_SECONDS)
