from __future__ import annotations

from tests.conftest import TenantClient


async def test_the_four_government_providers(tenant: TenantClient) -> None:
    body = (await tenant.http.get("/v1/providers")).json()["data"]
    providers = {p["id"]: p for p in body["items"]}
    assert list(providers) == ["sss", "gsis", "philhealth", "pagibig"]
    assert body["nextCursor"] is None
    assert providers["sss"]["name"] == "My.SSS"
    assert providers["gsis"]["name"] == "eGSIS MO"
    assert providers["philhealth"]["name"] == "My PhilHealth Portal"
    assert providers["pagibig"]["name"] == "Virtual Pag-IBIG"
    assert providers["gsis"]["supported"] == [
        "IDENTITIES",
        "EMPLOYMENTS",
        "DOCUMENTS",
        "INCOMES",
        "EINCOMES",
    ]
    assert "LIABILITIES" in providers["pagibig"]["supported"]
    assert "LIABILITIES" not in providers["philhealth"]["supported"]
    for provider in providers.values():
        assert provider["type"] == "GOVERNMENT"
        assert provider["mfa"] is True and provider["monitorSupported"] is True


async def test_provider_filters(tenant: TenantClient) -> None:
    async def ids(**params: object) -> list[str]:
        response = await tenant.http.get("/v1/providers", params=params)
        assert response.status_code == 200, response.text
        return [p["id"] for p in response.json()["data"]["items"]]

    assert await ids(name="pag") == ["pagibig"]
    assert await ids(name="health insurance") == ["philhealth"]
    assert await ids(type="GOVERNMENT") == ["sss", "gsis", "philhealth", "pagibig"]
    assert await ids(type="GIG") == []
    assert await ids(active="false") == []
    assert await ids(ids=["gsis", "sss"]) == ["sss", "gsis"]
    assert await ids(ids="gsis,sss") == ["sss", "gsis"]
    assert await ids(topIds=["pagibig"]) == ["pagibig", "sss", "gsis", "philhealth"]
    too_many = await tenant.http.get(
        "/v1/providers", params={"topIds": [f"x{i}" for i in range(11)]}
    )
    assert too_many.status_code == 400


async def test_provider_pages_and_get(tenant: TenantClient) -> None:
    first = (await tenant.http.get("/v1/providers", params={"size": 3})).json()["data"]
    second = (
        await tenant.http.get("/v1/providers", params={"size": 3, "cursor": first["nextCursor"]})
    ).json()["data"]
    assert [p["id"] for p in first["items"] + second["items"]] == [
        "sss",
        "gsis",
        "philhealth",
        "pagibig",
    ]
    assert second["nextCursor"] is None
    one = await tenant.http.get("/v1/providers/philhealth")
    assert one.json()["data"]["longName"] == "Philippine Health Insurance Corporation"
    missing = await tenant.http.get("/v1/providers/bir")
    assert (missing.status_code, missing.json()["code"]) == (404, "MISSING_RESOURCE")


async def test_provider_logos_are_served_locally(tenant: TenantClient) -> None:
    logo = (await tenant.http.get("/v1/providers/sss")).json()["data"]["logoUrl"]
    response = await tenant.http.get(logo)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg")
