"""The SDK and the widget as the server serves them: the page-weight budget, the headers that
keep the widget to this server's own files, and what the SDK and the widget promise."""

from __future__ import annotations

import re
from datetime import timedelta
from html.parser import HTMLParser

import httpx

from sahod.kit.clock import ManualClock
from sahod.providers.base import ErrorCode
from sahod.providers.catalog import PROVIDERS
from sahod.widget.endpoints import SDK_FILE, WIDGET_PAGE
from tests.conftest import TenantClient

SDK_BUDGET = 15 * 1024
PAGE_BUDGET = 100 * 1024
CALLBACKS = (
    "onAccountCreated",
    "onAccountConnected",
    "onAccountRemoved",
    "onAccountError",
    "onUploadsCreated",
    "onUploadsRemoved",
    "onTokenExpired",
    "onClose",
    "onUIEvent",
)
PAGE_EVENTS = (
    "ConsentPageOpened",
    "ProviderListPageOpened",
    "LoginPageOpened",
    "MfaPageOpened",
    "ConnectSuccessPageOpened",
    "AccountRevokePageOpened",
    "FileTypeListPageOpened",
    "UploadPageOpened",
)


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href") and value:
                self.urls.append(value)


async def test_the_sdk_is_under_15_kb(anonymous: httpx.AsyncClient) -> None:
    response = await anonymous.get("/v2/smile.v2.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.headers["access-control-allow-origin"] == "*"
    assert len(response.content) == SDK_FILE.stat().st_size
    assert len(response.content) < SDK_BUDGET, f"the SDK weighs {len(response.content)} bytes"


async def test_the_widget_page_with_all_it_loads_is_under_100_kb(
    anonymous: httpx.AsyncClient,
) -> None:
    """The widget is one page whose views are shown in turn: its weight is the page, every
    file it references, and the provider logos its lists show."""
    page = await anonymous.get("/link/")
    assert page.status_code == 200
    links = _Links()
    links.feed(page.text)
    assert sorted(links.urls) == ["/link/assets/widget.css", "/link/assets/widget.js"]
    total = len(page.content)
    for url in links.urls:
        asset = await anonymous.get(url)
        assert asset.status_code == 200, url
        total += len(asset.content)
    for provider in PROVIDERS:
        logo = await anonymous.get(f"/static/providers/{provider.id}.svg")
        assert logo.status_code == 200
        total += len(logo.content)
    assert total < PAGE_BUDGET, f"the widget weighs {total} bytes"


async def test_the_widget_may_load_only_this_servers_files(anonymous: httpx.AsyncClient) -> None:
    response = await anonymous.get("/link/")
    csp = response.headers["content-security-policy"]
    for directive in ("default-src 'none'", "script-src 'self'", "style-src 'self'"):
        assert directive in csp
    assert "connect-src 'self'" in csp and "img-src 'self'" in csp
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-content-type-options"] == "nosniff"
    # And none of its files names another host: no CDN, no web font, no analytics.
    for path in (WIDGET_PAGE, *sorted(WIDGET_PAGE.parent.iterdir()), SDK_FILE):
        assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", path.read_text()), path


async def test_widget_routes(anonymous: httpx.AsyncClient) -> None:
    moved = await anonymous.get("/link")
    assert moved.status_code == 308 and moved.headers["location"] == "/link/"
    assert (await anonymous.head("/link/")).status_code == 200
    assert (await anonymous.head("/v2/smile.v2.js")).status_code == 200
    for name in ("nope.js", "index.html", "..%2Fsmile.v2.js", "%2e%2e%2fendpoints.py"):
        missing = await anonymous.get(f"/link/assets/{name}")
        assert missing.status_code == 404, name
        assert missing.json()["code"] == "MISSING_RESOURCE"
    assert (
        (await anonymous.get("/link/assets/widget.css"))
        .headers["content-type"]
        .startswith("text/css")
    )


async def test_the_session_says_who_the_token_acts_for(
    tenant: TenantClient, anonymous: httpx.AsyncClient, clock: ManualClock
) -> None:
    created = (await tenant.http.post("/v1/users")).json()["data"]
    token = created["token"]["accessToken"]
    response = await anonymous.get("/link/v1/session", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.json()["data"] == {
        "userId": created["user"]["id"],
        "mode": "SANDBOX",
        "expiresAt": created["token"]["expiresAt"],
    }
    assert (await anonymous.get("/link/v1/session")).status_code == 401
    wrong = await anonymous.get("/link/v1/session", headers={"Authorization": "Bearer tok_x"})
    assert wrong.status_code == 401 and wrong.json()["code"] == "INVALID_TOKEN"
    clock.advance(timedelta(hours=5, seconds=1))
    expired = await anonymous.get("/link/v1/session", headers={"Authorization": f"Bearer {token}"})
    assert expired.status_code == 401


def test_the_sdk_knows_every_callback_and_the_widget_every_page() -> None:
    sdk = SDK_FILE.read_text()
    widget = (WIDGET_PAGE.parent / "widget.js").read_text()
    for name in CALLBACKS:
        assert name in sdk
    for name in PAGE_EVENTS:
        assert f'"{name}"' in widget


def test_every_error_code_has_its_own_plain_words() -> None:
    widget = (WIDGET_PAGE.parent / "widget.js").read_text()
    words = set()
    for code in ErrorCode:
        found = re.search(rf"\n    {code.value}: \[(.+)\],\n", widget)
        assert found, f"no words for {code.value}"
        words.add(found.group(1))
    assert len(words) == len(ErrorCode)
