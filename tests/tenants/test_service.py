"""Cached sign-ins and revocations: a key revoked by another process stops here as its
revocation commits, and nothing is cached while this process could miss one."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

import psycopg
import pytest

from sahod.db import libpq_url, session_scope
from sahod.runtime import Runtime
from sahod.tenants.repository import REVOCATIONS_LISTENER, REVOKED_KEYS_CHANNEL
from sahod.tenants.schemas import IssuedKeys, TenantContext, TenantMode
from sahod.tenants.service import (
    Authenticator,
    create_key,
    create_tenant,
    follow_revocations,
    revoke_key,
)


async def eventually(check: Callable[[], bool], within: float = 5.0) -> None:
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, "not within the time allowed"
        await asyncio.sleep(0.02)


@pytest.fixture
async def keys(shared_runtime: Runtime) -> AsyncIterator[tuple[IssuedKeys, IssuedKeys]]:
    """A tenant with two keys, committed: a revocation is heard only once it commits."""
    now = datetime.now(UTC)
    async with session_scope(shared_runtime.session_factory) as session:
        first = await create_tenant(session, "Revocations", TenantMode.SANDBOX, now)
        tenant = TenantContext(id=first.tenant_id, mode=first.mode)
        second = await create_key(session, tenant, now)
    yield first, second


async def sign_in(runtime: Runtime, authenticator: Authenticator, keys: IssuedKeys) -> bool:
    async with runtime.session_factory() as session:
        return await authenticator.authenticate(session, keys.api_key, keys.api_secret) is not None


async def test_a_key_revoked_elsewhere_stops_here_as_the_revocation_commits(
    shared_runtime: Runtime, database_url: str, keys: tuple[IssuedKeys, IssuedKeys]
) -> None:
    first, second = keys
    authenticator = Authenticator()
    following = asyncio.create_task(follow_revocations(authenticator, database_url))
    try:
        await eventually(lambda: authenticator.hearing)
        assert await sign_in(shared_runtime, authenticator, first)
        assert authenticator.cached(first.api_key, first.api_secret) is not None
        # Revoked in another process: this authenticator is not told directly.
        tenant = TenantContext(id=first.tenant_id, mode=first.mode)
        async with session_scope(shared_runtime.session_factory) as session:
            await revoke_key(session, tenant, first.api_key, datetime.now(UTC))
        await eventually(
            lambda: authenticator.cached(first.api_key, first.api_secret) is None, within=2.0
        )
        assert not await sign_in(shared_runtime, authenticator, first)
        assert await sign_in(shared_runtime, authenticator, second)
    finally:
        following.cancel()
        await asyncio.gather(following, return_exceptions=True)
    assert not authenticator.hearing
    assert authenticator.cached(second.api_key, second.api_secret) is None


async def test_a_revocation_rolled_back_is_not_announced(
    shared_runtime: Runtime, database_url: str, keys: tuple[IssuedKeys, IssuedKeys]
) -> None:
    first, _ = keys
    async with await psycopg.AsyncConnection.connect(
        libpq_url(database_url), autocommit=True
    ) as listener:
        await listener.execute(f"LISTEN {REVOKED_KEYS_CHANNEL}")
        tenant = TenantContext(id=first.tenant_id, mode=first.mode)
        async with shared_runtime.session_factory() as session:
            await revoke_key(session, tenant, first.api_key, datetime.now(UTC))
            await session.rollback()
        heard = [n.payload async for n in listener.notifies(timeout=0.5)]
        assert heard == []
    authenticator = Authenticator()
    assert await sign_in(shared_runtime, authenticator, first)


async def test_nothing_is_cached_while_revocations_cannot_be_heard(
    shared_runtime: Runtime, database_url: str, keys: tuple[IssuedKeys, IssuedKeys]
) -> None:
    first, _ = keys
    authenticator = Authenticator()  # not following: a revocation would be missed
    assert await sign_in(shared_runtime, authenticator, first)
    assert authenticator.cached(first.api_key, first.api_secret) is None

    following = asyncio.create_task(
        follow_revocations(authenticator, database_url, check_every=0.1)
    )
    try:
        await eventually(lambda: authenticator.hearing)
        assert await sign_in(shared_runtime, authenticator, first)
        assert authenticator.cached(first.api_key, first.api_secret) is not None
        # The listening connection is lost (as in a database restart): the cache goes, and
        # comes back once another connection listens.
        async with await psycopg.AsyncConnection.connect(
            libpq_url(database_url), autocommit=True
        ) as admin:
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE application_name = %s AND datname = current_database()",
                (REVOCATIONS_LISTENER,),
            )
        await eventually(lambda: authenticator.cached(first.api_key, first.api_secret) is None)
        await eventually(lambda: authenticator.hearing)
        assert await sign_in(shared_runtime, authenticator, first)
        assert authenticator.cached(first.api_key, first.api_secret) is not None
    finally:
        following.cancel()
        await asyncio.gather(following, return_exceptions=True)
