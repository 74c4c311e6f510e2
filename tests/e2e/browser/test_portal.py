"""The developer portal in Debian's Chromium against a real `sahod serve`: a member made
with `sahod tenants add-member` signs in, creates and revokes a key, finds a user George
connected and opens their CV view, opens a webhook delivery and redelivers it. Every page
is photographed under test-artifacts/portal/ (on a desktop and on a phone)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Playwright

from tests.e2e.browser.conftest import GEORGE, PHONE, WIDE, PortalPage, opened_page
from tests.e2e.conftest import LiveServer, add_member_with_cli
from tests.e2e.widget import Widget
from tests.webhooks.receiver import Receiver


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with Receiver() as running:
        yield running


async def test_a_member_signs_in_manages_keys_explores_a_user_and_redelivers_a_webhook(
    server: LiveServer,
    database_url: str,
    playwright: Playwright,
    tmp_path: Path,
    receiver: Receiver,
) -> None:
    base = server.base_url
    tenant_id = server.tenant_id
    password = add_member_with_cli(
        database_url, tmp_path / "cli", tenant_id, "owner@browser.example", "owner"
    )
    async with httpx.AsyncClient(
        base_url=base, auth=(server.api_key, server.api_secret), timeout=30
    ) as api:
        hook = await api.post(
            "/v1/webhooks",
            json={
                "name": "Browser receiver",
                "url": receiver.url,
                "eventTypes": ["ALL_EVENTS"],
                "active": True,
                "secret": "a-secret-of-sixteen-chars",
            },
        )
        assert hook.status_code == 200, hook.text
    widget = await Widget.open(base, server.api_key, server.api_secret)
    try:
        await widget.connect_fully("sss", *GEORGE)
    finally:
        await widget.close()
    await receiver.wait_for(lambda posts: any(p.json()["type"] == "TASK_FINISHED" for p in posts))

    async with opened_page(playwright, tmp_path / "profile", WIDE) as (context, page):
        portal = PortalPage.watching(context, page, base)
        # Signed out, any page leads to the sign-in form, and back after it.
        await page.goto(f"{base}/portal/keys")
        await page.get_by_role("heading", name="Sign in").wait_for()
        await portal.shot("sign-in")
        await page.get_by_label("E-mail").fill("owner@browser.example")
        await page.get_by_label("Password").fill("wrong password")
        await page.get_by_role("button", name="Sign in").click()
        await page.get_by_role("alert").get_by_text("do not match a member").wait_for()
        await portal.shot("sign-in-refused")
        await page.get_by_label("Password").fill(password)
        await page.get_by_role("button", name="Sign in").click()
        await page.get_by_role("heading", name="API keys").wait_for()

        # Keys: create one, its secret shown once; it works; revoke it.
        await page.get_by_role("button", name="Create a sandbox key").click()
        new_key = await page.locator("#issued-api-key").inner_text()
        new_secret = await page.locator("#issued-api-secret").inner_text()
        await portal.shot("keys-created")
        async with httpx.AsyncClient(base_url=base, timeout=30) as raw:
            assert (await raw.get("/v1/users", auth=(new_key, new_secret))).status_code == 200
            await page.get_by_role("button", name=f"Revoke {new_key}").click()
            await (
                page.get_by_role("row", name=re.compile(new_key)).get_by_text("revoked").wait_for()
            )
            await portal.shot("keys")
            # This process forgets the key at once (the API runs in this one process).
            assert (await raw.get("/v1/users", auth=(new_key, new_secret))).status_code == 401

        # Home, with the API docs link.
        await page.get_by_role("link", name="Sahod developer portal").click()
        await page.get_by_role("link", name=re.compile("API docs")).first.wait_for()
        await portal.shot("home")

        # Users Explorer: find George's user, open the CV view.
        await page.get_by_role("link", name="Users", exact=True).click()
        await page.get_by_label("User id or external metadata value").fill(widget.user_id)
        await page.get_by_role("button", name="Search").click()
        await portal.shot("users")
        await page.get_by_role("link", name=widget.user_id).click()
        await page.get_by_role("heading", name="CV view").wait_for()
        cv = page.locator("#cv-view")
        await cv.get_by_text("Palomero").first.wait_for()
        await cv.get_by_role("img", name="SSS contributions a month").wait_for()
        await cv.get_by_role("img", name="Estimated monthly income").wait_for()
        assert await cv.locator("svg rect").count() > 12
        assert "CONNECTED" in await page.locator("#accounts + .table-wrap").inner_text()
        await portal.shot("user")
        await page.get_by_text("contributions (").click()
        await portal.shot("user-raw-json")

        # Webhooks: open a delivery, redeliver it.
        await page.get_by_role("link", name="Webhooks", exact=True).click()
        await portal.shot("webhooks")
        await page.get_by_role("link", name="Browser receiver").click()
        await page.get_by_role("heading", name="Deliveries").wait_for()
        await portal.shot("webhook")
        row = page.get_by_role("row").filter(has_text="ACCOUNT_CONNECTED").first
        await row.get_by_role("link").click()
        await page.get_by_role("heading", name="Request body").wait_for()
        await page.get_by_text("webhook-signature: v1,").first.wait_for()
        await portal.shot("delivery")
        before = len(receiver.posts)
        await page.get_by_role("button", name="Redeliver").click()
        await page.locator("#redelivered").wait_for()
        await receiver.wait_for(lambda posts: len(posts) > before)
        resent = receiver.posts[before]
        assert resent.json()["type"] == "ACCOUNT_CONNECTED"
        # The worker records the attempt just after the receiver answered.
        for _ in range(100):
            await page.reload()
            if await page.get_by_role("heading", name="Attempt 2").count():
                break
            await page.wait_for_timeout(200)
        await page.get_by_role("heading", name="Attempt 2").wait_for()
        await portal.shot("delivery-redelivered")

        # Members, and the pages on a phone.
        await page.get_by_role("link", name="Members").click()
        await page.get_by_role("heading", name="Members").wait_for()
        await portal.shot("members")
        await page.set_viewport_size(PHONE)
        for name, path in (
            ("phone-home", "/portal/"),
            ("phone-user", f"/portal/users/{widget.user_id}"),
        ):
            await page.goto(base + path)
            await portal.shot(name)
        width = await page.evaluate("document.documentElement.scrollWidth")
        wide = await page.evaluate(
            "[...document.querySelectorAll('body *')]"
            ".filter(e => e.getBoundingClientRect().right > innerWidth + 1)"
            ".filter(e => !e.parentElement.closest('.table-wrap'))"
            ".slice(0, 5).map(e => e.tagName + '.' + e.className + (e.parentElement.tagName))"
            "+ ' body ' + document.body.getBoundingClientRect().width"
        )
        assert width <= PHONE["width"] + 1, f"the page scrolls sideways on a phone: {wide}"

        # Keyboard: the skip link is the first stop, then the navigation.
        await page.keyboard.press("Tab")
        assert await page.evaluate("document.activeElement.textContent") == "Skip to content"

        # Another tenant's or a missing page is a 404 page, in the layout.
        await page.goto(f"{base}/portal/users/{widget.user_id}x")
        await page.get_by_role("heading", name="Not found").wait_for()
        await portal.shot("phone-not-found")

        # Sign out.
        await page.get_by_role("button", name="Sign out").click()
        await page.get_by_role("heading", name="Sign in").wait_for()
    assert portal.outside_requests() == [], "requests outside the server"
    assert portal.csp_violations() == []
