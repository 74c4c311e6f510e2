"""The envelope, request ids and errors every endpoint shares."""

from __future__ import annotations

import httpx

from tests.conftest import TenantClient


async def test_every_response_carries_the_envelope_and_its_request_id(
    tenant: TenantClient,
) -> None:
    response = await tenant.http.get("/v1/providers")
    body = response.json()
    assert response.status_code == 200
    assert set(body) == {"code", "message", "requestId", "data"}
    assert body["code"] == "OK"
    assert response.headers["x-request-id"] == body["requestId"]
    other = await tenant.http.get("/v1/providers")
    assert other.json()["requestId"] != body["requestId"]


async def test_missing_credentials_are_401_invalid_token(anonymous: httpx.AsyncClient) -> None:
    response = await anonymous.get("/v1/users")
    assert response.status_code == 401
    assert response.json()["code"] == "INVALID_TOKEN"
    assert response.json()["data"] == {}


async def test_wrong_secret_and_garbage_headers_are_401(
    anonymous: httpx.AsyncClient, tenant: TenantClient
) -> None:
    wrong = await anonymous.get("/v1/users", auth=(tenant.keys.api_key, "not-the-secret"))
    assert (wrong.status_code, wrong.json()["code"]) == (401, "INVALID_TOKEN")
    for header in ("Basic", "Basic !!!", "Bearer abc", "Basic " + "QUJD", "Basic Og=="):
        response = await anonymous.get("/v1/users", headers={"Authorization": header})
        assert (response.status_code, response.json()["code"]) == (401, "INVALID_TOKEN")


async def test_malformed_json_is_400_and_says_so(tenant: TenantClient) -> None:
    response = await tenant.http.post(
        "/v1/users", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "INVALID_PARAMETERS"
    assert "JSON" in response.json()["message"]


async def test_wrong_types_name_the_field(tenant: TenantClient) -> None:
    response = await tenant.http.post("/v1/users", json={"externalMetadata": {"k": 5}})
    assert response.status_code == 400
    assert "externalMetadata.k" in response.json()["message"]
    response = await tenant.http.post("/v1/users", json={"externalMetadata": "nope"})
    assert "externalMetadata" in response.json()["message"]
    response = await tenant.http.get("/v1/providers", params={"active": "maybe"})
    assert response.status_code == 400
    assert "active" in response.json()["message"]


async def test_a_body_that_is_not_json_is_415(tenant: TenantClient) -> None:
    response = await tenant.http.post(
        "/v1/users", content=b"a=b", headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert (response.status_code, response.json()["code"]) == (415, "UNSUPPORTED_TYPE")


async def test_an_oversize_body_is_refused_before_it_is_read(tenant: TenantClient) -> None:
    response = await tenant.http.post(
        "/v1/users",
        content=b"{" + b" " * 2_000_000 + b"}",
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["code"] == "INVALID_PARAMETERS"
    assert "larger" in response.json()["message"]


async def test_unknown_paths_and_methods_keep_the_envelope(tenant: TenantClient) -> None:
    missing = await tenant.http.get("/v1/nothing-here")
    assert (missing.status_code, missing.json()["code"]) == (404, "MISSING_RESOURCE")
    wrong_method = await tenant.http.put("/v1/providers")
    assert (wrong_method.status_code, wrong_method.json()["code"]) == (405, "UNSUPPORTED_METHOD")
    assert wrong_method.headers["allow"] == "GET, HEAD"
    users = await tenant.http.delete("/v1/users")
    assert users.headers["allow"] == "GET, HEAD, POST"


async def test_bad_pagination_parameters_are_400(tenant: TenantClient) -> None:
    for params in (
        {"size": 0},
        {"size": 151},
        {"size": "ten"},
        {"cursor": "garbage!"},
        {"cursor": "YWJj"},
    ):
        response = await tenant.http.get("/v1/accounts", params=params)
        assert response.status_code == 400, params
        assert response.json()["code"] == "INVALID_PARAMETERS"


async def test_the_openapi_document_describes_the_v1_api(anonymous: httpx.AsyncClient) -> None:
    spec = (await anonymous.get("/v1/openapi.json")).json()
    assert "/v1/liabilities" in spec["paths"]
    assert spec["paths"]["/v1/users"]["post"]["description"].startswith("Create a user")
    docs = await anonymous.get("/v1/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
