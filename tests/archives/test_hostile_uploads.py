"""Hostile uploads through the API: refused with a 400 naming the file, nothing stored; a
file valid enough to store but hostile to read ends the archive in ERROR/UNSUPPORTED, and
the worker goes on to analyse the next archive."""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from types import SimpleNamespace

import pytest
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sahod.archives.models import Archive
from sahod.files.models import StoredFile
from sahod.runtime import Runtime
from tests.archives.helpers import b64, raw_file, run_analyses, sandbox_document
from tests.conftest import TenantClient
from tests.contract.smile import contract_errors
from tests.documents import hostile_files as files

HOSTILE: dict[str, tuple[str, Callable[[], bytes], str]] = {
    "zip bomb disguised as PNG": ("bomb.png", files.png_bomb, "megapixels"),
    "10,000-page PDF": ("pages.pdf", lambda: files.pdf(10_000), "more than 50 pages"),
    "PDF after PNG data": ("both.png", files.png_then_pdf, "polyglot"),
    "ZIP appended to a JPEG": ("gifar.jpg", files.jpeg_then_zip, "polyglot"),
    "16 MB file": ("big.pdf", lambda: files.pdf() + b"\0" * (16 << 20), "larger than 15 MB"),
    "truncated JPEG": ("cut.jpg", files.truncated_jpeg, "truncated JPEG"),
    "text renamed .pdf": ("notes.pdf", lambda: b"Net pay 25,000\n" * 20, "content is text"),
    "encrypted PDF": ("locked.pdf", files.encrypted_pdf, "encrypted"),
}
EXTENSIONS = {"png": "PNG", "pdf": "PDF", "jpg": "JPEG"}


@pytest.mark.parametrize("case", list(HOSTILE))
async def test_hostile_files_are_refused_by_name_and_nothing_is_stored(
    case: str, tenant: TenantClient, session: AsyncSession
) -> None:
    name, make, reason = HOSTILE[case]
    good = raw_file(sandbox_document().data(), "good.pdf")
    hostile = raw_file(make(), name, EXTENSIONS[name.rsplit(".", 1)[1]])

    started = time.monotonic()
    answer = await tenant.http.post("/v1/archives", json={"rawFiles": [good, hostile]})

    assert time.monotonic() - started < 10
    assert answer.status_code == 400, answer.text[:300]
    body = answer.json()
    assert body["code"] == "INVALID_PARAMETERS"
    assert f"rawFiles[1] ({name})" in body["message"] and reason in body["message"]
    assert contract_errors("/archives", "POST", 400, body) == []
    assert await session.scalar(select(func.count()).select_from(Archive)) == 0
    assert await session.scalar(select(func.count()).select_from(StoredFile)) == 0


async def test_bad_base64_is_refused_by_name(tenant: TenantClient) -> None:
    answer = await tenant.http.post(
        "/v1/archives",
        json={
            "rawFiles": [
                {"fileName": "scan.png", "fileExtensionType": "PNG", "fileContent": "%%%not64"}
            ]
        },
    )
    assert answer.status_code == 400
    assert "rawFiles[0] (scan.png) fileContent is not valid base64" in answer.json()["message"]


@pytest.mark.slow  # about 12 s: the child reads a 49 MP image until its limits stop it
async def test_a_huge_but_allowed_image_ends_in_error_and_the_worker_carries_on(
    tenant: TenantClient, session: AsyncSession, runtime: Runtime
) -> None:
    # 7,000 x 7,000 pixels: under the 50 MP bound, so stored; heavy to decode and read.
    out = io.BytesIO()
    Image.new("L", (7000, 7000), 255).save(out, format="PNG")
    heavy = await tenant.http.post(
        "/v1/archives",
        json={
            "fileType": "PAYSLIP",
            "rawFiles": [
                {
                    "fileName": "huge.png",
                    "fileExtensionType": "PNG",
                    "fileContent": b64(out.getvalue()),
                }
            ],
        },
    )
    assert heavy.status_code == 200, heavy.text[:300]
    payslip = await tenant.http.post(
        "/v1/archives", json={"rawFiles": [raw_file(sandbox_document().data(), "p.pdf")]}
    )

    assert await run_analyses(session, runtime) == 2

    first = (await tenant.http.get(f"/v1/archives/{heavy.json()['data']['id']}")).json()["data"]
    assert first["state"]["status"] in ("ERROR", "UNSUPPORTED")
    assert first["state"]["errorCode"] is not None
    second = (await tenant.http.get(f"/v1/archives/{payslip.json()['data']['id']}")).json()
    assert second["data"]["state"]["status"] == "ANALYZED"


async def test_a_job_that_cannot_read_the_files_ends_the_archive_in_error(
    tenant: TenantClient, session: AsyncSession, runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    from sqlalchemy import update

    from sahod.archives.tasks import analyze
    from tests.archives.helpers import events_of, queued_analyses

    created = await tenant.http.post(
        "/v1/archives", json={"rawFiles": [raw_file(sandbox_document().data(), "p.pdf")]}
    )
    archive_id = created.json()["data"]["id"]
    # Its bytes are in a store this server no longer has (SAHOD_FILE_STORE changed).
    await session.execute(
        update(StoredFile).where(StoredFile.owner_id == archive_id).values(store="s3")
    )
    await session.commit()
    [args] = await queued_analyses(session)

    # What procrastinate hands a task: the worker's context, carrying the runtime.
    context = SimpleNamespace(additional_context={"runtime": runtime})
    await analyze(context, **args)  # type: ignore[arg-type]

    archive = (await tenant.http.get(f"/v1/archives/{archive_id}")).json()["data"]
    assert archive["state"]["status"] == "ERROR"
    assert archive["state"]["errorCode"] == "SYSTEM_ERROR"
    assert len(await events_of(session, tenant.tenant_id, "ARCHIVE_FAILED")) == 1
    assert "archive job failed" in caplog.text
