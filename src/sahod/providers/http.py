"""HTTP to a member portal: timeouts, bounded concurrency, cookies, retries with backoff."""

from __future__ import annotations

import asyncio
import logging
import random
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from functools import lru_cache
from http.cookiejar import CookieJar, DefaultCookiePolicy
from http.cookies import CookieError, SimpleCookie
from urllib.parse import urljoin, urlsplit

import httpx

from sahod.providers.base import ServiceUnavailable

log = logging.getLogger("sahod.providers")

# ---------------------------------------------------------------------------------------
# HTTP: timeouts, bounded concurrency, retries with backoff
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 4
    backoff_base: float = 0.2
    backoff_cap: float = 3.0
    max_retry_after: float = 5.0
    """A ``Retry-After`` longer than this (a maintenance window) is not waited out."""


_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class CookieBag:
    """The cookies of one portal session, kept by us and not by the shared HTTP client.

    One ``httpx.AsyncClient`` serves many members at once, so its own cookie jar would mix
    their sessions; each login carries its own bag instead.
    """

    def __init__(self, initial: Mapping[str, str] | None = None) -> None:
        self.values: dict[str, str] = dict(initial or {})

    def header(self) -> str | None:
        if not self.values:
            return None
        return "; ".join(f"{k}={v}" for k, v in self.values.items())

    def absorb(self, response: httpx.Response) -> None:
        for raw in response.headers.get_list("set-cookie"):
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(raw)
            except CookieError:
                continue
            for name, morsel in jar.items():
                if morsel["max-age"] == "0" or _expired(morsel["expires"]):
                    self.values.pop(name, None)
                else:
                    self.values[name] = morsel.value


def _expired(expires: str) -> bool:
    if not expires:
        return False
    try:
        when = parsedate_to_datetime(expires)
    except (TypeError, ValueError):
        return False
    return when.timestamp() <= datetime.now(when.tzinfo).timestamp()


def _retry_after_seconds(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(0.0, when.timestamp() - datetime.now(when.tzinfo).timestamp())


def _no_cookie_jar() -> CookieJar:
    # A jar that refuses every cookie: sessions live in CookieBags (see above).
    return CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))


_CONNECTIONS_PER_LANE = 8


@dataclass
class _Lane:
    client: httpx.AsyncClient
    busy: int = 0


@lru_cache(maxsize=1)
def _ssl_context() -> ssl.SSLContext:
    # Building a verifying SSL context reads the CA bundle: do it once, not per client.
    return httpx.create_ssl_context()


class PortalHttp:
    """All HTTP to one portal goes through here.

    Every call has a timeout; at most ``max_concurrency`` requests are in flight to the
    portal from this process; 429s, 5xx answers and transport failures are retried with
    exponential backoff and jitter, other answers are returned to the caller to interpret.
    """

    def __init__(
        self,
        provider_id: str,
        base_url: str,
        *,
        http: httpx.AsyncClient | None,
        timeout: float,
        max_concurrency: int,
        retry: RetryPolicy,
    ) -> None:
        self.provider_id = provider_id
        self.base_url = base_url.rstrip("/") + "/"
        self._owns_client = http is None
        # Several small connection pools ("lanes") rather than one big one: httpcore scans
        # every connection of a pool for every queued request, so one pool of 50 costs
        # about three times the CPU per request of seven pools of 8 (bench/connectors.py).
        # Lanes open only as concurrency needs them; an injected client is the only lane.
        self._lanes: list[_Lane] = [_Lane(http)] if http is not None else []
        self._timeout = httpx.Timeout(timeout)
        self._slots = asyncio.Semaphore(max_concurrency)
        self._retry = retry
        # Jitter only spreads retries out; nothing secret depends on it.
        self._jitter = random.Random()  # noqa: S311

    def at(self, route: str) -> str:
        """The URL of one of the portal's own pages (``route`` relative to the portal)."""
        return self.base_url + route.lstrip("/")

    def path_of(self, url: str) -> str:
        """The portal-relative path of ``url`` (to match redirects against routes)."""
        path = urlsplit(urljoin(self.base_url, url)).path
        base = urlsplit(self.base_url).path
        return "/" + path[len(base) :] if path.startswith(base) else path

    async def request(
        self,
        method: str,
        url: str,
        *,
        cookies: CookieBag,
        data: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """Send one request; ``url`` is absolute (see ``at``) and never logged whole."""
        path = self.path_of(url)
        headers = {"accept": "text/html", "user-agent": "Sahod/0.1 (+connector)"}
        last_problem = "did not answer"
        retry_after: float | None = None
        for attempt in range(self._retry.max_attempts):
            if attempt:
                await asyncio.sleep(self._backoff(attempt, retry_after))
            cookie_header = cookies.header()
            if cookie_header:
                headers["cookie"] = cookie_header
            try:
                async with self._slots:
                    lane = self._free_lane()
                    lane.busy += 1
                    try:
                        response = await lane.client.request(
                            method,
                            url,
                            data=data,
                            params=params,
                            headers=headers,
                            timeout=self._timeout,
                            follow_redirects=False,
                        )
                    finally:
                        lane.busy -= 1
            except httpx.TimeoutException:
                last_problem, retry_after = "timed out", None
                log.warning("portal %s %s %s timed out", self.provider_id, method, path)
                continue
            except httpx.TransportError as exc:
                last_problem, retry_after = "could not be reached", None
                log.warning(
                    "portal %s %s %s transport error %s",
                    self.provider_id,
                    method,
                    path,
                    type(exc).__name__,
                )
                continue
            cookies.absorb(response)
            if response.status_code not in _RETRY_STATUSES:
                return response
            retry_after = _retry_after_seconds(response)
            log.info(
                "portal %s %s %s -> %s (attempt %d)",
                self.provider_id,
                method,
                path,
                response.status_code,
                attempt + 1,
            )
            if retry_after is not None and retry_after > self._retry.max_retry_after:
                # A maintenance window: waiting it out inside one job helps nobody.
                raise ServiceUnavailable(
                    "The provider's portal is down for maintenance.", retry_after=retry_after
                )
            last_problem = (
                "is refusing requests (too many)"
                if response.status_code == 429
                else f"answered with a server error ({response.status_code})"
            )
        raise ServiceUnavailable(f"The provider's portal {last_problem}.", retry_after=retry_after)

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return retry_after
        ceiling = min(self._retry.backoff_cap, self._retry.backoff_base * 2.0 ** (attempt - 1))
        # Jitter: retries from many sessions must not arrive in lockstep.
        spread: float = self._jitter.random()
        return ceiling * (0.5 + spread / 2)

    async def aclose(self) -> None:
        if self._owns_client:
            for lane in self._lanes:
                await lane.client.aclose()

    def _free_lane(self) -> _Lane:
        if not self._owns_client:
            return self._lanes[0]
        for lane in self._lanes:
            if lane.busy < _CONNECTIONS_PER_LANE:
                return lane
        lane = _Lane(
            httpx.AsyncClient(
                cookies=_no_cookie_jar(),
                verify=_ssl_context(),
                limits=httpx.Limits(
                    max_connections=_CONNECTIONS_PER_LANE,
                    max_keepalive_connections=_CONNECTIONS_PER_LANE,
                ),
            )
        )
        self._lanes.append(lane)
        return lane
