"""One HTTP attempt of a delivery: POST the body, time it, keep the start of the answer."""

from __future__ import annotations

import asyncio
import functools
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

import aiohttp

from sahod.config import Settings
from sahod.webhooks.guard import AddressRefused, GuardedConnector, Unresolvable, policy_for

RESPONSE_KEPT_BYTES = 2048
USER_AGENT = "Sahod-Webhooks/1"

if TYPE_CHECKING:
    from sahod.kit.services import AnyServices as Runtime


@dataclass(frozen=True, slots=True)
class Outcome:
    status_code: int | None
    duration_ms: int
    error: str | None
    response: str | None
    retry_after_seconds: float | None = None

    @property
    def succeeded(self) -> bool:
        return self.error is None and self.status_code is not None and 200 <= self.status_code < 300


@dataclass(eq=False, slots=True)
class Client:
    """One tenant mode's connection pool in this process (closed with the runtime)."""

    session: aiohttp.ClientSession
    loop: asyncio.AbstractEventLoop

    async def aclose(self) -> None:
        await self.session.close()


def client_for(runtime: Runtime, *, production: bool) -> Client:
    """The worker's client for this tenant mode: one connection pool per mode and process.

    Kept in the runtime, so keep-alive connections are reused from one delivery to the next.
    """
    settings = runtime.settings
    key = (
        f"webhooks.client:{'production' if production else 'sandbox'}:"
        f"{','.join(settings.webhook_allowed_networks)}:"
        f"{','.join(settings.webhook_sandbox_allowed_networks)}:{settings.webhook_max_connections}"
    )
    loop = asyncio.get_running_loop()
    client = runtime.extras.get(key)
    if isinstance(client, Client) and not client.session.closed and client.loop is loop:
        return client
    policy = policy_for(settings, production=production)
    session = aiohttp.ClientSession(
        connector=GuardedConnector(policy, max_connections=settings.webhook_max_connections),
        headers={"user-agent": USER_AGENT},
        # No proxy from the environment: a proxy would make the connection, so the guard
        # would check the proxy, not the receiver.
        trust_env=False,
        # A receiver's cookies are not sent back (to it, or to another tenant's receiver).
        cookie_jar=aiohttp.DummyCookieJar(),
        # The deadline is send()'s, read from the settings at each attempt.
        timeout=aiohttp.ClientTimeout(total=None),
    )
    client = Client(session=session, loop=loop)
    runtime.extras[key] = client
    return client


@functools.cache
def _deadline(seconds: float) -> aiohttp.ClientTimeout:
    """One deadline for the whole exchange: connecting, writing, the answer's head and the
    bytes kept of its body (aiohttp's ``total`` runs until the connection is released), so
    a receiver trickling bytes cannot stretch it. Not rounded up to the next whole second,
    as aiohttp does from 5 s on by default. aiohttp's own timer, not ``asyncio.timeout``
    around the request: measured here, that context cost about 8 us of the worker's CPU on
    each request, a tenth of a plain POST's."""
    return aiohttp.ClientTimeout(total=seconds, ceil_threshold=math.inf)


def _retry_after(status: int, headers: Mapping[str, str], now: datetime) -> float | None:
    if status not in (429, 503):
        return None
    value = headers.get("retry-after", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def _text(data: bytes) -> str:
    # PostgreSQL text cannot hold NUL; a receiver may answer anything.
    return data.decode("utf-8", errors="replace").replace("\x00", "\ufffd")


def _describe(error: BaseException, timeout: float) -> str:
    if isinstance(error, TimeoutError):  # aiohttp's own timeouts are TimeoutErrors too
        return f"no answer within {timeout:g} s"
    if isinstance(error, AddressRefused):
        return str(error)
    if isinstance(error, aiohttp.ClientConnectorError):
        if isinstance(error.os_error, Unresolvable):
            return f"could not connect: {error.os_error.strerror}"
        return f"could not connect: {error}" if str(error) else "could not connect"
    if isinstance(error, aiohttp.ClientError):
        return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    return f"{type(error).__name__}: {error}"


async def send(
    client: Client,
    url: str,
    body: bytes,
    headers: dict[str, str],
    settings: Settings,
) -> Outcome:
    timeout = settings.webhook_timeout_seconds
    started = time.perf_counter()
    kept = b""
    try:
        async with client.session.post(
            url,
            data=body,
            headers={"content-type": "application/json", **headers},
            allow_redirects=False,
            timeout=_deadline(timeout),
        ) as response:
            status, answer_headers = response.status, response.headers
            while len(kept) < RESPONSE_KEPT_BYTES:
                chunk = await response.content.read(RESPONSE_KEPT_BYTES - len(kept))
                if not chunk:
                    break
                kept += chunk
            # Leaving the block releases the connection: kept alive when the whole answer
            # was read, closed when a longer one was cut short.
    except Exception as failure:
        return Outcome(
            status_code=None,
            duration_ms=round((time.perf_counter() - started) * 1000),
            error=_text(_describe(failure, timeout).encode()[:1000]),
            response=None,
        )
    duration_ms = round((time.perf_counter() - started) * 1000)
    error: str | None = None
    if 300 <= status < 400:
        error = "redirects are not followed; point the webhook at the final URL"
    elif not 200 <= status < 300:
        error = f"HTTP {status}"
    return Outcome(
        status_code=status,
        duration_ms=duration_ms,
        error=error,
        response=_text(kept) if kept else None,
        retry_after_seconds=_retry_after(status, answer_headers, datetime.now(UTC)),
    )
