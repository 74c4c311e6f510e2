"""Browser tests: Debian's Chromium driven by Playwright, a real `sahod serve`, and a tenant's
host page served from another origin (another port) that loads the SDK with a script tag.

Playwright cannot download its own browsers here: `scripts/ensure-chromium.sh` (run by
`make test`) installs /usr/bin/chromium, and the tests launch that one with a fresh
user-data-dir each time.
"""

from __future__ import annotations

import json
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg
import pytest
from playwright.async_api import BrowserContext, FrameLocator, Page, Playwright, async_playwright

from tests.e2e.conftest import LiveServer, running_server
from tests.e2e.server import free_port

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "widget"
PORTAL_ARTIFACTS = ARTIFACTS.parent / "portal"
FAST = {
    "SAHOD_MFA_TIMEOUT_SECONDS": "60",
    "SAHOD_RETRY_BASE_SECONDS": "0.2",
    "SAHOD_LINK_RETRY_WINDOW_SECONDS": "2",
    "SAHOD_WORKER_CONCURRENCY": "10",
}
GEORGE = ("gpalomero1234@smileapi.io", "123456")
GEORGE_CODE = "1234"
WIDE = {"width": 1400, "height": 900}
PHONE = {"width": 390, "height": 844}
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

# A tenant's page, embedding the SDK exactly as Smile documents it. Every callback records
# its name and arguments in window.calls.
HOST_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Acme Lending</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font:16px system-ui,sans-serif;margin:24px}}</style></head>
<body><h1>Acme Lending</h1><p>Apply for a salary loan.</p>
<button id="open" type="button">Connect your account</button>
<script src="{sahod}/v2/smile.v2.js"></script>
<script>
window.calls = [];
function record(name) {{
  return function () {{
    window.calls.push({{ name: name, args: Array.prototype.slice.call(arguments) }});
  }};
}}
document.getElementById("open").addEventListener("click", function () {{
  var userToken = new URLSearchParams(location.search).get("token");
  window.modal = new SmileLinkModal({{
    userToken: userToken,
    templateId: "tpl-test",
    enableSampleModel: false,{options}
    {callbacks}
  }});
  window.modal.open();
}});
</script></body></html>
"""


def host_page(sahod_url: str, *, enable_upload: bool = False) -> str:
    callbacks = ",\n    ".join(f'{name}: record("{name}")' for name in CALLBACKS)
    options = "\n    enableUpload: true," if enable_upload else ""
    return HOST_PAGE.format(sahod=sahod_url, callbacks=callbacks, options=options)


@dataclass
class HostSite:
    """The tenant's site: its own origin, serving the page that embeds the SDK."""

    sahod_url: str
    pages: dict[str, str] = field(default_factory=dict)
    port: int = 0
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        pages = self.pages
        pages.setdefault("/", host_page(self.sahod_url))
        pages.setdefault("/upload", host_page(self.sahod_url, enable_upload=True))

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = pages.get(urlsplit(self.path).path)
                if body is None:
                    self.send_error(404)
                    return
                data = body.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


@pytest.fixture(scope="module")
def server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data_dir = tmp_path_factory.mktemp("browser")
    with running_server(database_url, data_dir, "Browser Tenant", FAST) as running:
        yield running


@pytest.fixture(scope="module")
def host(server: LiveServer) -> Iterator[HostSite]:
    site = HostSite(sahod_url=server.base_url)
    site.start()
    yield site
    site.stop()


@pytest.fixture(scope="module")
def chromium() -> Path:
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium: run scripts/ensure-chromium.sh (make test does)")
    return CHROMIUM


@pytest.fixture(scope="module")
async def playwright(chromium: Path) -> AsyncIterator[Playwright]:
    async with async_playwright() as driver:
        yield driver


async def launch(
    driver: Playwright,
    profile: Path,
    viewport: dict[str, int] | None = None,
    *,
    phone: bool = False,
) -> BrowserContext:
    """Debian's Chromium with a fresh user-data-dir; ``phone``: a touch screen, as the
    page's media queries (``pointer: coarse``) see a phone."""
    return await driver.chromium.launch_persistent_context(
        str(profile),
        executable_path=str(CHROMIUM),
        headless=True,
        args=CHROMIUM_ARGS,
        viewport=viewport or {"width": 1100, "height": 820},
        is_mobile=phone,
        has_touch=phone,
    )


