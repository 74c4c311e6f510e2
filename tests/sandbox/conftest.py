"""The portal tests run on the suite's sandbox portals (``portals``, tests/portals.py),
starting from their own instant."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sahod.kit.clock import ManualClock

SANDBOX_START = datetime(2025, 11, 20, 2, 0, tzinfo=UTC)


@pytest.fixture
def portals_clock() -> ManualClock:
    return ManualClock(SANDBOX_START)


@pytest.fixture
def sandbox_portal_clock(portals_clock: ManualClock) -> ManualClock:
    """The portals' clock, for a test that moves it (each test has its own)."""
    return portals_clock
