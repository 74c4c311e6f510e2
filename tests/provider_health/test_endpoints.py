from __future__ import annotations

import httpx

from sahod.providers.sandbox import BackgroundPortals
from tests.conftest import TenantClient
from tests.provider_health.conftest import Linker


async def test_health_over_the_wire(
    linker: Linker, portals: BackgroundPortals, tenant: TenantClient
) -> None:
    await linker.link("gsis", "nomfa@sahod.test", "sandbox1")
    portals.portal("gsis").faults.update({"maintenance": True})
    for _ in range(4):
        await linker.link("gsis", "nomfa@sahod.test", "sandbox1")

    response = await tenant.http.get("/v1/providers/gsis/health")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["code"] == "OK" and body["requestId"].startswith("req-")
    data = body["data"]
    assert data["providerId"] == "gsis"
    assert data["status"] == "DEGRADED" and data["degraded"] is True
    hour = next(w for w in data["windows"] if w["window"] == "hour")
    assert hour["attempts"] == 5 and hour["successRate"] == 0.2
    assert hour["errors"] == [{"errorCode": "SERVICE_UNAVAILABLE", "count": 4, "share": 1.0}]
    assert {s["window"] for s in data["series"]} == {"hour", "day", "week"}


async def test_an_unknown_provider_is_404_in_the_envelope(tenant: TenantClient) -> None:
    response = await tenant.http.get("/v1/providers/nope/health")
    assert response.status_code == 404
    assert response.json()["code"] == "MISSING_RESOURCE"


async def test_health_needs_the_api_key(anonymous: httpx.AsyncClient) -> None:
    response = await anonymous.get("/v1/providers/sss/health")
    assert response.status_code == 401


async def test_documented_in_openapi(tenant: TenantClient) -> None:
    document = (await tenant.http.get("/v1/openapi.json")).json()
    operation = document["paths"]["/v1/providers/{id}/health"]["get"]
    assert "DEGRADED" in operation["description"]
    assert "ProviderHealth" in str(operation["responses"]["200"])
