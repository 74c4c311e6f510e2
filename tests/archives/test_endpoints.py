"""The archives API as the contract has it: upload, list, get, revoke, the deprecated
uploads, the file types; every answer validated against the contract's schemas."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sahod.archives.models import Archive
from sahod.files.models import FileBlob, StoredFile
from sahod.kit.clock import ManualClock
from sahod.runtime import Runtime
from tests.archives.helpers import (
    events_of,
    queued_analyses,
    raw_file,
    run_analyses,
    sandbox_document,
)
from tests.conftest import TenantClient, signed_link_path
from tests.contract.smile import contract_errors


def ok(answer: httpx.Response, path: str, method: str = "GET") -> Any:
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert contract_errors(path, method, 200, body) == []
    return body["data"]


async def upload(tenant: TenantClient, **body: Any) -> dict[str, Any]:
    payslip = sandbox_document()
    body.setdefault("rawFiles", [raw_file(payslip.data(), "payslip.pdf")])
    return ok(await tenant.http.post("/v1/archives", json=body), "/archives", "POST")  # type: ignore[no-any-return]


async def test_an_upload_without_a_user_creates_one_and_starts_the_analysis(
    tenant: TenantClient,
    anonymous: httpx.AsyncClient,
    session: AsyncSession,
) -> None:
    payslip = sandbox_document().data()

    archive = await upload(tenant, fileType="PAYSLIP")

    assert archive["id"].startswith("u-")
    assert archive["providerId"] == "tenant-provided"
    assert archive["type"] == "PAYSLIP"
    assert archive["state"]["status"] == "STARTED"
    assert archive["state"]["errorCode"] is None
    [raw] = archive["rawFiles"]
    assert raw["name"] == "payslip.pdf" and raw["format"] == "PDF"
    assert raw["size"] == -(-len(payslip) // 1024)  # kilobytes, rounded up
    download = await anonymous.get(signed_link_path(raw["url"]))
    assert download.status_code == 200 and download.content == payslip

    user = await tenant.http.get(f"/v1/users/{archive['userId']}")
    assert user.status_code == 200
    types = [event.type for event in await events_of(session, tenant.tenant_id)]
    assert types == ["USER_CREATED", "ARCHIVE_STARTED", "TASK_STARTED"]
    assert await queued_analyses(session) == [
        {"tenant_id": tenant.tenant_id, "archive_id": archive["id"]}
    ]


async def test_the_analysis_classifies_and_publishes_incomes_from_the_archive(
    tenant: TenantClient, session: AsyncSession, runtime: Runtime
) -> None:
    archive = await upload(tenant, fileType=None)
    assert archive["type"] == "OTHERS"  # until classified

    assert await run_analyses(session, runtime) == 1

    analysed = ok(await tenant.http.get(f"/v1/archives/{archive['id']}"), "/archives/x")
    assert analysed["state"]["status"] == "ANALYZED", analysed["state"]
    assert analysed["type"] == "PAYSLIP"
    assert analysed["classification"] == {"fileType": "PAYSLIP"}
    expected = sandbox_document().expected()
    assert analysed["analysis"]["netAmount"] == expected["netAmount"]
    assert analysed["validation"]["fileType"] == "PAYSLIP"

    incomes = ok(
        await tenant.http.get("/v1/incomes", params={"sourceId": archive["id"]}), "/incomes"
    )
    assert incomes["items"], "the payslip's income is published"
    for item in incomes["items"]:
        assert item["metadata"]["sourceType"] == "ARCHIVE"
        assert item["metadata"]["sourceId"] == archive["id"]
        assert item["metadata"]["userId"] == archive["userId"]
        assert "accountId" not in item["metadata"]
    one = await tenant.http.get(f"/v1/incomes/{incomes['items'][0]['id']}")
    assert ok(one, "/incomes/x")["metadata"]["sourceType"] == "ARCHIVE"
    by_user = ok(
        await tenant.http.get("/v1/incomes", params={"userId": archive["userId"]}), "/incomes"
    )
    assert [i["id"] for i in by_user["items"]] == [i["id"] for i in incomes["items"]]

    types = [e.type for e in await events_of(session, tenant.tenant_id, "ARCHIVE_")]
    assert types == ["ARCHIVE_STARTED", "ARCHIVE_ANALYZED"]
    analysed_event = (await events_of(session, tenant.tenant_id, "ARCHIVE_ANALYZED"))[0]
    assert analysed_event.data["archiveId"] == archive["id"]
    assert await events_of(session, tenant.tenant_id, "INCOMES_ADDED")


async def test_a_valid_but_unreadable_image_ends_unsupported_with_archive_failed(
    tenant: TenantClient, session: AsyncSession, runtime: Runtime
) -> None:
    from tests.documents.hostile_files import image

    blank = image("PNG", (300, 200))
    archive = await upload(
        tenant, fileType="PAYSLIP", rawFiles=[raw_file(blank, "blank.png", "PNG")]
    )

    await run_analyses(session, runtime)

    failed = ok(await tenant.http.get(f"/v1/archives/{archive['id']}"), "/archives/x")
    assert failed["state"]["status"] in ("UNSUPPORTED", "ERROR")
    assert failed["state"]["errorCode"] is not None
    assert failed["state"]["errorMessage"]
    assert [e.type for e in await events_of(session, tenant.tenant_id, "ARCHIVE_FAILED")] == [
        "ARCHIVE_FAILED"
    ]
    incomes = await tenant.http.get("/v1/incomes", params={"sourceId": archive["id"]})
    assert incomes.json()["data"]["items"] == []


async def test_lists_page_by_cursor_and_filter_by_user_type_and_date(
    tenant: TenantClient, clock: ManualClock
) -> None:
    first = await upload(tenant, fileType="PAYSLIP")
    clock.advance(timedelta(days=3))
    second = await upload(tenant, fileType="TAX_DOCUMENT", userId=first["userId"])
    other_user = await upload(tenant, fileType="PAYSLIP")

    page = ok(await tenant.http.get("/v1/archives", params={"size": 2}), "/archives")
    assert [a["id"] for a in page["items"]] == [other_user["id"], second["id"]]
    rest = ok(
        await tenant.http.get("/v1/archives", params={"size": 2, "cursor": page["nextCursor"]}),
        "/archives",
    )
    assert [a["id"] for a in rest["items"]] == [first["id"]] and rest["nextCursor"] is None

    mine = ok(
        await tenant.http.get("/v1/archives", params={"userId": first["userId"]}), "/archives"
    )
    assert [a["id"] for a in mine["items"]] == [second["id"], first["id"]]
    payslips = ok(
        await tenant.http.get("/v1/archives", params={"fileType": "PAYSLIP"}), "/archives"
    )
    assert {a["id"] for a in payslips["items"]} == {first["id"], other_user["id"]}
    day = first["createdAt"][:10]
    on_day = ok(
        await tenant.http.get("/v1/archives", params={"startDate": day, "endDate": day}),
        "/archives",
    )
    assert [a["id"] for a in on_day["items"]] == [first["id"]]

    for bad in ({"fileType": "SELFIE"}, {"startDate": "yesterday"}, {"size": 151}):
        answer = await tenant.http.get("/v1/archives", params=bad)
        assert answer.status_code == 400, bad
        assert contract_errors("/archives", "GET", 400, answer.json()) == []


async def test_uploads_are_the_same_documents_in_the_deprecated_shape(
    tenant: TenantClient,
) -> None:
    archive = await upload(tenant, fileType="PAYSLIP")

    listed = ok(await tenant.http.get("/v1/uploads"), "/uploads")
    [item] = listed["items"]
    assert item["id"] == archive["id"]
    assert set(item) == {"id", "createdAt", "providerId", "userId", "type", "state", "rawFiles"}
    one = ok(await tenant.http.get(f"/v1/uploads/{archive['id']}"), "/uploads/x")
    assert one["rawFiles"][0]["id"] == archive["rawFiles"][0]["id"]
    missing = await tenant.http.get("/v1/uploads/u-nothing")
    assert missing.status_code == 404


async def test_file_types_list_what_sahod_reads(tenant: TenantClient) -> None:
    listed = ok(await tenant.http.get("/v1/fileTypes"), "/fileTypes")
    types = [item["type"] for item in listed["items"]]
    assert types == ["PAYSLIP", "TAX_DOCUMENT", "EMPLOYMENT_CERTIFICATE", "CLEARANCE_NBI", "OTHERS"]
    payslip = listed["items"][0]
    assert payslip["supported"] == ["INCOMES", "EMPLOYMENTS"] and payslip["active"] is True
    paged = ok(await tenant.http.get("/v1/fileTypes", params={"size": 2}), "/fileTypes")
    assert len(paged["items"]) == 2 and paged["nextCursor"]
    after = ok(
        await tenant.http.get("/v1/fileTypes", params={"size": 2, "cursor": paged["nextCursor"]}),
        "/fileTypes",
    )
    assert [i["type"] for i in after["items"]] == types[2:4]
    only = ok(await tenant.http.get("/v1/fileTypes", params={"type": "OTHERS"}), "/fileTypes")
    assert [i["type"] for i in only["items"]] == ["OTHERS"]
    logo = await tenant.http.get(urlpath(payslip["logoUrl"]))
    assert logo.status_code == 200 and logo.headers["content-type"].startswith("image/svg")


def urlpath(url: str) -> str:
    return url.removeprefix("http://testserver")


async def test_a_revoke_deletes_the_bytes_and_the_data_points(
    tenant: TenantClient,
    other_tenant: TenantClient,
    anonymous: httpx.AsyncClient,
    session: AsyncSession,
    runtime: Runtime,
) -> None:
    archive = await upload(tenant, fileType="PAYSLIP")
    await run_analyses(session, runtime)
    url = archive["rawFiles"][0]["url"]

    assert (await other_tenant.http.delete(f"/v1/archives/{archive['id']}")).status_code == 404
    revoked = await tenant.http.delete(f"/v1/archives/{archive['id']}")

    assert revoked.status_code == 200
    assert contract_errors("/archives/x", "DELETE", 200, revoked.json()) == []
    after = ok(await tenant.http.get(f"/v1/archives/{archive['id']}"), "/archives/x")
    assert after["state"]["status"] == "REVOKED"
    file_ids = [f["id"] for f in archive["rawFiles"]]
    blobs = await session.scalar(
        select(func.count()).select_from(FileBlob).where(FileBlob.file_id.in_(file_ids))
    )
    assert blobs == 0
    deleted = await session.scalars(
        select(StoredFile.deleted_at)
        .where(StoredFile.id.in_(file_ids))
        .execution_options(populate_existing=True)
    )
    assert all(value is not None for value in deleted)
    assert (await anonymous.get(signed_link_path(url))).status_code == 404
    incomes = ok(
        await tenant.http.get("/v1/incomes", params={"sourceId": archive["id"]}), "/incomes"
    )
    assert incomes["items"] == []

    again = await tenant.http.delete(f"/v1/archives/{archive['id']}")
    assert again.status_code == 200
    revokes = await events_of(session, tenant.tenant_id, "ARCHIVE_REVOKED")
    assert len(revokes) == 1 and revokes[0].data["archiveId"] == archive["id"]


async def test_another_tenants_archive_does_not_exist(
    tenant: TenantClient, other_tenant: TenantClient
) -> None:
    archive = await upload(tenant, fileType="PAYSLIP")
    for path in (f"/v1/archives/{archive['id']}", f"/v1/uploads/{archive['id']}"):
        answer = await other_tenant.http.get(path)
        assert answer.status_code == 404
        assert contract_errors("/archives/x", "GET", 404, answer.json()) == []
    listed = ok(await other_tenant.http.get("/v1/archives"), "/archives")
    assert listed["items"] == []
    unknown_user = await tenant.http.post(
        "/v1/archives",
        json={"userId": "nobody", "rawFiles": [raw_file(sandbox_document().data(), "p.pdf")]},
    )
    assert unknown_user.status_code == 404


async def test_bad_requests_name_their_field(tenant: TenantClient, session: AsyncSession) -> None:
    payslip = raw_file(sandbox_document().data(), "p.pdf")
    for body, named in (
        ({}, "rawFiles"),
        ({"rawFiles": []}, "rawFiles"),
        ({"rawFiles": [payslip], "fileType": "SELFIE"}, "fileType"),
        ({"rawFiles": [{"fileName": "x.pdf", "fileExtensionType": "PDF"}]}, "fileContent"),
    ):
        answer = await tenant.http.post("/v1/archives", json=body)
        assert answer.status_code == 400, body
        assert named in answer.json()["message"], answer.json()
        assert contract_errors("/archives", "POST", 400, answer.json()) == []
    # The contract's schema requires a property named "files": it means rawFiles.
    accepted = await tenant.http.post("/v1/archives", json={"files": [payslip]})
    assert accepted.status_code == 200
    assert await session.scalar(select(func.count()).select_from(Archive)) == 1


async def test_uploads_may_exceed_the_general_body_limit(tenant: TenantClient) -> None:
    from tests.documents.hostile_files import pdf

    big = pdf(40, text="Payslip " + "x" * 60_000)
    assert len(big) > 2 * 1024 * 1024
    answer = await tenant.http.post(
        "/v1/archives", json={"rawFiles": [raw_file(big, "big.pdf")], "fileType": "OTHERS"}
    )
    assert answer.status_code == 200, answer.text[:300]
    elsewhere = await tenant.http.post(
        "/v1/users", json={"externalMetadata": {"k": "x" * (2 * 1024 * 1024)}}
    )
    assert elsewhere.status_code == 400
    assert "larger than" in elsewhere.json()["message"]


async def test_the_name_on_the_document_is_checked_against_the_users_identities(
    tenant: TenantClient, session: AsyncSession, runtime: Runtime, clock: ManualClock
) -> None:
    from sahod.datapoints.kinds import DataPointKind
    from tests.factories import make_account, make_datapoint, make_user

    outcomes = {}
    for full_name in ("George Cimafranca Palomero, Jr", "Maria Clara Santos"):
        user = await make_user(session, tenant.tenant_id, clock.now())
        account = await make_account(session, user, clock.now())
        await make_datapoint(
            session, account, DataPointKind.IDENTITIES, clock.now(), fullName=full_name
        )
        await session.commit()
        archive = await upload(tenant, userId=user.id, fileType="PAYSLIP")
        await run_analyses(session, runtime)
        analysed = ok(await tenant.http.get(f"/v1/archives/{archive['id']}"), "/archives/x")
        outcomes[full_name] = analysed["validation"]["identity"]["resultCode"]

    # The sandbox payslip is George's.
    assert outcomes == {"George Cimafranca Palomero, Jr": "PASSED", "Maria Clara Santos": "FAILED"}


async def test_files_without_a_name_are_named_after_their_type(tenant: TenantClient) -> None:
    payslip = raw_file(sandbox_document().data(), "ignored.pdf")
    payslip.pop("fileName")
    archive = await upload(tenant, fileType="PAYSLIP", rawFiles=[payslip, dict(payslip)])
    assert [f["name"] for f in archive["rawFiles"]] == ["payslip-1.pdf", "payslip-2.pdf"]


async def test_a_certificate_of_employment_becomes_an_employment(
    tenant: TenantClient, session: AsyncSession, runtime: Runtime
) -> None:
    certificate = sandbox_document("certificate-of-employment")
    archive = await upload(
        tenant,
        fileType="EMPLOYMENT_CERTIFICATE",
        rawFiles=[raw_file(certificate.data(), certificate.file_name)],
    )
    await run_analyses(session, runtime)

    analysed = ok(await tenant.http.get(f"/v1/archives/{archive['id']}"), "/archives/x")
    assert analysed["state"]["status"] == "ANALYZED"
    employments = ok(
        await tenant.http.get("/v1/employments", params={"sourceId": archive["id"]}),
        "/employments",
    )
    [employment] = employments["items"]
    assert employment["employer"] == certificate.expected()["employerName"]
    assert employment["metadata"]["sourceType"] == "ARCHIVE"
    assert await events_of(session, tenant.tenant_id, "EMPLOYMENTS_ADDED")
