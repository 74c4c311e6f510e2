"""The portal's live pages in Debian's Chromium against a real `sahod serve`: Data Sources
watching a provider turn degraded while its sandbox portal is in maintenance, and the
widget emulator run through George's SSS connection. Screenshots land in
test-artifacts/portal/."""

from __future__ import annotations

import asyncio
import json
import math
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Page, Playwright

from tests.e2e.browser.conftest import FAST, PHONE, WIDE, PortalPage, opened_page, sign_in_as_george
from tests.e2e.conftest import LiveServer, add_member_with_cli, running_server
from tests.e2e.server import (
    OPERATOR_HEADERS,
    free_port,
)
from tests.e2e.widget import Widget

pytestmark = pytest.mark.slow

MIN_ATTEMPTS = 3
"""The server's SAHOD_PROVIDER_DEGRADED_MIN_ATTEMPTS: a handful of links can judge."""
DEGRADED_BELOW = 0.8
# A provider the other browser tests do not link; the health is every tenant's (the
# database is shared by this pytest worker's servers), so the test counts from what is there.
PROVIDER = "gsis"


@dataclass(frozen=True)
class PortalServer(LiveServer):
    """`sahod serve` and a developer member of its tenant."""

    email: str
    password: str


@pytest.fixture(scope="module")
def portal_server(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[PortalServer]:
    data_dir = tmp_path_factory.mktemp("portal-live")
    env = {
        **FAST,
        "SAHOD_PROVIDER_DEGRADED_MIN_ATTEMPTS": str(MIN_ATTEMPTS),
        "SAHOD_PROVIDER_DEGRADED_BELOW": str(DEGRADED_BELOW),
    }
    with running_server(database_url, data_dir, "Portal Live Tenant", env) as server:
        email = f"dev-{server.tenant_id}@acme.example"
        password = add_member_with_cli(database_url, data_dir, server.tenant_id, email, "developer")
        yield PortalServer(
            process=server.process,
            api_key=server.api_key,
            api_secret=server.api_secret,
            tenant_id=server.tenant_id,
            email=email,
            password=password,
        )


@pytest.fixture
async def portal(
    playwright: Playwright, portal_server: PortalServer, tmp_path: Path
) -> AsyncIterator[PortalPage]:
    """A browser signed in to the portal as the tenant's developer."""
    async with opened_page(playwright, tmp_path / "profile", WIDE) as (context, page):
        opened = PortalPage.watching(context, page, portal_server.base_url)
        await page.goto(f"{portal_server.base_url}/portal/")
        await page.get_by_label("E-mail").fill(portal_server.email)
        await page.get_by_label("Password").fill(portal_server.password)
        await page.get_by_role("button", name="Sign in").click()
        await page.get_by_role("heading", name="Portal Live Tenant").wait_for()
        yield opened


async def hour_of(api: httpx.AsyncClient, provider: str) -> dict[str, Any]:
    answer = await api.get(f"/v1/providers/{provider}/health")
    assert answer.status_code == 200, answer.text
    health: dict[str, Any] = answer.json()["data"]
    return next(w for w in health["windows"] if w["window"] == "hour")


async def link_once(server: PortalServer, provider: str, until: str) -> dict[str, Any]:
    """One user links one account through the Link API; the account once ``until``."""
    widget = await Widget.open(server.base_url, server.api_key, server.api_secret)
    try:
        account = await widget.connect(provider, "nomfa@sahod.test", "sandbox1")
        # A sign-in counts once its task finished: for a success, after the fetch.
        settled = {"syncing": False} if until == "CONNECTED" else {}
        return await widget.wait(account["id"], until=until, within=90, **settled)
    finally:
        await widget.close()


async def page_status(page: Page, provider: str) -> str:
    status = await page.locator(f"#status-{provider}").get_attribute("data-status")
    assert status is not None
    return status


async def test_data_sources_shows_a_provider_turn_degraded_in_maintenance(
    portal: PortalPage, portal_server: PortalServer
) -> None:
    page = portal.page
    await page.get_by_role("link", name="Data sources").first.click()
    await page.get_by_role("heading", name="Data sources", level=1).wait_for()
    # One good sign-in first: the provider works.
    connected = await link_once(portal_server, PROVIDER, "CONNECTED")
    assert connected["connectionStatus"] == "CONNECTED"
    async with httpx.AsyncClient(
        base_url=portal_server.base_url,
        auth=(portal_server.api_key, portal_server.api_secret),
        timeout=30,
    ) as api:
        hour = await hour_of(api, PROVIDER)
        attempts, succeeded = hour["attempts"], hour["succeeded"]
        await page.reload()
        if attempts >= MIN_ATTEMPTS and succeeded / attempts >= DEGRADED_BELOW:
            assert await page_status(page, PROVIDER) == "OPERATIONAL"
        assert await page_status(page, PROVIDER) != "DEGRADED"
        await portal.shot("data-sources")

        # Enough failures to take the hour's success rate below the threshold.
        failures = max(MIN_ATTEMPTS - attempts, math.floor(succeeded / DEGRADED_BELOW) - attempts)
        failures = max(failures, 0) + 1
        operator = httpx.AsyncClient(
            base_url=f"{portal_server.base_url}/sandbox/portals/{PROVIDER}",
            headers=OPERATOR_HEADERS,
            timeout=30,
        )
        (await operator.put("/_faults", json={"maintenance": True})).raise_for_status()
        try:
            linking = asyncio.gather(
                *(link_once(portal_server, PROVIDER, "ERROR") for _ in range(failures))
            )
            # Watch the page as a person would: reload until it says degraded.
            deadline = time.monotonic() + 120
            while await page_status(page, PROVIDER) != "DEGRADED":
                assert time.monotonic() < deadline, "the provider never showed as degraded"
                await asyncio.sleep(1)
                await page.reload()
            failed = await linking
        finally:
            (await operator.post("/_reset")).raise_for_status()
            await operator.aclose()
        assert {a["connection"]["errorCode"] for a in failed} == {"SERVICE_UNAVAILABLE"}
        after = await hour_of(api, PROVIDER)
    await page.reload()

    section = page.locator(f"section.provider-degraded:has(#status-{PROVIDER})")
    await section.wait_for()
    verdict = page.locator(f"#verdict-{PROVIDER}")
    assert "Degraded." in await verdict.inner_text()
    assert await verdict.get_attribute("role") == "alert"
    assert await page.locator(f"#status-{PROVIDER}").inner_text() == "Degraded"
    row = page.locator(f"#{PROVIDER}-window-hour")
    cells = await row.locator("td").all_inner_texts()
    assert cells[0] == str(after["attempts"])
    assert cells[1] == f"{after['successRate'] * 100:.0f}%"
    assert "SERVICE_UNAVAILABLE" in cells[3]
    await section.scroll_into_view_if_needed()
    await portal.shot("data-sources-degraded")

    await page.get_by_role("link", name="eGSIS MO", exact=True).click()
    await page.locator(f"#{PROVIDER}-hour-errors").wait_for()
    assert await page.locator(f"#{PROVIDER}-hour rect").count() >= 1
    assert await page.locator("#dp-INCOMES").count() == 1
    await portal.shot("data-source-detail")
    assert portal.outside_requests() == []
    assert portal.csp_violations() == []


class Receiver:
    """The tenant's webhook endpoint, on loopback: answers 204 and keeps the bodies."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        received = self.bodies

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                received.append(self.rfile.read(length))
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver()
    yield running
    running.stop()


async def test_the_emulator_connects_george_on_sss_with_callbacks_and_events(
    portal: PortalPage, portal_server: PortalServer, receiver: Receiver
) -> None:
    async with httpx.AsyncClient(
        base_url=portal_server.base_url,
        auth=(portal_server.api_key, portal_server.api_secret),
        timeout=30,
    ) as api:
        subscribed = await api.post(
            "/v1/webhooks",
            json={
                "name": "emulator test",
                "url": receiver.url,
                "eventTypes": ["ALL_EVENTS"],
                "active": True,
                "secret": "whsec_ZW11bGF0b3ItdGVzdC1zZWNyZXQtMDEyMzQ1Njc4OQ==",
            },
        )
        assert subscribed.status_code in (200, 201), subscribed.text
        webhook_id = subscribed.json()["data"]["id"]
    try:
        await run_the_emulator(portal, portal_server)
    finally:
        async with httpx.AsyncClient(
            base_url=portal_server.base_url,
            auth=(portal_server.api_key, portal_server.api_secret),
            timeout=30,
        ) as api:
            await api.delete(f"/v1/webhooks/{webhook_id}")
    assert receiver.bodies, "the receiver got no webhook"


async def run_the_emulator(portal: PortalPage, server: PortalServer) -> None:
    page = portal.page
    await page.get_by_role("link", name="Widget emulator").first.click()
    await page.get_by_role("heading", name="Sandbox personas").wait_for()
    await portal.shot("emulator-start")
    await page.get_by_role("button", name="Start with a new sandbox user").click()
    user_id = await page.locator("#emulated-user").inner_text()
    log = page.locator("#emulator-log")
    await log.locator('li[data-name="USER_CREATED"]').wait_for()

    await page.get_by_role("button", name="Open the widget").click()
    widget = page.frame_locator("iframe.sahod-link-frame")
    await sign_in_as_george(widget)
    await portal.shot("emulator-code", full_page=False)
    await widget.get_by_role("button", name="Verify").click()
    await widget.locator("section:not([hidden]) h1", has_text="Connected").wait_for(timeout=60_000)
    # The callbacks as the SDK called them, and the events as Sahod wrote them.
    await log.locator('li[data-kind="callback"][data-name="onAccountCreated"]').wait_for()
    await log.locator('li[data-kind="callback"][data-name="onAccountConnected"]').wait_for()
    connected = log.locator('li[data-kind="event"][data-name="ACCOUNT_CONNECTED"]')
    await connected.wait_for(timeout=30_000)
    await log.locator('li[data-kind="event"][data-name="TASK_FINISHED"]').wait_for(timeout=60_000)
    # The ACCOUNT_CONNECTED webhook reached the receiver, and the page says so.
    await log.locator('li[data-name="ACCOUNT_CONNECTED"][data-delivery="done"]').wait_for(
        timeout=60_000
    )
    assert "webhook delivered (204)" in await connected.locator(".log-deliveries").inner_text()
    await portal.shot("emulator-connected", full_page=False)

    await widget.get_by_role("button", name="Done").click()
    await log.locator('li[data-kind="callback"][data-name="onClose"]').wait_for()
    assert await page.locator("iframe.sahod-link-frame").count() == 0

    async with httpx.AsyncClient(
        base_url=server.base_url, auth=(server.api_key, server.api_secret), timeout=30
    ) as api:
        accounts = (await api.get("/v1/accounts", params={"userId": user_id})).json()
    [account] = accounts["data"]["items"]
    assert account["connectionStatus"] == "CONNECTED" and account["providerId"] == "sss"
    # Every event is this user's, in the order Sahod wrote them, as its webhook body.
    events = await log.locator('li[data-kind="event"]').evaluate_all(
        "items => items.map(i => JSON.parse(i.querySelector('pre').textContent))"
    )
    assert {e["data"]["userId"] for e in events} == {user_id}
    assert len({e["id"] for e in events}) == len(events), "an event shown twice"
    names = [e["type"] for e in reversed(events)]
    assert names[0] == "USER_CREATED"
    assert sorted(names[1:3]) == ["ACCOUNT_CREATED", "TASK_STARTED"]
    assert names.index("ACCOUNT_CONNECTED") < names.index("TASK_FINISHED")
    created = await log.locator(
        'li[data-kind="callback"][data-name="onAccountConnected"] pre'
    ).text_content()
    assert json.loads(created or "null") == {
        "accountId": account["id"],
        "userId": user_id,
        "providerId": "sss",
    }
    await portal.shot("emulator-done")
    assert portal.outside_requests() == []
    assert portal.csp_violations() == []


async def test_on_a_phone_the_pages_fit_and_the_widget_fills_the_screen(
    playwright: Playwright, portal_server: PortalServer, tmp_path: Path
) -> None:
    async with opened_page(playwright, tmp_path / "phone", PHONE) as (context, page):
        phone = PortalPage.watching(context, page, portal_server.base_url)
        await page.goto(f"{portal_server.base_url}/portal/sign-in")
        await page.get_by_label("E-mail").fill(portal_server.email)
        await page.get_by_label("Password").fill(portal_server.password)
        await page.keyboard.press("Enter")
        await page.get_by_role("heading", name="Portal Live Tenant").wait_for()
        for path, name in (
            ("/portal/data-sources", "phone-data-sources"),
            ("/portal/data-sources/sss", "phone-data-source-detail"),
            ("/portal/emulator", "phone-emulator-start"),
        ):
            await page.goto(portal_server.base_url + path)
            # Nothing wider than the screen: tables and charts scroll or shrink inside it.
            overflow = await page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 1, (path, overflow)
            await phone.shot(name)
        start = page.get_by_role("button", name="Start with a new sandbox user")
        await start.focus()
        await page.keyboard.press("Enter")
        opener = page.get_by_role("button", name="Open the widget")
        await opener.focus()
        await page.keyboard.press("Enter")
        frame = page.locator("iframe.sahod-link-frame")
        await frame.wait_for()
        box = await frame.bounding_box()
        assert box is not None and box["width"] == 390 and box["height"] == 844
        widget = page.frame_locator("iframe.sahod-link-frame")
        await widget.get_by_role("button", name="Agree and continue").wait_for()
        await phone.shot("phone-emulator-widget", full_page=False)
        await page.keyboard.press("Escape")
        await page.locator('#emulator-log li[data-name="onClose"]').wait_for()
        assert await frame.count() == 0
    assert phone.outside_requests() == []
