"""The sandbox portals under a real uvicorn server on loopback, for the portal tests."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from sahod.kit.clock import ManualClock
from sahod.sandbox.server import BackgroundPortals

SANDBOX_START = datetime(2025, 11, 20, 2, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def sandbox_portal_clock() -> ManualClock:
    return ManualClock(SANDBOX_START)


@pytest.fixture(scope="session")
def running_portals(sandbox_portal_clock: ManualClock) -> Iterator[BackgroundPortals]:
    with BackgroundPortals(clock=sandbox_portal_clock) as portals:
        yield portals


@pytest.fixture
def portals(
    running_portals: BackgroundPortals, sandbox_portal_clock: ManualClock
) -> Iterator[BackgroundPortals]:
    """The running portals, with faults, sessions and the clock put back after the test."""
    yield running_portals
    for provider in ("sss", "gsis", "philhealth", "pagibig"):
        running_portals.portal(provider).reset()
    sandbox_portal_clock.set(SANDBOX_START)
