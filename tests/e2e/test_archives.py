"""A real `sahod serve` and its job worker: a document uploaded over HTTP is analysed and
its income published; a hostile file is refused; a file heavy enough to exhaust the
reader ends in ERROR, and the same worker goes on to analyse the next document."""

from __future__ import annotations

import asyncio
import base64
import io
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from tests.archives.helpers import sandbox_document
from tests.documents.hostile_files import png_bomb
from tests.e2e.conftest import create_tenant_with_cli
from tests.e2e.server import start_sahod


def _file(data: bytes, name: str, extension: str) -> dict[str, str]:
    return {
        "fileName": name,
        "fileExtensionType": extension,
        "fileContent": base64.b64encode(data).decode(),
    }


async def _settled(http: httpx.AsyncClient, archive_id: str, within: float) -> dict[str, Any]:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        archive: dict[str, Any] = (await http.get(f"/v1/archives/{archive_id}")).json()["data"]
        if archive["state"]["status"] != "STARTED":
            return archive
        await asyncio.sleep(0.5)
    raise AssertionError(f"archive {archive_id} is still STARTED after {within} s")


@pytest.mark.slow
async def test_the_worker_analyses_uploads_and_survives_hostile_ones(
    database_url: str, tmp_path: Path
) -> None:
    keys = create_tenant_with_cli(database_url, tmp_path, "Documents Tenant")
    server = start_sahod(
        ["serve"],
        env={"SAHOD_DATABASE_URL": database_url, "SAHOD_ARCHIVE_ANALYSIS_TIMEOUT_SECONDS": "60"},
        ready=r"Sahod is running",
        data_dir=tmp_path,
    )
    try:
        async with httpx.AsyncClient(
            base_url=server.base_url, auth=(keys["apiKey"], keys["apiSecret"]), timeout=60
        ) as http:
            refused = await http.post(
                "/v1/archives", json={"rawFiles": [_file(png_bomb(), "bomb.png", "PNG")]}
            )
            assert refused.status_code == 400
            assert "rawFiles[0] (bomb.png)" in refused.json()["message"]

            out = io.BytesIO()
            Image.new("L", (7000, 7000), 255).save(out, format="PNG")
            heavy = await http.post(
                "/v1/archives",
                json={"fileType": "PAYSLIP", "rawFiles": [_file(out.getvalue(), "h.png", "PNG")]},
            )
            payslip = sandbox_document().data()
            good = await http.post(
                "/v1/archives", json={"rawFiles": [_file(payslip, "payslip.pdf", "PDF")]}
            )
            assert heavy.status_code == good.status_code == 200

            failed = await _settled(http, heavy.json()["data"]["id"], within=120)
            analysed = await _settled(http, good.json()["data"]["id"], within=120)

            assert failed["state"]["status"] in ("ERROR", "UNSUPPORTED")
            assert failed["state"]["errorCode"]
            assert analysed["state"]["status"] == "ANALYZED", analysed["state"]
            incomes = await http.get("/v1/incomes", params={"sourceId": analysed["id"]})
            assert incomes.json()["data"]["items"][0]["metadata"]["sourceType"] == "ARCHIVE"
            # The worker finished each archive's ANALYZE_ARCHIVE task with it.
            for archive, datapoints in ((failed, []), (analysed, ["INCOMES"])):
                listed = await http.get("/v1/tasks", params={"sourceId": archive["id"]})
                [task] = listed.json()["data"]["items"]
                assert task["type"] == "ANALYZE_ARCHIVE" and task["status"] == "Finished"
                assert [k for k in task["datapoints"] if k == "INCOMES"] == datapoints
            async with httpx.AsyncClient() as anonymous:  # the link is the authorization
                download = await anonymous.get(analysed["rawFiles"][0]["url"])
            assert download.status_code == 200 and download.content == payslip
        assert server.process.poll() is None
    finally:
        server.stop()
