"""The tenant API's rate limit and the brake on failed authentication, in process, with the
counters in the test database (each test from its own client address)."""

from __future__ import annotations

import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from sahod.app import create_app
from sahod.runtime import Runtime
from tests.conftest import TenantClient


def fresh_address() -> str:
    return f"203.0.113.{secrets.randbelow(250) + 1}-{secrets.token_hex(3)}"


def limited_app(runtime: Runtime, **limits: Any) -> object:
    settings = runtime.settings.model_copy(update=limits)
    return create_app(runtime=replace(runtime, settings=settings))


@pytest.fixture
async def client_factory(
    tenant: TenantClient,
) -> AsyncIterator[Any]:
    made: list[httpx.AsyncClient] = []

    def make(app: object, address: str, auth: tuple[str, str] | None = None) -> httpx.AsyncClient:
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, client=(address, 5000)),  # type: ignore[arg-type]
            base_url="http://testserver",
            auth=auth or (tenant.keys.api_key, tenant.keys.api_secret),
        )
        made.append(client)
        return client

    yield make
    for client in made:
        await client.aclose()


def start_of_a_second() -> None:
    """Waits for the next second to begin, so a burst falls in one window."""
    fraction = time.time() % 1
    if fraction > 0.05:
        time.sleep(1 - fraction + 0.001)


async def test_the_21st_request_in_a_second_from_one_address_is_429(
    runtime: Runtime, client_factory: Any
) -> None:
    app = limited_app(runtime, rate_limit_per_ip=20)
    client = client_factory(app, fresh_address())
    other = client_factory(app, fresh_address())
    start_of_a_second()
    answers = [await client.get("/v1/providers") for _ in range(21)]
    assert [a.status_code for a in answers[:20]] == [200] * 20
    refused = answers[20]
    assert refused.status_code == 429
    assert refused.json()["code"] == "REQUEST_LIMIT_EXCEEDED"
    assert refused.json()["requestId"] == refused.headers["x-request-id"]
    assert refused.headers["retry-after"] == "1"
    assert refused.headers["ratelimit-policy"] == '"ip";q=20;w=1'
    assert refused.headers["ratelimit"] == '"ip";r=0;t=1'
    assert answers[0].headers["ratelimit"] == '"ip";r=19;t=1'
    # Another address is counted on its own.
    assert (await other.get("/v1/providers")).status_code == 200


async def test_the_limit_can_be_per_api_key_too(runtime: Runtime, client_factory: Any) -> None:
    app = limited_app(runtime, rate_limit_per_ip=0, rate_limit_per_key=3)
    start_of_a_second()
    statuses = [
        (await client_factory(app, fresh_address()).get("/v1/providers")).status_code
        for _ in range(4)
    ]
    assert statuses == [200, 200, 200, 429]


async def test_repeated_failed_authentication_from_one_address_is_slowed_down(
    runtime: Runtime, client_factory: Any, tenant: TenantClient
) -> None:
    app = limited_app(runtime, auth_failures_per_minute=10)
    address = fresh_address()
    wrong = client_factory(app, address, auth=(tenant.keys.api_key, "not-the-secret"))
    failures = [(await wrong.get("/v1/users")).status_code for _ in range(10)]
    assert failures == [401] * 10
    blocked = await wrong.get("/v1/users")
    assert blocked.status_code == 429
    assert blocked.json()["code"] == "REQUEST_LIMIT_EXCEEDED"
    assert 1 <= int(blocked.headers["retry-after"]) <= 60
    # The right secret from that address waits too; another address does not.
    right = client_factory(app, address)
    assert (await right.get("/v1/users")).status_code == 429
    assert (await client_factory(app, fresh_address()).get("/v1/users")).status_code == 200


async def test_ended_windows_are_cleaned_up(runtime: Runtime, client_factory: Any) -> None:
    async with runtime.engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO rate_counters VALUES ('ip:stale', 1, 5, now() - interval '1 hour')"
                " ON CONFLICT DO NOTHING"
            )
        )
    app = limited_app(runtime, rate_limit_per_ip=20)
    from sahod.limits.service import counters_of

    counters_of(runtime.extras, runtime.engine)._next_cleanup = 0.0
    assert (await client_factory(app, fresh_address()).get("/v1/providers")).status_code == 200
    async with runtime.engine.connect() as connection:
        left = await connection.scalar(
            text("SELECT count(*) FROM rate_counters WHERE bucket = 'ip:stale'")
        )
    assert left == 0


async def test_the_counters_table_is_unlogged(runtime: Runtime) -> None:
    async with runtime.engine.connect() as connection:
        persistence = await connection.scalar(
            text("SELECT relpersistence FROM pg_class WHERE relname = 'rate_counters'")
        )
    assert persistence == "u"
