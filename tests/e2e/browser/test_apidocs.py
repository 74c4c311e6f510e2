"""The API docs render in a real browser that may reach nothing but the Sahod server: every
file they need comes from it, under a strict Content-Security-Policy."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.async_api import BrowserContext, Page, Playwright, Route

from tests.e2e.browser.conftest import opened_page
from tests.e2e.conftest import LiveServer

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "apidocs"


@dataclass
class Offline:
    context: BrowserContext
    page: Page
    refused: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)


@pytest.fixture
async def offline(
    playwright: Playwright, server: LiveServer, tmp_path: Path
) -> AsyncIterator[Offline]:
    async with opened_page(playwright, tmp_path / "profile") as (context, page):
        opened = Offline(context, page)

        async def only_sahod(route: Route) -> None:
            url = route.request.url
            if url.startswith(server.base_url) or url.startswith(("data:", "blob:")):
                await route.continue_()
            else:
                # As on a server without internet access: any other host is unreachable.
                opened.refused.append(url)
                await route.abort("internetdisconnected")

        await context.route("**/*", only_sahod)
        page.on("console", lambda message: opened.console.append(message.text))
        yield opened


def _csp_violations(console: list[str]) -> list[str]:
    return [text for text in console if "Content Security Policy" in text]


async def test_swagger_ui_renders_every_operation_offline(
    offline: Offline, server: LiveServer
) -> None:
    response = await offline.page.goto(f"{server.base_url}/v1/docs")
    assert response is not None and response.status == 200
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    operations = offline.page.locator(".opblock")
    await operations.first.wait_for(timeout=30_000)
    assert await operations.count() > 30
    health = offline.page.locator(".opblock-summary-path", has_text="/v1/providers/{id}/health")
    await health.first.wait_for()
    # An operation opens to show its parameters and answers.
    await health.first.click()
    await offline.page.locator(".opblock.is-open .responses-wrapper").first.wait_for()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await offline.page.screenshot(path=str(ARTIFACTS / "swagger-ui.png"))
    assert offline.refused == []
    assert _csp_violations(offline.console) == []


async def test_redoc_renders_offline(offline: Offline, server: LiveServer) -> None:
    response = await offline.page.goto(f"{server.base_url}/v1/redoc")
    assert response is not None and response.status == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]
    await offline.page.get_by_text("Retrieve one provider").first.wait_for(timeout=30_000)
    assert await offline.page.locator("[data-section-id^='operation/']").count() > 30
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await offline.page.screenshot(path=str(ARTIFACTS / "redoc.png"))
    assert offline.refused == []
    # ReDoc's sidebar credits its maker with a logo from their CDN: the policy stops that
    # image (no request leaves the browser), and nothing else.
    blocked = _csp_violations(offline.console)
    assert all("img-src" in text and "cdn.redoc.ly" in text for text in blocked), blocked
