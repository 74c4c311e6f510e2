"""Slow, flaky, rate-limited and down-for-maintenance portals, made so with the portals'
fault injection, against connectors with timeouts, backoff and a concurrency limit."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest

from sahod.providers.base import (
    Connector,
    ConnectorError,
    Credentials,
    ErrorCode,
    ServiceUnavailable,
)
from sahod.providers.http import RetryPolicy
from sahod.providers.sandbox import BackgroundPortals

from .conftest import SetFaults, SignIn

MakeConnector = Callable[..., Connector]
GEORGE = ("gpalomero1234@smileapi.io", "123456")


async def test_a_slow_portal_times_out_and_is_worth_retrying_later(
    connector_for: MakeConnector, sign_in: SignIn, set_faults: SetFaults
) -> None:
    await set_faults("philhealth", slow_persona_ms=150)
    impatient = connector_for(
        "philhealth", timeout=0.05, retry=RetryPolicy(max_attempts=2, backoff_base=0.01)
    )
    started = time.monotonic()
    with pytest.raises(ServiceUnavailable) as caught:
        await sign_in(impatient, "slow@sahod.test", "sandbox1")
    assert caught.value.retriable
    assert time.monotonic() - started < 0.8, "every call is bounded by the timeout"

    patient = connector_for("philhealth", timeout=2.0)
    assert await patient.fetch(await sign_in(patient, "slow@sahod.test", "sandbox1"))


async def test_a_flaky_portal_is_retried_through(
    portals: BackgroundPortals, connector_for: MakeConnector, sign_in: SignIn
) -> None:
    stats = portals.portal("pagibig").stats
    failures_before = stats["status_502"]
    connector = connector_for("pagibig")
    records = await connector.fetch(await sign_in(connector, "flaky@sahod.test", "sandbox1"))
    assert records
    assert stats["status_502"] > failures_before, "the portal did fail along the way"


async def test_maintenance_fails_fast_with_a_retry_hint(
    connector_for: MakeConnector, set_faults: SetFaults
) -> None:
    await set_faults("sss", maintenance=True)
    started = time.monotonic()
    with pytest.raises(ServiceUnavailable) as caught:
        await connector_for("sss").login(Credentials(*GEORGE))
    assert time.monotonic() - started < 0.5, "an hour-long window is not waited out"
    assert caught.value.code is ErrorCode.SERVICE_UNAVAILABLE
    assert caught.value.retriable
    assert caught.value.retry_after is not None and caught.value.retry_after >= 3600


async def test_a_portal_that_always_errors_gives_up_after_the_retries(
    portals: BackgroundPortals, connector_for: MakeConnector, set_faults: SetFaults
) -> None:
    await set_faults("gsis", error_rate=1.0)
    stats = portals.portal("gsis").stats
    before = stats["status_503"]
    connector = connector_for("gsis", retry=RetryPolicy(max_attempts=3, backoff_base=0.01))
    with pytest.raises(ConnectorError) as caught:
        await connector.login(Credentials(*GEORGE))
    assert caught.value.code is ErrorCode.SERVICE_UNAVAILABLE and caught.value.retriable
    assert stats["status_503"] - before == 3


async def test_intermittent_errors_are_absorbed(
    portals: BackgroundPortals, connector_for: MakeConnector, sign_in: SignIn, set_faults: SetFaults
) -> None:
    await set_faults("sss", error_rate=0.2, seed=7)
    stats = portals.portal("sss").stats
    before = stats["status_503"]
    connector = connector_for("sss", retry=RetryPolicy(max_attempts=8, backoff_base=0.01))
    assert await connector.fetch(await sign_in(connector, *GEORGE))
    assert stats["status_503"] > before


async def test_hitting_a_portal_too_fast_gets_429s_that_are_waited_out(
    portals: BackgroundPortals, connector_for: MakeConnector, sign_in: SignIn, set_faults: SetFaults
) -> None:
    await set_faults("pagibig", rate_limit_burst=6, rate_limit_per_second=50.0)
    stats = portals.portal("pagibig").stats
    before = stats["status_429"]
    connector = connector_for("pagibig")
    records = await connector.fetch(await sign_in(connector, *GEORGE))
    assert len(records) > 100
    assert stats["status_429"] > before


@pytest.mark.parametrize(("limit", "expect_at_most"), [(2, 2), (8, 8)])
async def test_requests_in_flight_to_a_portal_are_capped(
    limit: int,
    expect_at_most: int,
    portals: BackgroundPortals,
    connector_for: MakeConnector,
    sign_in: SignIn,
    set_faults: SetFaults,
) -> None:
    await set_faults("philhealth", latency_ms=15)
    stats = portals.portal("philhealth").stats
    stats["in_flight_max"] = 0
    connector = connector_for("philhealth", max_concurrency=limit)

    async def one() -> None:
        await connector.fetch(await sign_in(connector, *GEORGE))

    await asyncio.gather(*(one() for _ in range(4)))
    assert 1 < stats["in_flight_max"] <= expect_at_most
