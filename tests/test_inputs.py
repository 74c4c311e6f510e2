"""Hostile and malformed input: a clear 400 naming the field, never a 500, nothing stored."""

from __future__ import annotations

import pytest

from sahod.datapoints.kinds import DataPointKind
from tests.conftest import TenantClient

LISTS = ["/v1/users", "/v1/accounts"] + [
    f"/v1/{kind.path}"
    for kind in DataPointKind
    if kind.path not in ("identities", "documents", "eincomes")
]


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize(
    "value", ["0", "1700000000", "2024-02-30", "2024/01/01", "yesterday", "2024-1-1", ""]
)
async def test_dates_must_be_iso_calendar_dates(
    tenant: TenantClient, path: str, value: str
) -> None:
    response = await tenant.http.get(path, params={"startDate": value})
    if value == "":
        # An empty parameter is the parameter left out.
        assert response.status_code in (200, 400)
        return
    assert response.status_code == 400, (path, value, response.text)
    assert "startDate" in response.json()["message"]


@pytest.mark.parametrize(
    "params", [{"startMonth": "2024-13"}, {"endMonth": "0"}, {"startMonth": "2024-1"}]
)
async def test_months_must_be_year_and_month(tenant: TenantClient, params: dict[str, str]) -> None:
    response = await tenant.http.get("/v1/eincomes", params=params)
    assert response.status_code == 400
    assert next(iter(params)) in response.json()["message"]


@pytest.mark.parametrize(
    "path", ["/v1/users/a\x00b", "/v1/accounts?userId=x\x00", "/v1/tokens?userId=%00"]
)
async def test_nul_characters_are_refused_by_name(tenant: TenantClient, path: str) -> None:
    method = "POST" if path.startswith("/v1/tokens") else "GET"
    response = await tenant.http.request(method, path.replace("\x00", "%00"))
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "INVALID_PARAMETERS"


async def test_nul_in_a_json_body_is_refused_and_nothing_is_stored(tenant: TenantClient) -> None:
    response = await tenant.http.post("/v1/users", json={"externalMetadata": {"a": "x\x00y"}})
    assert response.status_code == 400
    assert "externalMetadata" in response.json()["message"]
    assert (await tenant.http.get("/v1/users")).json()["data"]["items"] == []


@pytest.mark.parametrize(
    "body",
    [
        b"[]",
        b'"text"',
        b"null",
        b"123",
        b'{"externalMetadata": null}',
        b'{"externalMetadata": []}',
        b"\xff\xfe",
        b'{"externalMetadata": {"a": "b"}} trailing',
    ],
)
async def test_odd_bodies_get_a_clear_answer(tenant: TenantClient, body: bytes) -> None:
    response = await tenant.http.post(
        "/v1/users", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code in (201, 400), response.text
    assert response.json()["code"] in ("CREATED", "INVALID_PARAMETERS")
