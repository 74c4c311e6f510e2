"""The Link API's limits: what a widget token (and the user behind it) may make Sahod do.

Each account creation or reauthorization is a real sign-in at a government portal with
the credentials a browser sent, so without these Sahod would relay credential stuffing:
per token and per user, sign-ins are counted; per provider user name, rejected sign-ins
(the portal's INVALID_CREDENTIALS) close that name for the rest of the window.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from sahod.config import Settings
from sahod.errors import RequestLimitExceeded
from sahod.limits.service import Counters, Limit, count, digest

HOUR = 3600
DAY = 86400


def _username_bucket(provider_id: str, username: str) -> str:
    return f"signin-fail:{provider_id}:{digest(username.strip().casefold())}"


def _failure_limit(settings: Settings) -> Limit:
    return Limit("sign-in-failures", settings.portal_sign_in_failures_per_hour, HOUR)


async def before_sign_in(
    counters: Counters,
    settings: Settings,
    *,
    token: str,
    user_id: str,
    provider_id: str,
    username: str,
) -> None:
    """Counts one account creation or reauthorization; raises ``RateLimited`` (429 with
    Retry-After) when the token, the user or the provider user name is over its limit."""
    if settings.portal_sign_in_failures_per_hour:
        await counters.refuse_if_reached(
            [(_username_bucket(provider_id, username), _failure_limit(settings))],
            "Too many rejected sign-ins with this user name; try again later.",
        )
    checks: list[tuple[str, Limit]] = []
    if settings.link_accounts_per_token_hour:
        checks.append(
            (
                f"link-token:{digest(token)}",
                Limit("link-token", settings.link_accounts_per_token_hour, HOUR),
            )
        )
    if settings.link_accounts_per_user_day:
        checks.append(
            (f"link-user:{user_id}", Limit("link-user", settings.link_accounts_per_user_day, DAY))
        )
    if checks:
        await counters.enforce(
            checks, "Too many sign-in attempts from this widget; try again later."
        )


async def record_rejected_sign_in(
    counters: Counters, settings: Settings, provider_id: str, username: str
) -> None:
    """To be called where a portal answered INVALID_CREDENTIALS (sync pipeline): counts the
    rejection against the provider user name."""
    if settings.portal_sign_in_failures_per_hour:
        await counters.count([(_username_bucket(provider_id, username), _failure_limit(settings))])


async def count_rejected_sign_in(
    connection: AsyncConnection, settings: Settings, provider_id: str, username: str
) -> None:
    """The same count, in the transaction that fails the account on INVALID_CREDENTIALS
    (the sync pipeline), so the rejection and its count commit together."""
    if settings.portal_sign_in_failures_per_hour:
        await count(
            connection, [(_username_bucket(provider_id, username), _failure_limit(settings))]
        )


class OpenStreams:
    """Event streams open per widget session, in this process.

    A stream is a connection held for minutes; the count is per process (a stream lives on
    one process and ends with it, so there is nothing to leak across a crash)."""

    def __init__(self) -> None:
        self._open: dict[str, int] = {}

    def acquire(self, key: str, quota: int) -> None:
        """Counts one more open stream, or raises 429 when ``quota`` are open already."""
        if quota and self._open.get(key, 0) >= quota:
            raise RequestLimitExceeded(
                f"At most {quota} event streams may be open at once for one widget session."
            )
        self._open[key] = self._open.get(key, 0) + 1

    def release(self, key: str) -> None:
        left = self._open.get(key, 0) - 1
        if left > 0:
            self._open[key] = left
        else:
            self._open.pop(key, None)


def open_streams(extras: dict[str, object]) -> OpenStreams:
    found = extras.get("limits.streams")
    if not isinstance(found, OpenStreams):
        found = OpenStreams()
        extras["limits.streams"] = found
    return found


async def before_upload(counters: Counters, settings: Settings, *, user_id: str) -> None:
    """Counts one document upload from the widget (up to 64 MB of body each, stored and
    analysed); raises ``RateLimited`` when the user is over LINK_ARCHIVES_PER_USER_DAY."""
    if settings.link_archives_per_user_day:
        await counters.enforce(
            [
                (
                    f"link-archives:{user_id}",
                    Limit("link-archives", settings.link_archives_per_user_day, DAY),
                )
            ],
            "Too many documents uploaded from this widget today; try again tomorrow.",
        )
