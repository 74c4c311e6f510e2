from __future__ import annotations

import re
from datetime import timedelta

from sahod.kit.clock import ManualClock
from tests.conftest import TenantClient


async def test_create_user_returns_the_user_and_a_five_hour_token(
    tenant: TenantClient, clock: ManualClock
) -> None:
    response = await tenant.http.post("/v1/users", json={"externalMetadata": {"ref": "L-1"}})
    assert response.status_code == 201
    body = response.json()
    assert body["code"] == "CREATED"
    user, token = body["data"]["user"], body["data"]["token"]
    assert re.fullmatch(rf"{tenant.tenant_id}-[0-9a-f]{{32}}", user["id"])
    assert user["externalMetadata"] == {"ref": "L-1"}
    assert user["providers"] == []
    assert user["session"]["status"] == "IN_PROGRESS"
    assert token["mode"] == "SANDBOX"
    assert token["accessToken"]
    expires = token["expiresAt"].replace("Z", "+00:00")
    assert expires.startswith((clock.now() + timedelta(hours=5)).isoformat()[:19])


async def test_create_user_without_a_body(tenant: TenantClient) -> None:
    response = await tenant.http.post("/v1/users")
    assert response.status_code == 201
    assert response.json()["data"]["user"]["externalMetadata"] == {}


async def test_external_metadata_is_bounded(tenant: TenantClient) -> None:
    six = {f"k{i}": "v" for i in range(6)}
    response = await tenant.http.post("/v1/users", json={"externalMetadata": six})
    assert response.status_code == 400
    assert "externalMetadata" in response.json()["message"]
    long_key = {"k" * 51: "v"}
    response = await tenant.http.post("/v1/users", json={"externalMetadata": long_key})
    assert response.status_code == 400
    unknown = await tenant.http.post("/v1/users", json={"nickname": "x"})
    assert unknown.status_code == 400
    assert "nickname" in unknown.json()["message"]
    listed = await tenant.http.get("/v1/users")
    assert listed.json()["data"]["items"] == []


async def test_get_and_list_users_with_pagination(tenant: TenantClient, clock: ManualClock) -> None:
    ids = []
    for _ in range(5):
        ids.append((await tenant.http.post("/v1/users")).json()["data"]["user"]["id"])
        clock.advance(timedelta(minutes=1))
    got = await tenant.http.get(f"/v1/users/{ids[0]}")
    assert got.json()["data"]["id"] == ids[0]

    seen: list[str] = []
    cursor = None
    while True:
        params = {"size": 2} | ({"cursor": cursor} if cursor else {})
        page = (await tenant.http.get("/v1/users", params=params)).json()["data"]
        seen += [item["id"] for item in page["items"]]
        cursor = page["nextCursor"]
        if cursor is None:
            break
    assert seen == list(reversed(ids))


async def test_list_users_by_creation_date(tenant: TenantClient, clock: ManualClock) -> None:
    first = (await tenant.http.post("/v1/users")).json()["data"]["user"]["id"]
    clock.advance(timedelta(days=3))
    second = (await tenant.http.post("/v1/users")).json()["data"]["user"]["id"]
    day = clock.now().date().isoformat()
    recent = (await tenant.http.get("/v1/users", params={"startDate": day})).json()["data"]
    assert [u["id"] for u in recent["items"]] == [second]
    older = (await tenant.http.get("/v1/users", params={"endDate": "2026-11-03"})).json()
    assert [u["id"] for u in older["data"]["items"]] == [first]
    bad = await tenant.http.get("/v1/users", params={"startDate": "2026-13-01"})
    assert bad.status_code == 400 and "startDate" in bad.json()["message"]
    backwards = await tenant.http.get(
        "/v1/users", params={"startDate": "2026-11-05", "endDate": "2026-11-01"}
    )
    assert backwards.status_code == 400


async def test_unknown_user_is_404(tenant: TenantClient) -> None:
    response = await tenant.http.get(f"/v1/users/{tenant.tenant_id}-{'0' * 32}")
    assert (response.status_code, response.json()["code"]) == (404, "MISSING_RESOURCE")


async def test_tokens_are_issued_for_existing_users_only(tenant: TenantClient) -> None:
    user_id = (await tenant.http.post("/v1/users")).json()["data"]["user"]["id"]
    issued = await tenant.http.post("/v1/tokens", params={"userId": user_id})
    assert issued.status_code == 201
    token = issued.json()["data"]
    assert token["id"].startswith("tk-") and token["accessToken"]
    missing = await tenant.http.post("/v1/tokens", params={"userId": "nobody"})
    assert missing.status_code == 404
    no_param = await tenant.http.post("/v1/tokens")
    assert no_param.status_code == 400 and "userId" in no_param.json()["message"]
