"""A second tenant walks every endpoint and finds nothing of the first one's."""

from __future__ import annotations

import base64

from sqlalchemy.ext.asyncio import AsyncSession

from sahod.datapoints.kinds import DataPointKind
from sahod.kit.clock import ManualClock
from tests.conftest import TenantClient
from tests.documents.hostile_files import pdf
from tests.factories import seed_connected_user


async def test_another_tenants_objects_do_not_exist_for_you(
    tenant: TenantClient,
    other_tenant: TenantClient,
    session: AsyncSession,
    clock: ManualClock,
) -> None:
    user, account, points = await seed_connected_user(session, tenant.tenant_id, clock.now())
    created = (await tenant.http.post("/v1/users")).json()["data"]["user"]["id"]
    intruder = other_tenant.http

    singles = [f"/v1/users/{user.id}", f"/v1/users/{created}", f"/v1/accounts/{account.id}"]
    singles += [f"/v1/{kind.path}/{dp.id}" for kind, dp in points.items()]
    task_id = (await tenant.http.get("/v1/tasks")).json()["data"]["items"][0]["id"]
    singles += [f"/v1/tasks/{task_id}", f"/v1/accounts/{account.id}/payload"]
    archive = await tenant.http.post(
        "/v1/archives",
        json={
            "userId": user.id,
            "rawFiles": [
                {
                    "fileName": "doc.pdf",
                    "fileExtensionType": "PDF",
                    "fileContent": base64.b64encode(pdf()).decode(),
                }
            ],
        },
    )
    archive_id = archive.json()["data"]["id"]
    singles += [f"/v1/archives/{archive_id}", f"/v1/uploads/{archive_id}"]
    for path in singles:
        response = await intruder.get(path)
        assert (response.status_code, response.json()["code"]) == (404, "MISSING_RESOURCE"), path
        # …and the owner does see it, so the 404 is about the tenant, not the path.
        assert (await tenant.http.get(path)).status_code == 200, path

    lists = ["/v1/users", "/v1/accounts", "/v1/tasks", "/v1/archives", "/v1/uploads"] + [
        f"/v1/{kind.path}" for kind in DataPointKind
    ]
    for path in lists:
        for params in (
            {},
            {"userId": user.id},
            {"sourceId": account.id},
            {"accountId": account.id},
        ):
            if path == "/v1/users" and params:
                continue
            if path == "/v1/accounts" and "userId" not in params and params:
                continue
            response = await intruder.get(path, params=params)
            assert response.status_code == 200, (path, params)
            assert response.json()["data"]["items"] == [], (path, params)
        assert (await tenant.http.get(path)).json()["data"]["items"], path

    # Writes too: nothing of the owner's can be revoked, changed or exported by another
    # tenant.
    export = {"exportExtensionType": "CSV"}
    for method, path, params, body in (
        ("DELETE", f"/v1/accounts/{account.id}", None, None),
        ("DELETE", "/v1/accounts", {"userId": user.id}, None),
        ("POST", f"/v1/accounts/{account.id}/disableMonitor", None, None),
        ("POST", f"/v1/accounts/{account.id}/exports/generate", None, export),
    ):
        response = await intruder.request(method, path, params=params, json=body)
        assert (response.status_code, response.json()["code"]) == (404, "MISSING_RESOURCE")
    still = (await tenant.http.get(f"/v1/accounts/{account.id}")).json()["data"]
    assert (still["connectionStatus"], still["monitorStatus"]) == ("CONNECTED", "ACTIVE")

    token = await intruder.post("/v1/tokens", params={"userId": user.id})
    assert (token.status_code, token.json()["code"]) == (404, "MISSING_RESOURCE")

    # The intruder's own data stays its own, and the owner's lists do not show it.
    theirs = (await intruder.post("/v1/users")).json()["data"]["user"]["id"]
    owner_users = [u["id"] for u in (await tenant.http.get("/v1/users")).json()["data"]["items"]]
    assert theirs not in owner_users
    assert set(owner_users) == {user.id, created}
