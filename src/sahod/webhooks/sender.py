"""One HTTP attempt of a delivery: POST the body, time it, keep the start of the answer."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

import httpx

from sahod.config import Settings
from sahod.webhooks.guard import AddressRefused, GuardedTransport, policy_for

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


def client_for(runtime: Runtime, *, production: bool) -> httpx.AsyncClient:
    """The worker's client for this tenant mode: one connection pool per mode and process.

    Kept in the runtime, so keep-alive connections are reused from one delivery to the next.
    """
    settings = runtime.settings
    key = (
        f"webhooks.client:{'production' if production else 'sandbox'}:"
        f"{','.join(settings.webhook_allowed_networks)}:"
        f"{','.join(settings.webhook_sandbox_allowed_networks)}:{settings.webhook_max_connections}"
    )
    client = runtime.extras.get(key)
    if isinstance(client, httpx.AsyncClient) and not client.is_closed:
        return client
    policy = policy_for(settings, production=production)
    client = httpx.AsyncClient(
        transport=GuardedTransport(policy, max_connections=settings.webhook_max_connections),
        follow_redirects=False,
        trust_env=False,
        headers={"user-agent": USER_AGENT},
    )
    runtime.extras[key] = client
    return client


def _retry_after(response: httpx.Response, now: datetime) -> float | None:
    if response.status_code not in (429, 503):
        return None
    value = response.headers.get("retry-after", "").strip()
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
    if isinstance(error, TimeoutError | httpx.TimeoutException):
        return f"no answer within {timeout:g} s"
    if isinstance(error, AddressRefused):
        return str(error)
    if isinstance(error, httpx.ConnectError):
        return f"could not connect: {error}" if str(error) else "could not connect"
    if isinstance(error, httpx.HTTPError):
        return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    return f"{type(error).__name__}: {error}"


async def send(
    client: httpx.AsyncClient,
    url: str,
    body: bytes,
    headers: dict[str, str],
    settings: Settings,
) -> Outcome:
    timeout = settings.webhook_timeout_seconds
    started = time.perf_counter()
    kept = bytearray()
    try:
        # One deadline for the whole exchange: httpx's own timeouts are per phase, and a
        # receiver trickling bytes would stay within each of them for ever.
        async with asyncio.timeout(timeout):
            request = client.build_request(
                "POST",
                url,
                content=body,
                headers={"content-type": "application/json", **headers},
                timeout=httpx.Timeout(timeout),
            )
            response = await client.send(request, stream=True)
            try:
                async for chunk in response.aiter_bytes():
                    kept += chunk
                    if len(kept) >= RESPONSE_KEPT_BYTES:
                        break
            finally:
                await response.aclose()
    except Exception as failure:
        return Outcome(
            status_code=None,
            duration_ms=round((time.perf_counter() - started) * 1000),
            error=_text(_describe(failure, timeout).encode()[:1000]),
            response=None,
        )
    duration_ms = round((time.perf_counter() - started) * 1000)
    status = response.status_code
    error: str | None = None
    if 300 <= status < 400:
        error = "redirects are not followed; point the webhook at the final URL"
    elif not 200 <= status < 300:
        error = f"HTTP {status}"
    return Outcome(
        status_code=status,
        duration_ms=duration_ms,
        error=error,
        response=_text(bytes(kept[:RESPONSE_KEPT_BYTES])) if kept else None,
        retry_after_seconds=_retry_after(response, datetime.now(UTC)),
    )
