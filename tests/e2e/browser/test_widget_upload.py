"""The widget's upload flow in a real browser on a phone-sized touch screen: a tenant page
with `enableUpload: true`, a user who picks a document type, uploads a sandbox payslip,
sees it read, removes it, and closes the widget each of the three ways Smile documents."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image
from playwright.async_api import Playwright

from tests.e2e.browser.conftest import PHONE, Browser, HostSite, opened_page
from tests.e2e.conftest import LiveServer
from tests.e2e.widget import Widget

pytestmark = pytest.mark.slow

UPLOAD_KEYS = ["createdAt", "id", "providerId", "rawFiles", "state", "type", "userId"]


@pytest.fixture
async def user(server: LiveServer) -> AsyncIterator[Widget]:
    opened = await Widget.open(server.base_url, server.api_key, server.api_secret)
    yield opened
    await opened.close()


@pytest.fixture
async def phone(
    playwright: Playwright, host: HostSite, server: LiveServer, tmp_path: Path
) -> AsyncIterator[Browser]:
    async with opened_page(playwright, tmp_path / "phone", PHONE, phone=True) as (context, page):
        opened = Browser(context, page, host, server.base_url, "upload-phone")
        context.on("request", lambda r: opened.requests.append(r.url))
        yield opened


async def sandbox_payslip(server: LiveServer, tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    """A sandbox persona's text-PDF payslip, downloaded from the server as a tenant trying
    the flow would, and what its extraction must be."""
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as http:
        index = (await http.get("/sandbox/documents")).json()["data"]["items"]
        item = next(i for i in index if i["fileType"] == "PAYSLIP" and i["format"] == "PDF")
        response = await http.get(item["url"])
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/pdf"
    path = tmp_path / "payslip.pdf"
    path.write_bytes(response.content)
    return path, item


def check_uploads_argument(argument: dict[str, Any], user: Widget, archive_id: str) -> None:
    """onUploadsCreated / onUploadsRemoved: exactly {uploads, userId}, uploads in the
    contract's Upload shape."""
    assert sorted(argument) == ["uploads", "userId"]
    assert argument["userId"] == user.user_id
    [upload] = argument["uploads"]
    assert sorted(k for k in upload if upload[k] is not None) == UPLOAD_KEYS
    assert upload["id"] == archive_id and upload["userId"] == user.user_id
    assert upload["providerId"] == "user-provided" and upload["type"] == "PAYSLIP"
    assert [f["name"] for f in upload["rawFiles"]] == ["payslip.pdf"]


