"""The sandbox documents a tenant downloads to try archives: the index, the files, and
that each file reads back to the extraction the index promises."""

from __future__ import annotations

from dataclasses import replace

import httpx

from sahod.app import create_app
from sahod.documents import DocumentFile, KnownPerson
from sahod.documents.analysis import analyze
from sahod.documents.sandbox import sandbox_personas
from sahod.runtime import Runtime


async def test_the_index_lists_six_documents_per_persona(anonymous: httpx.AsyncClient) -> None:
    response = await anonymous.get("/sandbox/documents")
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == "OK" and body["requestId"]
    items = body["data"]["items"]
    personas = {p.key for p in sandbox_personas()}
    assert {i["persona"] for i in items} == personas
    assert len(items) == 6 * len(personas)
    george = {i["fileName"]: i for i in items if i["persona"] == "george"}
    assert set(george) == {
        "payslip.pdf",
        "payslip.jpg",
        "bir-2316.pdf",
        "bir-2316.jpg",
        "certificate-of-employment.pdf",
        "certificate-of-employment.jpg",
    }
    payslip = george["payslip.pdf"]
    assert payslip["url"] == "/sandbox/documents/george/payslip.pdf"
    assert payslip["fileType"] == "PAYSLIP"
    # The test clock stands in November 2026: last month's payslip is October's.
    assert payslip["expectedExtraction"]["analysis"]["startDate"] == "2026-10-01"
    assert payslip["expectedExtraction"]["analysis"]["employeeName"] == (
        "George Cimafranca Palomero, Jr"
    )


async def test_a_downloaded_pdf_reads_back_to_its_promised_extraction(
    anonymous: httpx.AsyncClient,
) -> None:
    items = (await anonymous.get("/sandbox/documents")).json()["data"]["items"]
    for item in items:
        if item["persona"] != "christina" or item["format"] != "PDF":
            continue
        response = await anonymous.get(item["url"])
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/pdf"
        assert response.content.startswith(b"%PDF-")
        outcome = analyze(
            [DocumentFile(item["fileName"], "PDF", response.content)],
            KnownPerson(full_names=(item["fullName"],)),
            declared_type=item["fileType"],
        )
        assert outcome.status == "ANALYZED"
        assert outcome.extraction == item["expectedExtraction"]


async def test_a_photo_is_a_jpeg(anonymous: httpx.AsyncClient) -> None:
    response = await anonymous.get("/sandbox/documents/ryan/certificate-of-employment.jpg")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/jpeg"
    assert response.content[:3] == b"\xff\xd8\xff"
    assert len(response.content) > 50_000


async def test_unknown_documents_are_404_in_the_envelope(anonymous: httpx.AsyncClient) -> None:
    for path in (
        "/sandbox/documents/nobody/payslip.pdf",
        "/sandbox/documents/george/payslip.exe",
        "/sandbox/documents/george/..%2F..%2Fetc%2Fpasswd",
    ):
        response = await anonymous.get(path)
        assert response.status_code in (400, 404), path
        body = response.json()
        assert body["code"] in ("MISSING_RESOURCE", "INVALID_PARAMETERS"), body


async def test_a_production_server_without_sandbox_portals_serves_none(runtime: Runtime) -> None:
    settings = runtime.settings.model_copy(update={"sandbox_portals": False, "production": True})
    app = create_app(runtime=replace(runtime, settings=settings))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as http:
        assert (await http.get("/sandbox/documents")).status_code == 404
        assert (await http.get("/sandbox/documents/george/payslip.pdf")).status_code == 404
