"""HTTP to a member portal: timeouts, bounded concurrency, cookies, retries with backoff."""

from __future__ import annotations

import asyncio
import logging
import os
import random
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from functools import lru_cache
from http.cookies import CookieError, SimpleCookie
from urllib.parse import urljoin, urlsplit

import aiohttp
import certifi
from multidict import CIMultiDictProxy

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
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True, slots=True)
class PortalResponse:
    """A portal's answer, read whole: what the connectors look at and nothing else."""

    status_code: int
    headers: CIMultiDictProxy[str]
    """Case-insensitive, every value of a repeated header kept (``getall("set-cookie")``)."""
    url: str
    """Where the answer came from (redirects are never followed, so the URL asked for)."""
    text: str

    @property
    def is_redirect(self) -> bool:
        return self.status_code in _REDIRECT_STATUSES and "location" in self.headers


class CookieBag:
    """The cookies of one portal session, kept by us and not by the shared HTTP client.

    One ``aiohttp.ClientSession`` serves many members at once, so its own cookie jar
    would mix their sessions; each login carries its own bag instead.
    """

    def __init__(self, initial: Mapping[str, str] | None = None) -> None:
        self.values: dict[str, str] = dict(initial or {})

    def header(self) -> str | None:
        if not self.values:
            return None
        return "; ".join(f"{k}={v}" for k, v in self.values.items())

    def absorb(self, response: PortalResponse) -> None:
        for raw in response.headers.getall("set-cookie", ()):
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


def _retry_after_seconds(response: PortalResponse) -> float | None:
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


@lru_cache(maxsize=1)
def _ssl_context() -> ssl.SSLContext:
    # Building a verifying SSL context reads the CA bundle: do it once, not per session.
    # The same roots as when the portals were reached through httpx: SSL_CERT_FILE or
    # SSL_CERT_DIR when set, else certifi's bundle (a slim image may have no system store).
    if os.environ.get("SSL_CERT_FILE"):
        return ssl.create_default_context(cafile=os.environ["SSL_CERT_FILE"])
    if os.environ.get("SSL_CERT_DIR"):
        return ssl.create_default_context(capath=os.environ["SSL_CERT_DIR"])
    return ssl.create_default_context(cafile=certifi.where())


_IDLE_CONNECTION_SECONDS = 4.0
"""How long an idle kept-alive connection is reused. Shorter than the servers' own idle
limits (5 s for uvicorn and Apache by default): a client that keeps a connection as long
as the server does sends, now and then, a request on a connection the server is closing
at that instant, and gets no answer."""

_HEADERS = {"accept": "text/html", "user-agent": "Sahod/0.1 (+connector)"}


class PortalHttp:
    """All HTTP to one portal goes through here.

    Every call has a timeout; at most ``max_concurrency`` requests are in flight to the
    portal from this process; 429s, 5xx answers and transport failures are retried with
    exponential backoff and jitter, other answers are returned to the caller to interpret.

    ``client_session`` may be shared between portals and connectors, provided its cookie
    jar is an ``aiohttp.DummyCookieJar`` (sessions keep their own cookies, see
    ``CookieBag``); without one, a session of its own is opened on first use.
    """

    def __init__(
        self,
        provider_id: str,
        base_url: str,
        *,
        client_session: aiohttp.ClientSession | None,
        timeout: float,
        max_concurrency: int,
        retry: RetryPolicy,
    ) -> None:
        if client_session is not None and not isinstance(
            client_session.cookie_jar, aiohttp.DummyCookieJar
        ):
            raise ValueError(
                "a shared client session must not keep cookies (use aiohttp.DummyCookieJar)"
            )
        self.provider_id = provider_id
        self.base_url = base_url.rstrip("/") + "/"
        self._owns_session = client_session is None
        self._session = client_session
        self._max_concurrency = max_concurrency
        self._timeout = aiohttp.ClientTimeout(total=timeout)
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
    ) -> PortalResponse:
        """Send one request; ``url`` is absolute (see ``at``) and never logged whole."""
        session = self._session or self._open_session()
        last_problem = "did not answer"
        retry_after: float | None = None
        for attempt in range(self._retry.max_attempts):
            if attempt:
                await asyncio.sleep(self._backoff(attempt, retry_after))
            headers = _HEADERS
            cookie_header = cookies.header()
            if cookie_header:
                headers = {**_HEADERS, "cookie": cookie_header}
            try:
                async with (
                    self._slots,
                    session.request(
                        method,
                        url,
                        data=data,
                        params=params,
                        headers=headers,
                        timeout=self._timeout,
                        allow_redirects=False,
                    ) as answer,
                ):
                    response = PortalResponse(
                        answer.status, answer.headers, str(answer.url), await answer.text()
                    )
            except TimeoutError:
                last_problem, retry_after = "timed out", None
                log.warning(
                    "portal %s %s %s timed out", self.provider_id, method, self.path_of(url)
                )
                continue
            except aiohttp.ClientError as exc:
                last_problem, retry_after = "could not be reached", None
                log.warning(
                    "portal %s %s %s transport error %s",
                    self.provider_id,
                    method,
                    self.path_of(url),
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
                self.path_of(url),
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

    def _open_session(self) -> aiohttp.ClientSession:
        # Opened on first use, inside the event loop that will run it.
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(
                limit=self._max_concurrency,
                limit_per_host=0,
                ssl=_ssl_context(),
                keepalive_timeout=_IDLE_CONNECTION_SECONDS,
            ),
            cookie_jar=aiohttp.DummyCookieJar(),
        )
        return self._session

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return retry_after
        ceiling = min(self._retry.backoff_cap, self._retry.backoff_base * 2.0 ** (attempt - 1))
        # Jitter: retries from many sessions must not arrive in lockstep.
        spread: float = self._jitter.random()
        return ceiling * (0.5 + spread / 2)

    async def aclose(self) -> None:
        if self._owns_session and self._session is not None:
            await self._session.close()
            self._session = None