async def test_uploading_a_payslip_on_a_phone(
    phone: Browser, user: Widget, server: LiveServer, tmp_path: Path
) -> None:
    browser = phone
    await browser.open(user.token, "/upload")
    await browser.widget.get_by_role("button", name="Agree and continue").click()
    await browser.heading("Where are your records?")
    await browser.shot("upload-providers")
    await browser.widget.get_by_role("button", name="Upload documents").click()

    await browser.heading("What are you uploading?")
    await browser.shot("upload-types")
    await browser.widget.locator("#filetype-list button", has_text="Payslip").first.click()
    await browser.heading("Upload your")
    # A phone is offered its camera as well as its files.
    camera = browser.widget.locator("#camera")
    assert await camera.get_attribute("capture") == "environment"
    assert await browser.widget.locator("#camera-field").is_visible()
    accepted = await browser.widget.locator("#files").get_attribute("accept")
    assert accepted is not None
    for media_type in ("application/pdf", "image/png", "image/jpeg", "image/tiff"):
        assert media_type in accepted

    # A text file named .pdf is refused by the server, naming the file.
    fake = tmp_path / "fake.pdf"
    fake.write_text("this is not a PDF at all\n" * 20)
    await browser.widget.locator("#files").set_input_files(str(fake))
    alert = browser.widget.locator("#upload-error")
    await alert.wait_for()
    assert "fake.pdf" in await alert.inner_text()
    assert await browser.named("onUploadsCreated") == []

    payslip, sandbox_item = await sandbox_payslip(server, tmp_path)
    await browser.widget.locator("#files").set_input_files(str(payslip))
    await browser.wait_for_call("onUploadsCreated")
    [[created]] = await browser.named("onUploadsCreated")
    archive_id = created["uploads"][0]["id"]
    check_uploads_argument(created, user, archive_id)
    assert created["uploads"][0]["state"]["status"] == "STARTED"
    item = browser.widget.locator(f'#upload-list li[data-archive="{archive_id}"]')
    await item.get_by_text("Read as a payslip", exact=True).wait_for(timeout=90_000)
    await browser.shot("upload-read")
    width = (
        await browser.page.frame_locator("iframe.sahod-link-frame")
        .locator("html")
        .evaluate("e => [e.scrollWidth, e.clientWidth]")
    )
    assert width[0] <= width[1], f"the upload page scrolls sideways: {width}"

    tenant_view = (await user.tenant.get(f"/v1/archives/{archive_id}")).json()["data"]
    assert tenant_view["state"]["status"] == "ANALYZED"
    assert tenant_view["providerId"] == "user-provided"
    assert tenant_view["classification"]["fileType"] == "PAYSLIP"
    assert tenant_view["extraction"] == sandbox_item["expectedExtraction"]

    await browser.widget.get_by_role("button", name="Remove payslip.pdf").click()
    await browser.wait_for_call("onUploadsRemoved")
    [[removed]] = await browser.named("onUploadsRemoved")
    check_uploads_argument(removed, user, archive_id)
    assert removed["uploads"][0]["state"]["status"] == "REVOKED"
    assert await browser.widget.locator("#upload-list li").count() == 0
    tenant_view = (await user.tenant.get(f"/v1/archives/{archive_id}")).json()["data"]
    assert tenant_view["state"]["status"] == "REVOKED"

    # A photo from the camera that shows no document: stored, then not readable.
    blank = tmp_path / "photo.png"
    Image.new("RGB", (300, 200), "white").save(blank)
    await browser.widget.locator("#camera").set_input_files(str(blank))
    await browser.wait_for_call("onUploadsCreated", 2)
    blank_id = (await browser.named("onUploadsCreated"))[1][0]["uploads"][0]["id"]
    line = browser.widget.locator(f'#upload-list li[data-archive="{blank_id}"]')
    await line.get_by_text("Could not be read:").wait_for(timeout=90_000)
    await browser.shot("upload-unreadable")
    failed = (await user.tenant.get(f"/v1/archives/{blank_id}")).json()["data"]["state"]
    assert failed["status"] in ("UNSUPPORTED", "ERROR")
    assert failed["errorMessage"] in await line.inner_text()

    # onUIEvent carries the archive through its life, and the pages on the way.
    events = [args[0] for args in await browser.named("onUIEvent")]
    assert [(e["eventName"], (e["archive"] or {}).get("status")) for e in events] == [
        ("ConsentPageOpened", None),
        ("ProviderListPageOpened", None),
        ("FileTypeListPageOpened", None),
        ("UploadPageOpened", None),
        ("ArchiveStarted", "STARTED"),
        ("ArchiveAnalyzed", "ANALYZED"),
        ("ArchiveRevoked", "REVOKED"),
        ("ArchiveStarted", "STARTED"),
        ("ArchiveFailed", failed["status"]),
    ]
    archives = [e["archive"]["archiveId"] for e in events if e["archive"] is not None]
    assert archives == [archive_id] * 3 + [blank_id] * 2
    for event in events:
        assert event["userId"] == user.user_id and event["account"] is None
        if event["archive"] is not None:
            assert event["archive"] == {
                "archiveId": event["archive"]["archiveId"],
                "userId": user.user_id,
                "providerId": "user-provided",
                "type": "PAYSLIP",
                "status": event["archive"]["status"],
            }

    # Done on the upload page: exit.
    await browser.widget.get_by_role("button", name="Done").click()
    await browser.wait_for_call("onClose")
    # The x icon: close.
    await browser.page.click("#open")
    await browser.heading("Share your government records")
    await browser.widget.get_by_role("button", name="Close", exact=True).click()
    await browser.wait_for_call("onClose", 2)
    assert await browser.named("onClose") == [[{"reason": "exit"}], [{"reason": "close"}]]
    assert browser.outside_requests() == []

    # Leaving an error page: error.
    await browser.open("tok_not-a-real-token", "/upload")
    await browser.heading("This session has expired")
    await browser.widget.locator("#expired-close").click()
    await browser.wait_for_call("onClose")
    assert await browser.named("onClose") == [[{"reason": "error"}]]
