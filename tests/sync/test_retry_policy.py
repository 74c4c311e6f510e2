"""A link whose portal is away keeps being tried for the window, at capped intervals."""

from __future__ import annotations

from sahod.config import Settings
from sahod.sync.retry_policy import link_retry_waits, retry_wait


def test_a_link_is_retried_for_two_hours_at_most_five_minutes_apart() -> None:
    settings = Settings()
    waits = link_retry_waits(settings)
    assert waits[:4] == [5, 10, 20, 40]
    assert max(waits) == 300
    assert 6600 <= sum(waits) <= 7200  # an hour of maintenance is well inside it
    assert retry_wait(settings, len(waits) - 1, syncing=False) == 300
    assert retry_wait(settings, len(waits), syncing=False) is None


def test_without_a_window_a_link_still_gets_its_link_attempts() -> None:
    settings = Settings(link_retry_window_seconds=0, retry_base_seconds=5)
    assert [retry_wait(settings, n, syncing=False) for n in range(4)] == [5, 10, 20, None]


def test_a_monthly_sync_keeps_its_own_schedule() -> None:
    settings = Settings(sync_retry_base_seconds=600)
    assert [retry_wait(settings, n, syncing=True) for n in range(4)] == [600, 1200, 2400, None]
