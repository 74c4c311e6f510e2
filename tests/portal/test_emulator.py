"""The widget emulator's pages and JSON: a throwaway sandbox user, fresh widget tokens for
it, the personas, and that user's events (no one else's) with their webhook deliveries."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from sahod.kit.clock import ManualClock
from sahod.portal import emulator
from sahod.portal.schemas import Role
from sahod.tenants.schemas import TenantMode
from sahod.tenants.service import create_tenant
from tests.conftest import TenantClient
from tests.portal.conftest import Browser, MemberFactory


async def start(browser: Browser) -> tuple[str, str]:
    """Starts the emulator; the new user's id and its page's path."""
    started = await browser.post("/portal/emulator")
    assert started.status_code == 303, started.text
    location = started.headers["location"]
    found = re.fullmatch(r"/portal/emulator/([^?]+)\?after=\d+", location)
    assert found is not None, location
    return found.group(1), location


async def test_a_developer_gets_a_throwaway_user_with_the_personas_beside_the_widget(
    tenant: TenantClient, member_of: MemberFactory
) -> None:
    browser = await member_of(tenant.tenant_id, Role.DEVELOPER)
    intro = await browser.http.get("/portal/emulator")
    assert intro.status_code == 200 and 'id="start-emulator"' in intro.text
    user_id, path = await start(browser)
    page = await browser.http.get(path)
    assert page.status_code == 200
    assert f'data-user-id="{user_id}"' in page.text
    # George, with his SS number for My.SSS, and the one-time code.
    assert "<code>gpalomero1234@smileapi.io</code>" in page.text
    assert "<code>33-0000000-8</code>" in page.text and "<code>123456</code>" in page.text
    assert 'id="one-time-code">1234<' in page.text
    assert "<code>error_ACCOUNT_LOCKED</code>" in page.text
    # Scripts only from this server's files: the SDK and the emulator's own.
    scripts = re.findall(r"<script([^>]*)>", page.text)
    assert scripts == [' src="/v2/smile.v2.js"', ' src="/portal/static/emulator.js"']
    assert "script-src 'self'" in page.headers["content-security-policy"]
    # The user is the tenant's, marked as the emulator's.
    user = (await tenant.http.get(f"/v1/users/{user_id}")).json()["data"]
    assert user["externalMetadata"] == {"source": "portal widget emulator"}


async def test_each_token_opens_one_widget_session_for_that_user(
    tenant: TenantClient, member_of: MemberFactory, anonymous: httpx.AsyncClient
) -> None:
    browser = await member_of(tenant.tenant_id, Role.DEVELOPER)
    user_id, _ = await start(browser)
    refused = await browser.post(f"/portal/emulator/{user_id}/token", csrf=False)
    assert refused.status_code == 403
    for _ in range(2):
        issued = await browser.post(f"/portal/emulator/{user_id}/token")
        assert issued.status_code == 200
        token = issued.json()["userToken"]
        opened = await anonymous.post(
            "/link/v1/session", headers={"Authorization": f"Bearer {token}"}
        )
        assert opened.status_code == 201
        assert opened.json()["data"]["userId"] == user_id
        spent = await anonymous.post(
            "/link/v1/session", headers={"Authorization": f"Bearer {token}"}
        )
        assert spent.status_code == 401


async def test_the_feed_has_that_users_events_and_their_deliveries(
    tenant: TenantClient, member_of: MemberFactory, clock: ManualClock
) -> None:
    webhook_id = await tenant.create_webhook(
        "http://127.0.0.1:9/hook", "whsec_ZW11bGF0b3ItdGVzdC1zZWNyZXQtMDEyMzQ1Njc4OQ=="
    )
    browser = await member_of(tenant.tenant_id, Role.DEVELOPER)
    await tenant.http.post("/v1/users")  # another user's event, not in the feed
    user_id, path = await start(browser)
    after = int(path.rsplit("=", 1)[1])
    feed = (await browser.http.get(f"/portal/emulator/{user_id}/events?after={after}")).json()
    [item] = feed["items"]
    event = item["event"]
    assert event["type"] == "USER_CREATED" and event["data"] == {"userId": user_id}
    assert sorted(event) == ["createdAt", "data", "id", "type", "version"]
    [delivery] = feed["deliveries"][event["id"]]
    assert delivery["webhookId"] == webhook_id and delivery["status"] == "PENDING"
    # A fresh event stays ahead of the cursor (one committed later could still come
    # before it); once settled, the cursor passes it.
    assert feed["after"] == after
    clock.advance(emulator.SETTLED_AFTER)
    settled = (await browser.http.get(f"/portal/emulator/{user_id}/events?after={after}")).json()
    assert [i["event"]["id"] for i in settled["items"]] == [event["id"]]
    assert settled["after"] == item["seq"]
    # Nothing new after the cursor; the pending delivery is read again on request.
    again = (
        await browser.http.get(
            f"/portal/emulator/{user_id}/events",
            params={"after": settled["after"], "refresh": event["id"]},
        )
    ).json()
    assert again["items"] == [] and again["after"] == settled["after"]
    assert [d["id"] for d in again["deliveries"][event["id"]]] == [delivery["id"]]


async def test_roles_tenants_and_production_are_refused(
    tenant: TenantClient,
    other_tenant: TenantClient,
    member_of: MemberFactory,
    session: AsyncSession,
    clock: ManualClock,
    anonymous: httpx.AsyncClient,
) -> None:
    developer = await member_of(tenant.tenant_id, Role.DEVELOPER)
    user_id, path = await start(developer)

    viewer = await member_of(tenant.tenant_id, Role.VIEWER)
    assert (await viewer.http.get(path)).status_code == 200
    assert (await viewer.http.get(f"/portal/emulator/{user_id}/events")).status_code == 200
    assert (await viewer.post("/portal/emulator")).status_code == 403
    assert (await viewer.post(f"/portal/emulator/{user_id}/token")).status_code == 403

    stranger = await member_of(other_tenant.tenant_id, Role.OWNER)
    assert (await stranger.http.get(path)).status_code == 404
    assert (await stranger.http.get(f"/portal/emulator/{user_id}/events")).status_code == 404
    assert (await stranger.post(f"/portal/emulator/{user_id}/token")).status_code == 404

    answer = await anonymous.get(path)
    assert answer.status_code == 303
    assert urlsplit(answer.headers["location"]).path == "/portal/sign-in"

    live = await create_tenant(session, "Live Lender", TenantMode.PRODUCTION, clock.now())
    await session.commit()
    owner = await member_of(live.tenant_id, Role.OWNER)
    refused = await owner.http.get("/portal/emulator")
    assert refused.status_code == 403 and "for sandbox tenants" in refused.text
    assert (await owner.post("/portal/emulator")).status_code == 403
    home = await owner.http.get("/portal/")
    assert 'href="/portal/emulator"' not in home.text
