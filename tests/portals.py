"""The one sandbox-portals fixture of the suite (a pytest plugin, loaded by tests/conftest.py).

Every registered provider's portal runs once per pytest worker, under a real uvicorn server
on loopback, so connectors reach it over real HTTP as they would a real portal. A test
asks for ``portals``; the portals then read the test's ``portals_clock`` (a directory's
conftest overrides that fixture to start its tests at another instant, or to share the
test's own clock), and every portal's sessions, counters and faults are reset after it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from sahod.kit.clock import Clock, ManualClock
from sahod.providers.registry import REGISTRATIONS
from sahod.providers.sandbox import BackgroundPortals

PORTALS_DEFAULT_START = datetime(2026, 3, 18, 2, 0, tzinfo=UTC)


class FollowingClock:
    """A clock that reads whichever clock it currently follows: the shared portals keep
    one clock object while each test brings its own."""

    def __init__(self, followed: Clock) -> None:
        self.followed = followed

    def now(self) -> datetime:
        return self.followed.now()


@pytest.fixture(scope="session")
def _portals_following() -> FollowingClock:
    return FollowingClock(ManualClock(PORTALS_DEFAULT_START))


@pytest.fixture(scope="session")
def _running_portals(_portals_following: FollowingClock) -> Iterator[BackgroundPortals]:
    with BackgroundPortals(clock=_portals_following) as running:
        yield running


@pytest.fixture
def portals_clock() -> ManualClock:
    """The clock the portals read during one test."""
    return ManualClock(PORTALS_DEFAULT_START)


@pytest.fixture
def portals(
    _running_portals: BackgroundPortals,
    _portals_following: FollowingClock,
    portals_clock: ManualClock,
) -> Iterator[BackgroundPortals]:
    """The running portals on this test's clock, put back as they were afterwards."""
    _portals_following.followed = portals_clock
    try:
        yield _running_portals
    finally:
        for registration in REGISTRATIONS:
            _running_portals.portal(registration.id).reset()
        _portals_following.followed = ManualClock(PORTALS_DEFAULT_START)
