"""The SDK and the widget in a real browser: a tenant's page on another origin loads
/v2/smile.v2.js and a user goes through each path, checking every callback and its exact
arguments. Screenshots of every widget page land in test-artifacts/widget/."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.async_api import Playwright

from tests.e2e.browser.conftest import GEORGE, PHONE, Browser, HostSite, opened_page, sql
from tests.e2e.conftest import LiveServer
from tests.e2e.server import OPERATOR_HEADERS
from tests.e2e.widget import Widget

pytestmark = pytest.mark.slow

ACCOUNT_KEYS = ["accountId", "providerId", "userId"]
ARCHIVE_KEYS = ["archiveId", "providerId", "status", "type", "userId"]
UI_EVENT_KEYS = ["account", "archive", "eventName", "eventTime", "mode", "userId"]
# Asks for a one-time code at every sign-in (others' devices are remembered).
ALWAYS_MFA = ("alwaysmfa@sahod.test", "sandbox1")
ISO_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


@pytest.fixture
async def user(server: LiveServer) -> AsyncIterator[Widget]:
    """A user of the tenant and their widget token, from the tenant API."""
    opened = await Widget.open(server.base_url, server.api_key, server.api_secret)
    yield opened
    await opened.close()


def account_args(user: Widget, account_id: str, provider: str) -> dict[str, Any]:
    return {"accountId": account_id, "userId": user.user_id, "providerId": provider}


async def check_ui_events(browser: Browser, user: Widget) -> list[dict[str, Any]]:
    """Every onUIEvent has exactly one argument with exactly the documented keys."""
    events = await browser.named("onUIEvent")
    for args in events:
        assert len(args) == 1
        event = args[0]
        assert sorted(event) == UI_EVENT_KEYS
        assert ISO_TIME.match(event["eventTime"]), event
        assert event["mode"] == "SANDBOX" and event["userId"] == user.user_id
        assert event["account"] is None or sorted(event["account"]) == ACCOUNT_KEYS
        assert event["archive"] is None or sorted(event["archive"]) == ARCHIVE_KEYS
    return [args[0] for args in events]


async def sign_in(browser: Browser, label: str, username: str, password: str) -> None:
    await browser.widget.get_by_label(label, exact=True).fill(username)
    await browser.widget.get_by_label("Password", exact=True).fill(password)
    await browser.widget.locator("#login-submit").click()


async def enter_code(browser: Browser, code: str) -> None:
    await browser.widget.get_by_label("One-time code", exact=True).fill(code)
    await browser.widget.get_by_role("button", name="Verify").click()


async def widget_bytes(browser: Browser) -> int:
    """What the widget page weighs: the bytes of every file the frame loaded."""
    return int(
        await browser.page.frame_locator("iframe.sahod-link-frame")
        .locator("html")
        .evaluate(
            """() => performance.getEntriesByType("resource")
                .concat(performance.getEntriesByType("navigation"))
                .filter(e => !e.name.includes("/link/v1/") && !e.name.includes("/link/v1/session"))
                .reduce((sum, e) => sum + (e.decodedBodySize || 0), 0)"""
        )
    )


async def test_connects_with_a_one_time_code(browser: Browser, user: Widget) -> None:
    await browser.open(user.token)
    await browser.heading("Share your government records")
    # The token travels in the fragment and the widget drops it from its address at once.
    frame = browser.page.frame(url=re.compile(r"/link/"))
    assert frame is not None and "token" not in frame.url
    to_sahod = [urlsplit(u) for u in browser.requests if u.startswith(browser.sahod_url)]
    assert not any("token" in u.query for u in to_sahod if not u.path.endswith("/events"))
    await browser.shot("consent")
    await browser.widget.get_by_role("button", name="Agree and continue").click()

    await browser.heading("Where are your records?")
    search = browser.widget.get_by_label("Search providers")
    await search.fill("phil")
    providers = browser.widget.locator("#provider-list button")
    assert await providers.all_inner_texts() == [
        "My PhilHealth Portal\nPhilippine Health Insurance Corporation"
    ]
    await search.fill("zzz")
    await browser.widget.get_by_text("No provider matches “zzz”.").wait_for()
    await search.fill("social")
    await browser.shot("providers")
    await browser.widget.get_by_role("button", name="My.SSS").click()

    await browser.heading("Connect My.SSS")
    # The login form fits the provider: My.SSS takes a member number or an e-mail.
    username = browser.widget.get_by_label("User ID, e-mail or SS number", exact=True)
    assert await username.get_attribute("type") == "text"
    await browser.widget.locator("#login-submit").click()
    await browser.widget.get_by_text("Enter your user id, e-mail or ss number.").wait_for()
    await browser.shot("login")
    await sign_in(browser, "User ID, e-mail or SS number", *GEORGE)

    await browser.heading("Enter the one-time code")
    await browser.widget.get_by_text("sent a one-time code by text message to 0917").wait_for()
    await browser.shot("mfa")
    await enter_code(browser, "9999")
    await browser.widget.get_by_text("That code was not right").wait_for()
    assert await browser.widget.get_by_label("One-time code", exact=True).evaluate(
        "e => document.activeElement === e"
    )
    await browser.shot("mfa-wrong-code")
    await enter_code(browser, "1234")

    await browser.heading("Connected")
    await browser.shot("success")
    assert await widget_bytes(browser) < 100 * 1024
    await browser.widget.get_by_role("button", name="Done").click()
    await browser.wait_for_call("onClose")

    assert await browser.page.locator("iframe").count() == 0
    assert await browser.page.evaluate("document.activeElement.id") == "open"
    accounts = (await user.tenant.get("/v1/accounts", params={"userId": user.user_id})).json()
    [account] = accounts["data"]["items"]
    assert account["connectionStatus"] == "CONNECTED"
    expected = account_args(user, account["id"], "sss")

    calls = await browser.calls()
    assert [c["name"] for c in calls] == [
        "onUIEvent",
        "onUIEvent",
        "onUIEvent",
        "onAccountCreated",
        "onUIEvent",
        "onUIEvent",
        "onAccountConnected",
        "onUIEvent",
        "onClose",
    ]
    assert await browser.named("onAccountCreated") == [[expected]]
    assert await browser.named("onAccountConnected") == [[expected]]
    assert await browser.named("onClose") == [[{"reason": "exit"}]]
    events = await check_ui_events(browser, user)
    assert [(e["eventName"], e["account"]) for e in events] == [
        ("ConsentPageOpened", None),
        ("ProviderListPageOpened", None),
        ("LoginPageOpened", None),
        ("MfaPageOpened", expected),
        ("MfaPageOpened", expected),
        ("ConnectSuccessPageOpened", expected),
    ]
    assert browser.outside_requests() == []


async def test_an_error_persona_is_named_and_can_be_retried(browser: Browser, user: Widget) -> None:
    await browser.open(user.token)
    await browser.widget.get_by_role("button", name="Agree and continue").click()
    await browser.widget.get_by_role("button", name="Virtual Pag-IBIG").click()
    await browser.heading("Connect Virtual Pag-IBIG")
    username = browser.widget.get_by_label("E-mail address", exact=True)
    assert await username.get_attribute("type") == "email"
    await sign_in(browser, "E-mail address", "juan@sahod.test", "error_ACCOUNT_LOCKED")

    await browser.heading("Your account is locked")
    await browser.widget.get_by_text("Virtual Pag-IBIG has locked this account").wait_for()
    await browser.shot("error")
    await browser.wait_for_call("onAccountError")
    [[first]] = await browser.named("onAccountError")
    assert first == {
        **account_args(user, first["accountId"], "pagibig"),
        "errorCode": "ACCOUNT_LOCKED",
    }

    await browser.widget.get_by_role("button", name="Try again").click()
    await browser.heading("Connect Virtual Pag-IBIG")
    await sign_in(browser, "E-mail address", "juan@sahod.test", "error_INVALID_CREDENTIALS")
    await browser.heading("Wrong user ID or password")
    await browser.wait_for_call("onAccountError", 2)
    await browser.widget.locator("#error-close").click()
    await browser.wait_for_call("onClose")

    errors = [args[0] for args in await browser.named("onAccountError")]
    assert [e["errorCode"] for e in errors] == ["ACCOUNT_LOCKED", "INVALID_CREDENTIALS"]
    assert all(sorted(e) == ["accountId", "errorCode", "providerId", "userId"] for e in errors)
    created = [args[0] for args in await browser.named("onAccountCreated")]
    assert [c["accountId"] for c in created] == [e["accountId"] for e in errors]
    assert await browser.named("onAccountConnected") == []
    assert await browser.named("onClose") == [[{"reason": "error"}]]
    names = [e["eventName"] for e in await check_ui_events(browser, user)]
    assert names == [
        "ConsentPageOpened",
        "ProviderListPageOpened",
        "LoginPageOpened",
        "LoginPageOpened",
    ]


async def test_an_expired_token_calls_on_token_expired(
    browser: Browser, user: Widget, database_url: str
) -> None:
    await browser.open(user.token)
    await browser.widget.get_by_role("button", name="Agree and continue").click()
    await browser.widget.get_by_role("button", name="eGSIS MO").click()
    await browser.heading("Connect eGSIS MO")
    # The token runs out while the user is typing.
    sql(
        database_url,
        "UPDATE access_tokens SET expires_at = now() - interval '1 minute' WHERE user_id = %s",
        user.user_id,
    )
    await sign_in(browser, "E-mail address", *GEORGE)
    await browser.heading("This session has expired")
    await browser.shot("expired")
    await browser.wait_for_call("onTokenExpired")
    assert await browser.named("onTokenExpired") == [[]]
    assert await browser.named("onAccountCreated") == []
    await browser.widget.locator("#expired-close").click()
    await browser.wait_for_call("onClose")
    assert await browser.named("onClose") == [[{"reason": "error"}]]


async def test_a_token_already_expired_is_reported_at_once(browser: Browser) -> None:
    await browser.open("tok_not-a-real-token")
    await browser.heading("This session has expired")
    await browser.wait_for_call("onTokenExpired")
    assert [c["name"] for c in await browser.calls()] == ["onTokenExpired"]


async def test_closing_and_exiting(browser: Browser, user: Widget) -> None:
    """Smile's reasons: the x icon (and Escape, its keyboard twin) is close wherever the user
    is; exit is Done on a success page (test_connects_with_a_one_time_code, the upload test);
    error is leaving an error page (test_an_error_persona_is_named_and_can_be_retried)."""
    # The user presses Escape in the widget before finishing: close.
    await browser.open(user.token)
    await browser.heading("Share your government records")
    await browser.page.keyboard.press("Escape")
    await browser.wait_for_call("onClose")
    assert await browser.page.locator("iframe").count() == 0
    assert await browser.page.evaluate("document.activeElement.id") == "open"

    # The x icon on the provider list: close too.
    await browser.page.click("#open")
    await browser.widget.get_by_role("button", name="Agree and continue").click()
    await browser.heading("Where are your records?")
    await browser.widget.get_by_role("button", name="Close", exact=True).click()
    await browser.wait_for_call("onClose", 2)

    # The host page closes it: close.
    await browser.page.click("#open")
    await browser.heading("Share your government records")
    await browser.page.evaluate("window.modal.close()")
    await browser.wait_for_call("onClose", 3)
    assert await browser.named("onClose") == [
        [{"reason": "close"}],
        [{"reason": "close"}],
        [{"reason": "close"}],
    ]
    assert await browser.page.locator(".sahod-link-overlay").count() == 0


async def test_the_sdk_options(browser: Browser) -> None:
    await browser.page.goto(browser.host.url)
    checks = await browser.page.evaluate(
        """(sahod) => {
            const errorOf = (options) => {
                try { new SmileLinkModal(options); return null; } catch (e) { return e.name; }
            };
            return {
                noToken: errorOf({}),
                emptyToken: errorOf({ userToken: "" }),
                badHost: errorOf({ userToken: "t", apiHost: "javascript:alert(1)" }),
                byDefault: new SmileLinkModal({ userToken: "t" }).origin,
                smileStyle: new SmileLinkModal({ userToken: "t", apiHost: sahod + "/v1" }).origin,
                other: new SmileLinkModal({
                    userToken: "t", apiHost: "https://link.example",
                }).origin,
                extras: new SmileLinkModal({
                    userToken: "t", templateId: "tpl", enableSampleModel: true,
                }).origin,
                closedTwice: (() => { const m = new SmileLinkModal({ userToken: "t" });
                                      m.close(); m.close(); return window.calls.length; })(),
            };
        }""",
        browser.sahod_url,
    )
    assert checks == {
        "noToken": "TypeError",
        "emptyToken": "TypeError",
        "badHost": "TypeError",
        "byDefault": browser.sahod_url,
        "smileStyle": browser.sahod_url,
        "other": "https://link.example",
        "extras": browser.sahod_url,
        "closedTwice": 0,
    }


async def test_messages_from_anyone_but_the_widget_are_ignored(
    browser: Browser, user: Widget
) -> None:
    await browser.open(user.token)
    await browser.heading("Share your government records")
    forged = {"source": "sahod-link", "type": "close", "reason": "exit"}
    callback = {
        "source": "sahod-link",
        "type": "callback",
        "name": "onAccountConnected",
        "payload": {"accountId": "a-forged", "userId": "u", "providerId": "sss"},
    }
    # From the host page itself, and from another frame: neither is the widget's window.
    await browser.page.evaluate(
        """([forged, callback]) => {
            window.postMessage(forged, "*");
            window.postMessage(callback, "*");
            const other = document.createElement("iframe");
            const script = "parent.postMessage(" + JSON.stringify(forged) + ", '*')";
            other.srcdoc = "<script>" + script + "<\\/script>";
            document.body.appendChild(other);
        }""",
        [forged, callback],
    )
    await browser.page.wait_for_timeout(500)
    assert await browser.page.locator(".sahod-link-overlay").count() == 1
    assert [c["name"] for c in await browser.calls()] == ["onUIEvent"]


async def test_the_widget_refuses_to_talk_to_a_page_it_was_not_given(
    browser: Browser, user: Widget
) -> None:
    # A page frames the widget claiming to be another origin: the widget stops there.
    browser.host.pages["/framed"] = (
        "<!doctype html><title>framed</title><script>window.got = [];"
        "addEventListener('message', e => window.got.push(e.data));</script>"
        f'<iframe id="w" src="{browser.sahod_url}/link/#token={user.token}'
        '&origin=http%3A%2F%2Fbank.example"></iframe>'
    )
    await browser.page.goto(f"{browser.host.url}/framed")
    frame = browser.page.frame_locator("#w")
    await frame.get_by_text("This page was opened from a site it was not given to.").wait_for()
    assert await browser.page.evaluate("window.got") == []


async def test_revoking_a_connected_account(browser: Browser, user: Widget) -> None:
    account = await user.connect_fully("sss", "nomfa@sahod.test", "sandbox1")
    await browser.open(user.token)
    await browser.widget.get_by_role("button", name="Manage connected accounts").click()
    await browser.heading("Your connected accounts")
    await browser.widget.get_by_text("Connected · updated every month").wait_for()
    await browser.shot("accounts")
    await browser.widget.get_by_role("button", name="Remove access to My.SSS").click()
    await browser.widget.get_by_text("Remove access to My.SSS? Sahod deletes").wait_for()
    await browser.shot("accounts-confirm")
    await browser.widget.get_by_role("button", name="Remove", exact=True).click()
    await browser.widget.get_by_text("You have no connected accounts.").wait_for()
    await browser.wait_for_call("onAccountRemoved")
    assert await browser.named("onAccountRemoved") == [[account_args(user, account["id"], "sss")]]
    tenant_view = (await user.tenant.get(f"/v1/accounts/{account['id']}")).json()["data"]
    assert tenant_view["connectionStatus"] == "DISCONNECTED"
    await browser.widget.get_by_role("button", name="Close", exact=True).click()
    await browser.wait_for_call("onClose")
    assert await browser.named("onClose") == [[{"reason": "close"}]]
    names = [e["eventName"] for e in await check_ui_events(browser, user)]
    assert names == ["ConsentPageOpened", "AccountRevokePageOpened"]


async def test_reconnecting_an_account_that_needs_the_user(
    browser: Browser, user: Widget, database_url: str
) -> None:
    account = await user.connect_fully("sss", *ALWAYS_MFA)
    # The monthly sync found the password no longer works.
    sql(
        database_url,
        "UPDATE accounts SET monitor_status = 'USER_ACTION_REQUIRED' WHERE id = %s",
        account["id"],
    )
    await browser.open(user.token)
    attention = "Your My.SSS connection needs you to sign in again."
    await browser.widget.get_by_text(attention).wait_for()
    await browser.widget.get_by_role("button", name="Manage connected accounts").click()
    await browser.widget.get_by_text("Needs you to sign in again", exact=True).wait_for()
    await browser.shot("accounts-reconnect")
    await browser.widget.get_by_role("button", name="Reconnect My.SSS").click()
    await browser.heading("Sign in to My.SSS again")
    await browser.shot("login-reconnect")
    await sign_in(browser, "User ID, e-mail or SS number", *ALWAYS_MFA)
    await browser.heading("Enter the one-time code")
    await enter_code(browser, "1234")
    await browser.heading("Connected")
    await browser.wait_for_call("onAccountConnected")

    view = await user.wait(account["id"], until="CONNECTED", syncing=False)
    assert view["monitorStatus"] == "ACTIVE"
    expected = account_args(user, account["id"], "sss")
    assert await browser.named("onAccountCreated") == []
    assert await browser.named("onAccountConnected") == [[expected]]
    events = await check_ui_events(browser, user)
    assert [(e["eventName"], e["account"]) for e in events] == [
        ("ConsentPageOpened", None),
        ("AccountRevokePageOpened", None),
        ("LoginPageOpened", expected),
        ("MfaPageOpened", expected),
        ("ConnectSuccessPageOpened", expected),
    ]


async def test_progress_falls_back_to_polling_without_the_event_stream(
    browser: Browser, user: Widget, server: LiveServer
) -> None:
    # No event stream (a proxy that buffers it, say): the widget polls the account instead.
    await browser.context.route(re.compile(r"/events\?"), lambda route: route.abort())
    portal = httpx.AsyncClient(
        base_url=f"{server.base_url}/sandbox/portals/gsis", headers=OPERATOR_HEADERS, timeout=10
    )
    (await portal.put("/_faults", json={"latency_ms": 400})).raise_for_status()
    try:
        await browser.open(user.token)
        await browser.widget.get_by_role("button", name="Agree and continue").click()
        await browser.widget.get_by_role("button", name="eGSIS MO").click()
        await sign_in(browser, "E-mail address", "nomfa@sahod.test", "sandbox1")
        await browser.heading("Connecting eGSIS MO")
        live = browser.widget.locator("#progress-message")
        assert await live.get_attribute("aria-live") == "polite"
        await browser.shot("progress")
        await browser.heading("Connected", within_ms=60_000)
    finally:
        await portal.post("/_reset")
        await portal.aclose()
    polls = [u for u in browser.requests if re.search(r"/link/v1/accounts/a-[0-9a-f]+$", u)]
    assert len(polls) >= 2
    await browser.wait_for_call("onAccountConnected")


async def test_a_phone_and_a_keyboard_are_enough(
    playwright: Playwright, host: HostSite, server: LiveServer, user: Widget, tmp_path: Any
) -> None:
    """On a phone-sized screen, with the keyboard alone: every page fits without sideways
    scrolling, every field has a label, and each new page takes the focus to its heading."""
    async with opened_page(playwright, tmp_path / "phone", PHONE) as (context, page):
        browser = Browser(context, page, host, server.base_url, "phone")
        await page.goto(f"{host.url}/?token={user.token}")
        await page.focus("#open")
        await page.keyboard.press("Enter")
        await browser.heading("Share your government records")
        frame = page.frame(url=re.compile(r"/link/"))
        assert frame is not None

        async def focused() -> str:
            return str(
                await frame.evaluate(
                    "document.activeElement.id || document.activeElement.textContent.trim()"
                )
            )

        async def fits(name: str) -> None:
            width = await frame.evaluate(
                "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
            )
            assert width[0] <= width[1], f"{name} scrolls sideways: {width}"
            unlabeled = await frame.evaluate(
                """[...document.querySelectorAll("section:not([hidden]) input")]
                    .filter(i => !i.labels.length).map(i => i.id)"""
            )
            assert unlabeled == [], name
            await browser.shot(name)

        assert await focused() == "consent-h"
        await fits("consent")
        await page.keyboard.press("Tab")
        assert await focused() == "agree"
        await page.keyboard.press("Enter")
        await browser.heading("Where are your records?")
        assert await focused() == "providers-h"
        await fits("providers")
        await page.keyboard.press("Tab")
        assert await focused() == "search"
        await page.keyboard.type("sss")
        await page.keyboard.press("Tab")
        await page.keyboard.press("Enter")
        await browser.heading("Connect My.SSS")
        await fits("login")
        await page.keyboard.press("Tab")
        assert await focused() == "username"
        await page.keyboard.type("alwaysmfa@sahod.test")
        await page.keyboard.press("Tab")
        await page.keyboard.type("sandbox1")
        await page.keyboard.press("Enter")
        await browser.heading("Enter the one-time code")
        assert await focused() == "mfa-h"
        await fits("mfa")
        await page.keyboard.press("Tab")
        assert await focused() == "code"
        await page.keyboard.type("1234")
        await page.keyboard.press("Enter")
        await browser.heading("Connected")
        assert await focused() == "success-h"
        await fits("success")
        await page.keyboard.press("Tab")
        await page.keyboard.press("Enter")
        await page.wait_for_function("window.calls.some(c => c.name === 'onClose')")
        assert await page.evaluate("document.activeElement.id") == "open"
