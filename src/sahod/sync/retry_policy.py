"""How long a link or a sync whose portal is unavailable keeps being tried, and how often.

A link (a user waiting in the widget, or an account created through the API) is tried
again with capped exponential backoff (``retry_base_seconds`` doubling, at most
``link_retry_max_wait_seconds`` apart) for ``link_retry_window_seconds`` (2 h by
default): a portal in maintenance for an hour leaves the account PENDING and it connects
once the portal is back, rather than ending in ERROR after a minute. A monthly sync keeps
its own schedule: ``link_attempts`` tries, ``sync_retry_base_seconds`` doubling.
"""

from __future__ import annotations

from sahod.config import Settings


def link_retry_waits(settings: Settings) -> list[float]:
    """Every wait of a link's retries, in order; their sum stays within the window."""
    waits: list[float] = []
    total = 0.0
    wait = settings.retry_base_seconds
    while wait > 0:
        step = min(wait, settings.link_retry_max_wait_seconds)
        if total + step > settings.link_retry_window_seconds:
            break
        waits.append(step)
        total += step
        wait *= 2
    # At least the tries there were before the window existed.
    while len(waits) < settings.link_attempts - 1:
        waits.append(settings.retry_base_seconds * 2.0 ** len(waits))
    return waits


def retry_wait(settings: Settings, attempt: int, *, syncing: bool) -> float | None:
    """Seconds before try ``attempt + 1`` after a retriable failure of try ``attempt``
    (counting from 0), or None when it is time to give up (SERVICE_UNAVAILABLE)."""
    if syncing:
        if attempt + 1 >= settings.link_attempts:
            return None
        return settings.sync_retry_base_seconds * 2.0**attempt
    waits = link_retry_waits(settings)
    return waits[attempt] if attempt < len(waits) else None
