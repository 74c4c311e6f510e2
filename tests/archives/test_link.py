"""The widget's document API: file types, upload, list, get and remove, for the session's
user only, with the same checks as the tenant API."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from sahod.runtime import Runtime
from tests.archives.helpers import b64, events_of, run_analyses, sandbox_document
from tests.conftest import TenantClient
from tests.contract.smile import schema_errors
from tests.documents.hostile_files import png_bomb


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def widget_session(tenant: TenantClient, anonymous: httpx.AsyncClient) -> tuple[str, str]:
    """A new user and an open widget session for them: (user id, session token)."""
    created = (await tenant.http.post("/v1/users")).json()["data"]
    opened = await anonymous.post(
        "/link/v1/session", headers=bearer(created["token"]["accessToken"])
    )
    assert opened.status_code == 201
    return created["user"]["id"], opened.json()["data"]["sessionToken"]


def payslip_upload() -> dict[str, Any]:
    doc = sandbox_document("payslip", "PDF")
    return {
        "type": "PAYSLIP",
        "rawFiles": [{"name": doc.file_name, "fileExtensionType": "PDF", "data": b64(doc.data())}],
    }


def assert_pair(pair: dict[str, Any]) -> None:
    assert set(pair) == {"archive", "upload"}
    assert schema_errors("Archive", pair["archive"]) == []
    assert schema_errors("Upload", pair["upload"]) == []
    assert pair["upload"]["id"] == pair["archive"]["id"]


async def test_a_user_uploads_sees_and_removes_a_document(
    tenant: TenantClient,
    anonymous: httpx.AsyncClient,
    session: AsyncSession,
    runtime: Runtime,
) -> None:
    user_id, token = await widget_session(tenant, anonymous)

    types = await anonymous.get("/link/v1/fileTypes", headers=bearer(token))
    assert types.status_code == 200
    items = types.json()["data"]["items"]
    assert [schema_errors("FileType", item) for item in items] == [[] for _ in items]
    assert "PAYSLIP" in [item["type"] for item in items]

    created = await anonymous.post(
        "/link/v1/archives", headers=bearer(token), json=payslip_upload()
    )
    assert created.status_code == 201, created.text[:300]
    pair = created.json()["data"]
    assert_pair(pair)
    archive = pair["archive"]
    assert archive["providerId"] == "user-provided" and archive["userId"] == user_id
    assert archive["state"]["status"] == "STARTED"
    assert archive["rawFiles"][0]["format"] == "PDF"

    await run_analyses(session, runtime)
    one = await anonymous.get(f"/link/v1/archives/{archive['id']}", headers=bearer(token))
    assert one.status_code == 200
    assert_pair(one.json()["data"])
    assert one.json()["data"]["archive"]["state"]["status"] == "ANALYZED"

    listed = await anonymous.get("/link/v1/archives", headers=bearer(token))
    assert [p["archive"]["id"] for p in listed.json()["data"]["items"]] == [archive["id"]]

    removed = await anonymous.delete(f"/link/v1/archives/{archive['id']}", headers=bearer(token))
    assert removed.status_code == 200
    assert_pair(removed.json()["data"])
    assert removed.json()["data"]["archive"]["state"]["status"] == "REVOKED"
    assert (await anonymous.get("/link/v1/archives", headers=bearer(token))).json()["data"][
        "items"
    ] == []
    assert [e.type for e in await events_of(session, tenant.tenant_id, "ARCHIVE_REVOKED")] == [
        "ARCHIVE_REVOKED"
    ]


async def test_another_users_archive_is_not_there(
    tenant: TenantClient, anonymous: httpx.AsyncClient
) -> None:
    _, mine = await widget_session(tenant, anonymous)
    _, theirs = await widget_session(tenant, anonymous)
    created = await anonymous.post("/link/v1/archives", headers=bearer(mine), json=payslip_upload())
    archive_id = created.json()["data"]["archive"]["id"]

    for method in ("GET", "DELETE"):
        answer = await anonymous.request(
            method, f"/link/v1/archives/{archive_id}", headers=bearer(theirs)
        )
        assert answer.status_code == 404, method
    listed = await anonymous.get("/link/v1/archives", headers=bearer(theirs))
    assert listed.json()["data"]["items"] == []


async def test_the_widget_session_is_required_and_files_are_checked(
    tenant: TenantClient, anonymous: httpx.AsyncClient
) -> None:
    created = (await tenant.http.post("/v1/users")).json()["data"]
    link_token = created["token"]["accessToken"]
    refused = await anonymous.get("/link/v1/fileTypes", headers=bearer(link_token))
    assert refused.status_code == 401
    assert (await anonymous.get("/link/v1/archives")).status_code == 401

    _, token = await widget_session(tenant, anonymous)
    bomb = {
        "type": "PAYSLIP",
        "rawFiles": [{"name": "photo.png", "fileExtensionType": "PNG", "data": b64(png_bomb())}],
    }
    answer = await anonymous.post("/link/v1/archives", headers=bearer(token), json=bomb)
    assert answer.status_code == 400
    assert "rawFiles[0] (photo.png)" in answer.json()["message"]
    unknown = await anonymous.post(
        "/link/v1/archives", headers=bearer(token), json=payslip_upload() | {"type": "SELFIE"}
    )
    assert unknown.status_code == 400 and "SELFIE" in unknown.json()["message"]
