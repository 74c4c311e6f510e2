"""Delivery tests run the real worker (procrastinate) against committed data.

The per-test rolled-back transaction of tests/conftest.py is invisible to a worker's own
connections, so these tests use a database of their own (one per pytest worker), commit
for real, and tell their data apart by tenant (each test creates its own). At the end of
a test its worker stops and any job it left waiting is dropped, so no retry of one test
runs in the next.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import secrets
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text

from sahod.app import create_app
from sahod.config import Settings
from sahod.db import session_scope
from sahod.events.service import emit
from sahod.runtime import Runtime, open_runtime, worker_options
from sahod.tenants.schemas import IssuedKeys, TenantMode
from sahod.tenants.service import create_tenant
from sahod.webhooks.models import Webhook, WebhookAttempt, WebhookDelivery
from tests.conftest import scratch_database

# Fast enough for tests, and zero jitter so that the gaps between attempts can be checked.
FAST = {
    "webhook_retry_schedule": [0.4, 0.8, 1.2],
    "webhook_retry_jitter": 0.0,
    "webhook_timeout_seconds": 5.0,
}


@pytest.fixture(scope="session")
def delivery_database_url(server_url: str, worker_id: str) -> Iterator[str]:
    with scratch_database(server_url, f"sahod_wh_{worker_id}") as url:
        yield url


@pytest.fixture(scope="session")
async def delivery_runtime(delivery_database_url: str) -> AsyncIterator[Runtime]:
    settings = Settings(
        database_url=delivery_database_url,
        data_dir=Path(tempfile.mkdtemp(prefix="sahod-wh-")),
        run_worker=False,
        sealing_key=base64.b64encode(secrets.token_bytes(32)).decode(),
        public_url="http://testserver",
        # The receivers listen on loopback: the operator's opt-in, as on a dev machine.
        webhook_sandbox_allowed_networks=["127.0.0.0/8", "::1/128"],
    )
    async with open_runtime(settings, database_url=delivery_database_url) as runtime:
        yield runtime


@dataclass
class Tenant:
    keys: IssuedKeys
    http: httpx.AsyncClient

    @property
    def id(self) -> str:
        return self.keys.tenant_id

    async def create_webhook(self, url: str, secret: str, **fields: Any) -> dict[str, Any]:
        body = {"name": "test", "url": url, "eventTypes": ["ALL_EVENTS"], "active": True}
        response = await self.http.post("/v1/webhooks", json=body | fields | {"secret": secret})
        assert response.status_code == 200, response.text
        created: dict[str, Any] = response.json()["data"]
        return created

    async def create_user(self) -> str:
        response = await self.http.post("/v1/users")
        assert response.status_code == 201, response.text
        return str(response.json()["data"]["user"]["id"])


@dataclass
class Env:
    """A worker running on committed data, and what a test needs around it."""

    runtime: Runtime
    _clients: list[httpx.AsyncClient]

    async def tenant(self, mode: TenantMode = TenantMode.SANDBOX) -> Tenant:
        async with session_scope(self.runtime.session_factory) as session:
            keys = await create_tenant(
                session, f"wh {secrets.token_hex(4)}", mode, self.runtime.clock.now()
            )
        http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=create_app(runtime=self.runtime)),
            base_url="http://testserver",
            auth=(keys.api_key, keys.api_secret),
        )
        self._clients.append(http)
        return Tenant(keys=keys, http=http)

    async def emit(self, tenant_id: str, event_type: str, data: dict[str, Any]) -> str:
        async with session_scope(self.runtime.session_factory) as session:
            event = await emit(session, tenant_id, event_type, data, self.runtime.clock.now())
        return event.id

    async def deliveries(self, webhook_id: str) -> list[WebhookDelivery]:
        async with self.runtime.session_factory() as session:
            rows = await session.execute(
                select(WebhookDelivery)
                .where(WebhookDelivery.webhook_id == webhook_id)
                .order_by(WebhookDelivery.seq)
            )
            return list(rows.scalars())

    async def attempts(self, delivery_id: str) -> list[WebhookAttempt]:
        async with self.runtime.session_factory() as session:
            rows = await session.execute(
                select(WebhookAttempt)
                .where(WebhookAttempt.delivery_id == delivery_id)
                .order_by(WebhookAttempt.seq)
            )
            return list(rows.scalars())

    async def webhook(self, webhook_id: str) -> Webhook:
        async with self.runtime.session_factory() as session:
            found = await session.get(Webhook, webhook_id)
            assert found is not None
            return found

    async def settled(
        self,
        webhook_id: str,
        check: Callable[[list[WebhookDelivery]], bool],
        within: float = 30.0,
    ) -> list[WebhookDelivery]:
        """Polls the deliveries until ``check`` holds."""
        deadline = asyncio.get_running_loop().time() + within
        while True:
            found = await self.deliveries(webhook_id)
            if check(found):
                return found
            if asyncio.get_running_loop().time() > deadline:
                states = [(d.status, d.attempt_count, d.last_error) for d in found]
                raise AssertionError(f"deliveries did not settle: {states}")
            await asyncio.sleep(0.1)


@pytest.fixture
def delivery_env(
    delivery_runtime: Runtime,
) -> Callable[..., contextlib.AbstractAsyncContextManager[Env]]:
    """``async with delivery_env(**settings) as env``: a worker with these settings."""

    @asynccontextmanager
    async def running(**overrides: Any) -> AsyncIterator[Env]:
        settings = delivery_runtime.settings.model_copy(update=FAST | overrides)
        runtime = replace(delivery_runtime, settings=settings)
        options = worker_options(runtime, 8) | {"fetch_job_polling_interval": 0.05}
        worker = asyncio.create_task(runtime.jobs.run_worker_async(**options))
        env = Env(runtime=runtime, _clients=[])
        try:
            yield env
        finally:
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker
            for client in env._clients:
                await client.aclose()
            async with session_scope(runtime.session_factory) as session:
                await session.execute(
                    text("DELETE FROM procrastinate_jobs WHERE status IN ('todo', 'doing')")
                )

    return running


def now_utc() -> datetime:
    return datetime.now(UTC)
