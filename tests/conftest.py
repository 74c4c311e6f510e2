"""Tests run on a real PostgreSQL: ``SAHOD_TEST_DATABASE_URL`` when set, else an embedded one.

Each pytest worker gets a database of its own, migrated once; each test runs inside a
transaction that is rolled back at its end, so tests neither see nor clean up each other.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import os
import secrets
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import psycopg
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from sahod.app import create_app
from sahod.config import Settings
from sahod.db import libpq_url, start_embedded
from sahod.kit.clock import ManualClock
from sahod.runtime import Runtime, open_runtime
from sahod.tenants.schemas import IssuedKeys, TenantMode
from sahod.tenants.service import create_tenant
from tests.e2e.server import embedded_data_dir

pytest_plugins = ["tests.portals"]

TEST_START = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)


def _admin_url(url: str, database: str) -> str:
    base, _, query = libpq_url(url).partition("?")
    server = base.rsplit("/", 1)[0]
    return f"{server}/{database}" + (f"?{query}" if query else "")


@pytest.fixture(scope="session")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A URL of a server where this worker may create databases."""
    configured = os.environ.get("SAHOD_TEST_DATABASE_URL")
    if configured:
        yield configured
        return
    # Run as root, pgserver creates a system user and opens up the folders above the data
    # directory on first use; two pytest workers doing that at once on a fresh machine
    # break each other's initdb, so the workers start their servers one at a time. The data
    # dir is not under pytest's own folder, which pytest closes to other users again.
    lock_path = tmp_path_factory.getbasetemp().parent / "embedded-pg.lock"
    with contextlib.ExitStack() as stack:
        with lock_path.open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            data_dir = stack.enter_context(embedded_data_dir())
            embedded = start_embedded(data_dir)
            fcntl.flock(lock, fcntl.LOCK_UN)
        yield embedded.url
        embedded.handle.cleanup()


@contextmanager
def scratch_database(server_url: str, prefix: str) -> Iterator[str]:
    """A new, empty database on the test server, dropped afterwards; its URL."""
    name = f"{prefix}_{secrets.token_hex(3)}"
    admin = _admin_url(server_url, "postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _admin_url(server_url, name)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def database_url(server_url: str, worker_id: str) -> Iterator[str]:
    with scratch_database(server_url, f"sahod_test_{worker_id}") as url:
        yield url


@pytest.fixture(scope="session")
def test_settings(database_url: str) -> Settings:
    data_dir = Path(tempfile.mkdtemp(prefix="sahod-test-"))
    return Settings(
        database_url=database_url,
        data_dir=data_dir,
        run_worker=False,
        sealing_key=base64.b64encode(secrets.token_bytes(32)).decode(),
        public_url="http://testserver",
        # Tests opt in to what the embedded dev server allows: sandbox webhooks to receivers
        # on this machine (and a private address the URL-rule tests name).
        webhook_sandbox_allowed_networks=["127.0.0.0/8", "::1/128", "10.0.0.0/8"],
        # Tests send far more than 20 requests a second; tests/limits turn limits on.
        rate_limit_per_ip=0,
        auth_failures_per_minute=0,
        link_accounts_per_token_hour=0,
        link_accounts_per_user_day=0,
        link_archives_per_user_day=0,
        portal_sign_in_failures_per_hour=0,
        # A database URL makes this a production server, which mounts no sandbox portals
        # unless asked: the in-process tests use them.
        sandbox_portals=True,
    )


@pytest.fixture(scope="session")
async def shared_runtime(test_settings: Settings, database_url: str) -> AsyncIterator[Runtime]:
    async with open_runtime(test_settings, database_url=database_url) as runtime:
        yield runtime


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(TEST_START)


@pytest.fixture
async def db_connection(shared_runtime: Runtime) -> AsyncIterator[AsyncConnection]:
    async with shared_runtime.engine.connect() as connection:
        transaction = await connection.begin()
        try:
            yield connection
        finally:
            await transaction.rollback()


@pytest.fixture
def runtime(shared_runtime: Runtime, db_connection: AsyncConnection, clock: ManualClock) -> Runtime:
    """The shared runtime, but every session joins this test's rolled-back transaction."""
    factory = async_sessionmaker(
        bind=db_connection,
        expire_on_commit=False,
        autoflush=False,
        join_transaction_mode="create_savepoint",
    )
    return replace(shared_runtime, session_factory=factory, clock=clock)


@pytest.fixture
async def session(runtime: Runtime) -> AsyncIterator[AsyncSession]:
    async with runtime.session_factory() as session:
        yield session


@pytest.fixture
def app(process_app: FastAPI, runtime: Runtime) -> object:
    """The app, pointed at this test's runtime (its rolled-back transaction and clock)."""
    process_app.state.runtime = runtime
    process_app.state.session_factory = runtime.session_factory
    process_app.state.clock = runtime.clock
    return process_app


@pytest.fixture(scope="session")
def process_app(shared_runtime: Runtime) -> FastAPI:
    """One app per test process: FastAPI analyses a route's dependencies and models the
    first time an app serves it, which cost more than most tests do; ``app`` gives each
    test its own runtime on it."""
    return create_app(runtime=shared_runtime)


def signed_link_path(url: str) -> str:
    """A signed download link as the test app hands it out (its host is the test
    client's), as a path to request from that client."""
    parts = urlsplit(url)
    assert parts.scheme == "http" and parts.netloc == "testserver", url
    return f"{parts.path}?{parts.query}"


@dataclass
class TenantClient:
    """An HTTP client authenticated as one tenant."""

    keys: IssuedKeys
    http: httpx.AsyncClient

    @property
    def tenant_id(self) -> str:
        return self.keys.tenant_id

    async def create_webhook(
        self, url: str, secret: str = "a-secret-of-sixteen-chars", **fields: Any
    ) -> str:
        """``POST /v1/webhooks`` (every event, active, unless ``fields`` say otherwise);
        the new webhook's id."""
        body = {"name": "test", "url": url, "eventTypes": ["ALL_EVENTS"], "active": True}
        response = await self.http.post("/v1/webhooks", json=body | fields | {"secret": secret})
        assert response.status_code == 200, response.text
        webhook_id: str = response.json()["data"]["id"]
        return webhook_id


async def _tenant_client(
    app: object, session: AsyncSession, name: str, clock: ManualClock
) -> TenantClient:
    keys = await create_tenant(session, name, TenantMode.SANDBOX, clock.now())
    await session.commit()
    http = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),  # type: ignore[arg-type]
        base_url="http://testserver",
        auth=(keys.api_key, keys.api_secret),
    )
    return TenantClient(keys=keys, http=http)


@pytest.fixture
async def tenant(
    app: object, session: AsyncSession, clock: ManualClock
) -> AsyncIterator[TenantClient]:
    client = await _tenant_client(app, session, "Acme Lending", clock)
    async with client.http:
        yield client


@pytest.fixture
async def other_tenant(
    app: object, session: AsyncSession, clock: ManualClock
) -> AsyncIterator[TenantClient]:
    client = await _tenant_client(app, session, "Other Bank", clock)
    async with client.http:
        yield client


@pytest.fixture
async def anonymous(app: object) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),  # type: ignore[arg-type]
        base_url="http://testserver",
    ) as http:
        yield http
