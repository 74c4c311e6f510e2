"""Connectors against the suite's sandbox portals (``portals``, tests/portals.py); they
reach them over real HTTP, as they would a real portal."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime

import httpx
import pytest

from sahod.kit.clock import ManualClock
from sahod.providers.base import Connector, Credentials, MfaChallenge, PortalSession
from sahod.providers.http import RetryPolicy
from sahod.providers.registry import REGISTRATIONS, create_connector
from sahod.providers.sandbox import BackgroundPortals

PORTALS_START = datetime(2026, 3, 18, 2, 0, tzinfo=UTC)
"""10:00 in Manila, mid-month: every persona's loans are somewhere in their life."""

PROVIDERS = tuple(r.id for r in REGISTRATIONS)
SetFaults = Callable[..., Awaitable[dict[str, object]]]
FAST_RETRY = RetryPolicy(max_attempts=4, backoff_base=0.02, backoff_cap=0.2)


@pytest.fixture
def portals_clock() -> ManualClock:
    return ManualClock(PORTALS_START)


@pytest.fixture
def sandbox_clock(portals_clock: ManualClock) -> ManualClock:
    """The portals' clock, for a test that moves it (each test has its own)."""
    return portals_clock


@pytest.fixture
async def set_faults(portals: BackgroundPortals) -> AsyncIterator[SetFaults]:
    """Set a portal's faults through its admin endpoint; every portal is reset after."""
    async with httpx.AsyncClient(base_url=portals.base_url) as admin:
        touched: set[str] = set()

        async def put(provider: str, **settings: object) -> dict[str, object]:
            touched.add(provider)
            response = await admin.put(f"/{provider}/_faults", json=settings)
            response.raise_for_status()
            result: dict[str, object] = response.json()
            return result

        yield put
        for provider in touched:
            (await admin.put(f"/{provider}/_faults", json=_DEFAULT_FAULTS)).raise_for_status()


_DEFAULT_FAULTS = {
    "latency_ms": 0,
    "error_rate": 0.0,
    "maintenance": False,
    "slow_persona_ms": 2000,
    "flaky_every": 3,
    "rate_limit_per_second": 20.0,
    "rate_limit_burst": 40,
    "layout_variant": 0,
    "seed": 0,
}


@pytest.fixture
async def connector_for(
    portals: BackgroundPortals,
) -> AsyncIterator[Callable[..., Connector]]:
    """Connectors against the running portals, closed after the test."""
    made: list[Connector] = []

    def make(
        provider: str,
        *,
        timeout: float = 15.0,
        max_concurrency: int = 50,
        retry: RetryPolicy = FAST_RETRY,
    ) -> Connector:
        connector = create_connector(
            provider,
            base_url=portals.base_url,
            timeout=timeout,
            max_concurrency=max_concurrency,
            retry=retry,
        )
        made.append(connector)
        return connector

    yield make
    for connector in made:
        await connector.aclose()


SignIn = Callable[..., Awaitable[PortalSession]]


@pytest.fixture
def sign_in() -> SignIn:
    """Log in and, when the portal asks, pass its one-time code step."""

    async def run(
        connector: Connector, username: str, password: str, code: str = "1234"
    ) -> PortalSession:
        outcome = await connector.login(Credentials(username, password))
        if isinstance(outcome, MfaChallenge):
            return await connector.submit_mfa(outcome.pending_state, code)
        return outcome

    return run