@asynccontextmanager
async def opened_page(
    driver: Playwright,
    profile: Path,
    viewport: dict[str, int] | None = None,
    *,
    phone: bool = False,
) -> AsyncIterator[tuple[BrowserContext, Page]]:
    """:func:`launch`'s first tab; on the way out the browser closes, and an uncaught error
    in the page fails the test."""
    context = await launch(driver, profile, viewport, phone=phone)
    page = context.pages[0] if context.pages else await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        yield context, page
    finally:
        await context.close()
    assert not errors, f"uncaught errors in the page: {errors}"


async def sign_in_as_george(widget: FrameLocator) -> None:
    """In an opened widget: consent, My.SSS, George's sign-in, and his one-time code typed
    (the caller presses Verify)."""
    await widget.get_by_role("button", name="Agree and continue").click()
    await widget.get_by_role("button", name="My.SSS").click()
    await widget.get_by_label("User ID, e-mail or SS number", exact=True).fill(GEORGE[0])
    await widget.get_by_label("Password", exact=True).fill(GEORGE[1])
    await widget.locator("#login-submit").click()
    await widget.get_by_label("One-time code", exact=True).fill(GEORGE_CODE)


@dataclass
class PortalPage:
    """A developer-portal page, photographed under test-artifacts/portal/, with what it
    requested and logged."""

    page: Page
    base_url: str
    requests: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)

    @classmethod
    def watching(cls, context: BrowserContext, page: Page, base_url: str) -> PortalPage:
        opened = cls(page, base_url)
        context.on("request", lambda r: opened.requests.append(r.url))
        page.on("console", lambda message: opened.console.append(message.text))
        return opened

    async def shot(self, name: str, *, full_page: bool = True) -> Path:
        PORTAL_ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = PORTAL_ARTIFACTS / f"{name}.png"
        await self.page.screenshot(path=str(path), full_page=full_page)
        return path

    def outside_requests(self) -> list[str]:
        return [u for u in self.requests if not u.startswith((self.base_url, "data:"))]

    def csp_violations(self) -> list[str]:
        return [m for m in self.console if "Content Security Policy" in m]


@dataclass
class Browser:
    """One tenant page with the SDK, and helpers to look into the widget's iframe."""

    context: BrowserContext
    page: Page
    host: HostSite
    sahod_url: str
    name: str
    requests: list[str] = field(default_factory=list)

    @property
    def widget(self) -> FrameLocator:
        return self.page.frame_locator("iframe.sahod-link-frame")

    async def open(self, token: str, page: str = "/") -> None:
        await self.page.goto(f"{self.host.url}{page}?token={token}")
        await self.page.click("#open")

    async def calls(self) -> list[dict[str, Any]]:
        calls: list[dict[str, Any]] = await self.page.evaluate("window.calls")
        return calls

    async def named(self, name: str) -> list[list[Any]]:
        return [call["args"] for call in await self.calls() if call["name"] == name]

    async def ui_events(self) -> list[str]:
        return [args[0]["eventName"] for args in await self.named("onUIEvent")]

    async def wait_for_call(self, name: str, count: int = 1, within_ms: float = 30_000) -> None:
        await self.page.wait_for_function(
            "([name, count]) => window.calls.filter(c => c.name === name).length >= count",
            arg=[name, count],
            timeout=within_ms,
        )

    async def heading(self, text: str, within_ms: float = 30_000) -> None:
        """Wait until the widget's visible page is the one with this heading."""
        await self.widget.locator("section:not([hidden]) h1", has_text=text).wait_for(
            timeout=within_ms
        )

    async def shot(self, page_name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{self.name}-{page_name}.png"
        await self.page.screenshot(path=str(path))
        return path

    def outside_requests(self) -> list[str]:
        allowed = (self.host.url, self.sahod_url)
        return [url for url in self.requests if not url.startswith(allowed)]


@pytest.fixture
async def browser(
    playwright: Playwright,
    host: HostSite,
    server: LiveServer,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> AsyncIterator[Browser]:
    async with opened_page(playwright, tmp_path / "profile") as (context, page):
        name = request.node.name.removeprefix("test_")
        opened = Browser(context, page, host, server.base_url, name)
        context.on("request", lambda r: opened.requests.append(r.url))
        yield opened


def sql(database_url: str, statement: str, *params: object) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(statement, params)  # type: ignore[arg-type]


def as_json(value: object) -> str:
    return json.dumps(value, sort_keys=True)
