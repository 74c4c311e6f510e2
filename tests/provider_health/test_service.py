"""A provider turns degraded when its portal goes into maintenance: real links against the
sandbox portals, the health read back from the tasks they finished."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from sahod.errors import MissingResource
from sahod.kit.clock import ManualClock
from sahod.provider_health.schemas import HealthStatus, WindowName
from sahod.provider_health.service import all_provider_health, provider_health
from sahod.providers.sandbox import BackgroundPortals
from sahod.runtime import Runtime
from tests.provider_health.conftest import Linker


async def test_maintenance_turns_the_provider_degraded_with_the_right_rates(
    linker: Linker,
    portals: BackgroundPortals,
    session: AsyncSession,
    runtime: Runtime,
    clock: ManualClock,
) -> None:
    settings = runtime.settings
    await linker.link("sss", "nomfa@sahod.test", "sandbox1", takes=10)
    await linker.link("sss", "nomfa@sahod.test", "sandbox1", takes=20)
    await linker.link("sss", "someone@sahod.test", "error_INVALID_CREDENTIALS")

    before = await provider_health(session, "sss", clock.now(), settings)
    hour = before.window(WindowName.HOUR)
    assert (hour.attempts, hour.succeeded, hour.failed) == (3, 2, 1)
    # Three sign-ins are too few to judge (the threshold is five).
    assert before.status is HealthStatus.UNKNOWN and not before.degraded
    assert hour.median_seconds_to_connected == pytest.approx(15.0)
    assert hour.p95_seconds_to_connected == pytest.approx(19.5)
    assert before.last_success_at is not None

    portals.portal("sss").faults.update({"maintenance": True})
    for _ in range(5):
        await linker.link("sss", "nomfa@sahod.test", "sandbox1")

    after = await provider_health(session, "sss", clock.now(), settings)
    hour = after.window(WindowName.HOUR)
    assert (hour.attempts, hour.succeeded, hour.failed) == (8, 2, 6)
    assert hour.success_rate == pytest.approx(0.25)
    assert after.status is HealthStatus.DEGRADED and after.degraded
    assert [(e.error_code, e.count) for e in hour.errors] == [
        ("SERVICE_UNAVAILABLE", 5),
        ("INVALID_CREDENTIALS", 1),
    ]
    assert hour.errors[0].share == pytest.approx(5 / 6)
    # Failed sign-ins never connected: the times are still those of the two that did.
    assert hour.connected_count == 2
    assert after.last_success_at == before.last_success_at

    # The other portals are not in maintenance: nothing is said against them.
    everyone = {h.provider_id: h for h in await all_provider_health(session, clock.now(), settings)}
    assert everyone["gsis"].status is HealthStatus.UNKNOWN
    assert everyone["gsis"].window(WindowName.WEEK).attempts == 0

    # An hour and a bit later the hour is empty again; the day and the week remember.
    clock.advance(timedelta(minutes=61))
    later = await provider_health(session, "sss", clock.now(), settings)
    assert later.window(WindowName.HOUR).attempts == 0
    assert later.status is HealthStatus.UNKNOWN
    assert later.window(WindowName.DAY).attempts == 8
    assert later.window(WindowName.WEEK).success_rate == pytest.approx(0.25)
    day_series = next(s for s in later.series if s.window is WindowName.DAY)
    assert day_series.bucket_seconds == 3600 and len(day_series.buckets) == 24
    assert sum(b.attempts for b in day_series.buckets) == 8
    assert sum(b.failed for b in day_series.buckets) == 6


async def test_a_recovered_portal_is_operational(
    linker: Linker, session: AsyncSession, runtime: Runtime, clock: ManualClock
) -> None:
    for _ in range(5):
        await linker.link("pagibig", "nomfa@sahod.test", "sandbox1")
    health = await provider_health(session, "pagibig", clock.now(), runtime.settings)
    assert health.status is HealthStatus.OPERATIONAL
    assert health.window(WindowName.HOUR).success_rate == 1.0
    assert health.window(WindowName.HOUR).errors == []


async def test_an_unknown_provider_is_missing(
    session: AsyncSession, runtime: Runtime, clock: ManualClock
) -> None:
    with pytest.raises(MissingResource):
        await provider_health(session, "nope", clock.now(), runtime.settings)
