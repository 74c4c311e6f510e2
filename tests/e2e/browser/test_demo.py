"""`sahod demo` as a newcomer runs it: the sample tenant site, the widget over it, and the
callbacks and signed webhooks in its live log."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.async_api import Playwright

from tests.e2e.browser.conftest import ARTIFACTS, WIDE, opened_page, sign_in_as_george
from tests.e2e.server import SahodProcess, free_port, start_sahod

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SahodProcess]:
    site_port = free_port()
    process = start_sahod(
        ["demo", "--site-port", str(site_port)],
        env={"SAHOD_DATABASE_URL": database_url},
        ready=rf"Open http://127\.0\.0\.1:{site_port} in your browser",
        data_dir=tmp_path_factory.mktemp("demo"),
    )
    try:
        yield process
    finally:
        process.stop()


async def test_the_demo_connects_an_account_and_shows_callbacks_and_webhooks(
    demo: SahodProcess, playwright: Playwright, tmp_path: Path
) -> None:
    output = "".join(demo.output)
    assert "gpalomero1234@smileapi.io" in output and "1234" in output
    assert "Smile-Signature checked" in output
    assert "/portal/" in output and "developer@sandbox.sahod.test" in output
    site = demo.printed(r"Open (http://\S+) in your browser")

    async with opened_page(playwright, tmp_path / "profile", WIDE) as (_context, page):
        await page.goto(site)
        await page.get_by_role("button", name="Connect an account").click()
        widget = page.frame_locator("iframe.sahod-link-frame")
        await sign_in_as_george(widget)
        await widget.get_by_role("button", name="Verify").click()
        await widget.locator("section:not([hidden]) h1", has_text="Connected").wait_for(
            timeout=60_000
        )
        log = page.locator("#log")
        await log.get_by_text("onAccountConnected(…)").wait_for()
        # The receiver checked each webhook's Smile-Signature.
        for event in ("ACCOUNT_CREATED", "ACCOUNT_CONNECTED", "TASK_FINISHED"):
            await log.locator(".entry.webhook", has_text=event).first.wait_for(timeout=60_000)
        assert await log.locator(".entry.webhook.bad").count() == 0
        assert await log.locator(".entry.webhook", has_text="signature ✓").count() >= 3
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(ARTIFACTS / "demo-connected.png"))

        await widget.get_by_role("button", name="Done").click()
        await page.locator("#records", has_text="sss · CONNECTED").wait_for()
        await page.locator("#records", has_text="contributions").wait_for(timeout=30_000)
        await page.screenshot(path=str(ARTIFACTS / "demo-records.png"))
    assert demo.stop(signal.SIGINT) == 0
