"""The portal connector: one login / one-time code / member pages flow, with small
override points per portal."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import ClassVar, TypeVar
from urllib.parse import urljoin

import aiohttp

from sahod.datapoints.kinds import DataPointKind
from sahod.providers.base import (
    ConnectorError,
    Credentials,
    ErrorCode,
    FetchedRecord,
    LoginOutcome,
    MfaChallenge,
    PageNotUnderstood,
    PortalSession,
    SessionExpired,
)
from sahod.providers.html import Page
from sahod.providers.http import CookieBag, PortalHttp, RetryPolicy

log = logging.getLogger("sahod.providers")

# ---------------------------------------------------------------------------------------
# The portal connector: one login / one-time code / member pages flow, small override
# points per portal
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PortalRoutes:
    login: str
    """The sign-in page (GET shows the form)."""
    otp: str
    """Where the portal asks for the one-time code."""
    home: str
    """Where a signed-in member lands."""
    interstitials: Mapping[str, ErrorCode]
    """Pages a sign-in can be diverted to that only the member (or no one) can get past."""


_T = TypeVar("_T")


class MemberPages:
    """Signed-in page reads for one fetch, with at most ``page_concurrency`` in flight
    (a browser's few connections, not the connector-wide limit)."""

    def __init__(
        self, connector: PortalConnector, cookies: CookieBag, page_concurrency: int
    ) -> None:
        self._connector = connector
        self._cookies = cookies
        self._parallel = asyncio.Semaphore(page_concurrency)

    async def get(self, name: str, route: str, params: Mapping[str, str] | None = None) -> Page:
        http = self._connector.http
        url = http.at(route)
        async with self._parallel:
            response = await http.request("GET", url, cookies=self._cookies, params=params)
        if response.is_redirect:
            target = http.path_of(response.headers.get("location", ""))
            if target == self._connector.routes.login:
                raise SessionExpired()
            raise PageNotUnderstood(name, f"an unexpected redirect to {target}")
        if response.status_code != 200:
            raise PageNotUnderstood(name, f"HTTP {response.status_code}")
        return Page(name, response.url, response.text)

    async def read(
        self,
        name: str,
        route: str,
        parse: Callable[[Page], _T],
        params: Mapping[str, str] | None = None,
    ) -> _T:
        """Get a page and read it at once, dropping its parsed tree: a fetch then holds
        what it read, not the trees of pages still waiting for their siblings, and its
        parsing is spread over the waits instead of all at its end."""
        page = await self.get(name, route, params)
        try:
            return parse(page)
        finally:
            page.release()

    @staticmethod
    @asynccontextmanager
    async def together() -> AsyncIterator[asyncio.TaskGroup]:
        """Page reads started in the block run together; the first failure cancels the
        rest and is raised (as ``gather``), whatever each read returns."""
        try:
            async with asyncio.TaskGroup() as group:
                yield group
        except* ConnectorError as failures:
            raise failures.exceptions[0] from None

    @staticmethod
    async def gather(jobs: Iterable[Awaitable[_T]]) -> list[_T]:
        """Run page reads together; the first failure cancels the rest and is raised."""
        try:
            async with asyncio.TaskGroup() as group:
                tasks = [group.create_task(_awaited(job)) for job in jobs]
        except* ConnectorError as failures:
            raise failures.exceptions[0] from None
        return [t.result() for t in tasks]


async def _awaited(job: Awaitable[_T]) -> _T:
    return await job


class PortalConnector:
    """The login → one-time code → member pages flow the four portals share.

    A provider package subclasses it, sets ``provider_id``, ``routes``, the phrases of
    its alerts and its device cookie, and implements ``collect`` with its own parsers.
    """

    provider_id: ClassVar[str]
    routes: ClassVar[PortalRoutes]
    login_phrases: ClassVar[Sequence[tuple[str, ErrorCode]]]
    """Lower-case fragments of the portal's sign-in alerts, and what they mean; first
    match wins."""
    otp_phrases: ClassVar[Sequence[tuple[str, ErrorCode]]]
    alert_selector: ClassVar[str] = "[role=alert], .alert, .error"
    device_cookie: ClassVar[str]

    def __init__(
        self,
        *,
        base_url: str,
        client_session: aiohttp.ClientSession | None = None,
        timeout: float = 15.0,
        max_concurrency: int = 50,
        retry: RetryPolicy | None = None,
        page_concurrency: int = 6,
    ) -> None:
        self.http = PortalHttp(
            self.provider_id,
            f"{base_url.rstrip('/')}/{self.provider_id}",
            client_session=client_session,
            timeout=timeout,
            max_concurrency=max_concurrency,
            retry=retry or RetryPolicy(),
        )
        self.page_concurrency = page_concurrency

    # -- login -----------------------------------------------------------------------

    async def login(
        self, credentials: Credentials, *, remembered_device: str | None = None
    ) -> LoginOutcome:
        if not credentials.username.strip() or not credentials.password:
            raise ConnectorError(ErrorCode.AUTH_REQUIRED)
        cookies = CookieBag({self.device_cookie: remembered_device} if remembered_device else {})
        page = await self._get_page("sign-in", self.http.at(self.routes.login), cookies)
        form = page.find_form(with_input_type="password")
        if form is None:
            raise page.not_understood("no sign-in form")
        user_field = form.first_of_type("email", "text")
        password_field = form.first_of_type("password")
        if user_field is None or password_field is None:
            raise page.not_understood("no username field")
        data = {
            **form.fields,
            user_field: credentials.username.strip(),
            password_field: credentials.password,
        }
        response = await self.http.request("POST", form.action, cookies=cookies, data=data)
        if response.status_code == 403:
            # The portal refused our form (its token or session check): sign-in broke on
            # our side, not the member's.
            raise ConnectorError(ErrorCode.INVALID_AUTH)
        if response.status_code == 200:
            page = Page("sign-in", form.action, response.text)
            raise self._classify(page, self.login_phrases, ErrorCode.INVALID_AUTH)
        if not response.is_redirect:
            raise ConnectorError(ErrorCode.INVALID_AUTH)
        location = urljoin(form.action, response.headers.get("location", ""))
        target = self.http.path_of(location)
        if target in self.routes.interstitials:
            raise ConnectorError(self.routes.interstitials[target])
        if target == self.routes.home:
            return self._session(cookies, remembered_device)
        if target == self.routes.otp:
            otp_page = await self._get_page("one-time code", location, cookies)
            return self._challenge(otp_page, cookies)
        # Sent back to the form without a word, or somewhere we do not know.
        raise ConnectorError(ErrorCode.INVALID_AUTH)

    def _challenge(self, page: Page, cookies: CookieBag) -> MfaChallenge:
        form = page.find_form(with_input_type="hidden")
        code_field = form.first_of_type("tel", "text", "number") if form else None
        if form is None or code_field is None:
            # A verification step with nowhere to type a code: approval in an app, a
            # security key. Nothing a member can relay to us.
            raise ConnectorError(ErrorCode.UNSUPPORTED_MFA_METHOD)
        destination = self.mfa_destination(page)
        if destination is None:
            raise page.not_understood("no word of where the code was sent")
        trust = form.first_of_type("checkbox")
        fields = dict(form.fields)
        if trust is not None:
            # Always tick "remember this device": the monthly re-sync then needs no code.
            fields[trust] = "on"
        return MfaChallenge(
            provider_id=self.provider_id,
            method="email" if "@" in destination else "sms",
            destination=destination,
            pending_state={
                "providerId": self.provider_id,
                "action": form.action,
                "codeField": code_field,
                "fields": fields,
                "cookies": dict(cookies.values),
            },
        )

    def mfa_destination(self, page: Page) -> str | None:
        """Where the portal says it sent the code (a masked phone or e-mail)."""
        for text in page.texts("[data-sent-to], .otp-destination, strong"):
            if "@" in text or sum(c.isdigit() for c in text) >= 2:
                return text
        return None

    async def submit_mfa(self, pending_state: dict[str, object], code: str) -> PortalSession:
        action = pending_state.get("action")
        code_field = pending_state.get("codeField")
        fields = pending_state.get("fields")
        saved = pending_state.get("cookies")
        if (
            pending_state.get("providerId") != self.provider_id
            or not isinstance(action, str)
            or not isinstance(code_field, str)
            or not isinstance(fields, dict)
            or not isinstance(saved, dict)
        ):
            raise ConnectorError(ErrorCode.SYSTEM_ERROR, "The saved sign-in step is not valid.")
        if not code.strip():
            raise ConnectorError(ErrorCode.INVALID_MFA)
        cookies = CookieBag({str(k): str(v) for k, v in saved.items()})
        data = {str(k): str(v) for k, v in fields.items()}
        data[code_field] = code.strip()
        response = await self.http.request("POST", action, cookies=cookies, data=data)
        if response.status_code == 200:
            page = Page("one-time code", action, response.text)
            raise self._classify(page, self.otp_phrases, ErrorCode.INVALID_MFA)
        if response.status_code == 403:
            raise ConnectorError(ErrorCode.INVALID_AUTH)
        if not response.is_redirect:
            raise ConnectorError(ErrorCode.INVALID_AUTH)
        target = self.http.path_of(urljoin(action, response.headers.get("location", "")))
        if target == self.routes.home:
            return self._session(cookies, None)
        if target == self.routes.login:
            # The half-signed-in session died while the code was pending.
            raise ConnectorError(ErrorCode.MFA_TIMEOUT)
        if target in self.routes.interstitials:
            raise ConnectorError(self.routes.interstitials[target])
        raise ConnectorError(ErrorCode.INVALID_AUTH)

    def _session(self, cookies: CookieBag, device: str | None) -> PortalSession:
        return PortalSession(
            provider_id=self.provider_id,
            cookies={k: v for k, v in cookies.values.items() if k != self.device_cookie},
            remembered_device=cookies.values.get(self.device_cookie, device),
        )

    def _classify(
        self, page: Page, phrases: Sequence[tuple[str, ErrorCode]], fallback: ErrorCode
    ) -> ConnectorError:
        alerts = " ".join(page.texts(self.alert_selector)).lower()
        if not alerts:
            return page.not_understood("the portal answered without a message")
        for phrase, code in phrases:
            if phrase in alerts:
                return ConnectorError(code)
        # The alert text is not logged: a portal may echo the username back in it.
        log.warning("portal %s: unrecognised message on the %s page", self.provider_id, page.name)
        return ConnectorError(fallback)

    async def _get_page(self, name: str, url: str, cookies: CookieBag) -> Page:
        response = await self.http.request("GET", url, cookies=cookies)
        if response.status_code != 200:
            raise PageNotUnderstood(name, f"HTTP {response.status_code}")
        return Page(name, url, response.text)

    # -- fetch -----------------------------------------------------------------------

    async def fetch(self, session: PortalSession) -> list[FetchedRecord]:
        if session.provider_id != self.provider_id:
            raise ConnectorError(ErrorCode.SYSTEM_ERROR, "The session belongs to another provider.")
        pages = MemberPages(self, CookieBag(session.cookies), self.page_concurrency)
        return await self.collect(pages)

    async def collect(self, pages: MemberPages) -> list[FetchedRecord]:
        """Read the member pages and return every record of every supported kind."""
        raise NotImplementedError

    async def aclose(self) -> None:
        await self.http.aclose()


def records(
    kind: DataPointKind, items: Iterable[tuple[str, dict[str, object]]]
) -> list[FetchedRecord]:
    """Wrap (reference, payload) pairs, refusing a repeated reference: upserting by
    reference would silently lose one of the two."""
    out: list[FetchedRecord] = []
    seen: set[str] = set()
    for reference, payload in items:
        if reference in seen:
            raise PageNotUnderstood(kind.value.lower(), f"reference {reference} appears twice")
        seen.add(reference)
        out.append(FetchedRecord(kind=kind, reference=reference, payload=payload))
    return out
