"""Fixed-window counters in PostgreSQL, and what a refusal looks like on the wire.

One statement per check: every bucket the request counts against is upserted at once and
the hits come back, so a limit costs one round trip whatever it counts. Windows are fixed
(aligned to the epoch), the scheme Smile's "20 requests per second" describes; a window
that has ended is deleted by whichever process next cleans up (at most every few seconds).
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from sahod.db import side_engine_of
from sahod.errors import RequestLimitExceeded

CLEANUP_EVERY_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class Limit:
    """At most ``quota`` hits per ``window_seconds``; ``name`` labels it in the headers."""

    name: str
    quota: int
    window_seconds: int


@dataclass(frozen=True, slots=True)
class Verdict:
    limit: Limit
    hits: int
    reset_seconds: int

    @property
    def allowed(self) -> bool:
        return self.hits <= self.limit.quota

    @property
    def remaining(self) -> int:
        return max(0, self.limit.quota - self.hits)


def policy_header(verdicts: Sequence[Verdict]) -> str:
    """``RateLimit-Policy`` (draft-ietf-httpapi-ratelimit-headers): each policy's quota."""
    return ", ".join(
        f'"{v.limit.name}";q={v.limit.quota};w={v.limit.window_seconds}' for v in verdicts
    )


def state_header(verdicts: Sequence[Verdict]) -> str:
    """``RateLimit``: what is left of each policy's window, and when it resets."""
    return ", ".join(f'"{v.limit.name}";r={v.remaining};t={v.reset_seconds}' for v in verdicts)


def limit_headers(verdicts: Sequence[Verdict]) -> dict[str, str]:
    headers = {"RateLimit-Policy": policy_header(verdicts), "RateLimit": state_header(verdicts)}
    refused = [v for v in verdicts if not v.allowed]
    if refused:
        headers["Retry-After"] = str(max(v.reset_seconds for v in refused))
    return headers


class RateLimited(RequestLimitExceeded):
    """A 429 whose envelope carries Retry-After and the RateLimit headers."""

    def __init__(self, message: str, verdicts: Sequence[Verdict]) -> None:
        super().__init__(message)
        self.headers = limit_headers(verdicts)


def digest(value: str) -> str:
    """A bucket name for a secret-ish value (a token, a user name): never stored as given."""
    return hashlib.sha256(value.encode()).hexdigest()[:32]


_HIT_AND_PEEK = """
WITH hit AS (
    INSERT INTO rate_counters AS c (bucket, window_start, hits, expires_at)
    SELECT b.bucket, b.window_start, b.cost, to_timestamp(b.window_start + b.window_seconds)
    FROM unnest(
        CAST(:buckets AS text[]), CAST(:starts AS bigint[]), CAST(:windows AS bigint[]),
        CAST(:costs AS int[])
    ) AS b(bucket, window_start, window_seconds, cost)
    ON CONFLICT (bucket, window_start) DO UPDATE SET hits = c.hits + EXCLUDED.hits
    RETURNING c.bucket, c.hits
)
SELECT bucket, hits FROM hit
UNION ALL
SELECT bucket, hits FROM rate_counters
WHERE (bucket, window_start) IN (
    SELECT * FROM unnest(CAST(:peek_buckets AS text[]), CAST(:peek_starts AS bigint[]))
)
"""


def _window(limit: Limit, now: float) -> tuple[int, int]:
    start = int(now // limit.window_seconds) * limit.window_seconds
    reset = max(1, math.ceil(start + limit.window_seconds - now))
    return start, reset


async def count(
    connection: AsyncConnection,
    checks: Sequence[tuple[str, Limit]],
    peeks: Sequence[tuple[str, Limit]] = (),
    *,
    now: float | None = None,
) -> tuple[list[Verdict], list[Verdict]]:
    """Counts one hit against each of ``checks`` and reads ``peeks`` without counting, in
    one statement; the verdicts of each, in order."""
    now = time.time() if now is None else now
    check_windows = [_window(limit, now) for _, limit in checks]
    peek_windows = [_window(limit, now) for _, limit in peeks]
    rows = await connection.execute(
        text(_HIT_AND_PEEK),
        {
            "buckets": [bucket for bucket, _ in checks],
            "starts": [start for start, _ in check_windows],
            "windows": [limit.window_seconds for _, limit in checks],
            "costs": [1] * len(checks),
            "peek_buckets": [bucket for bucket, _ in peeks],
            "peek_starts": [start for start, _ in peek_windows],
        },
    )
    hits = {str(row[0]): int(row[1]) for row in rows.all()}

    def verdicts(
        items: Sequence[tuple[str, Limit]], windows: list[tuple[int, int]]
    ) -> list[Verdict]:
        return [
            Verdict(limit=limit, hits=hits.get(bucket, 0), reset_seconds=reset)
            for (bucket, limit), (_, reset) in zip(items, windows, strict=True)
        ]

    return verdicts(checks, check_windows), verdicts(peeks, peek_windows)


class Counters:
    """The counters of one process: an autocommit engine with a pool of its own (counts are
    taken while a request's session holds a connection of the main pool), and the
    cleanup's schedule."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = side_engine_of(engine)
        self._next_cleanup = 0.0

    async def count(
        self, checks: Sequence[tuple[str, Limit]], peeks: Sequence[tuple[str, Limit]] = ()
    ) -> tuple[list[Verdict], list[Verdict]]:
        if not checks and not peeks:
            return [], []
        now = time.time()
        async with self._engine.connect() as connection:
            found = await count(connection, checks, peeks, now=now)
            if now >= self._next_cleanup:
                self._next_cleanup = now + CLEANUP_EVERY_SECONDS
                await connection.execute(text("DELETE FROM rate_counters WHERE expires_at < now()"))
        return found

    async def enforce(self, checks: Sequence[tuple[str, Limit]], message: str) -> list[Verdict]:
        """Counts, and raises ``RateLimited`` if any limit is now exceeded."""
        verdicts, _ = await self.count(checks)
        if any(not v.allowed for v in verdicts):
            raise RateLimited(message, verdicts)
        return verdicts

    async def refuse_if_reached(self, peeks: Sequence[tuple[str, Limit]], message: str) -> None:
        """Raises ``RateLimited`` if any of these counters is already at its quota (reads
        only: for counters something else adds to, such as failed sign-ins)."""
        _, verdicts = await self.count((), peeks)
        reached = [v for v in verdicts if v.hits >= v.limit.quota]
        if reached:
            raise RateLimited(message, [replace(v, hits=v.hits + 1) for v in reached])


def counters_of(extras: dict[str, object], engine: AsyncEngine) -> Counters:
    """This process's counters, kept in the runtime's extras."""
    found = extras.get("limits.counters")
    if not isinstance(found, Counters):
        found = Counters(engine)
        extras["limits.counters"] = found
    return found
