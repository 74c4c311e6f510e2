"""Requests are counted by their route template, never by the ids in their paths."""

from __future__ import annotations

import httpx

from sahod.metrics.process import HTTP_LATENCY, HTTP_REQUESTS
from tests.conftest import TenantClient


def _count(method: str, route: str, status: str) -> float:
    return HTTP_REQUESTS.labels(method, route, status)._value.get()


async def test_requests_are_counted_by_route_template(
    tenant: TenantClient, anonymous: httpx.AsyncClient
) -> None:
    before = {
        "provider": _count("GET", "/v1/providers/{id}", "200"),
        "missing": _count("GET", "/v1/providers/{id}", "404"),
        "unmatched": _count("GET", "(unmatched)", "404"),
        "unauthorized": _count("GET", "/v1/providers", "401"),
    }
    for provider in ("sss", "gsis", "pagibig"):
        assert (await tenant.http.get(f"/v1/providers/{provider}")).status_code == 200
    assert (await tenant.http.get("/v1/providers/nope")).status_code == 404
    assert (await anonymous.get("/no/such/path/123")).status_code == 404
    assert (await anonymous.get("/v1/providers")).status_code == 401

    assert _count("GET", "/v1/providers/{id}", "200") - before["provider"] == 3
    assert _count("GET", "/v1/providers/{id}", "404") - before["missing"] == 1
    assert _count("GET", "(unmatched)", "404") - before["unmatched"] == 1
    assert _count("GET", "/v1/providers", "401") - before["unauthorized"] == 1
    routes = {labels[1] for labels in HTTP_REQUESTS._metrics}
    assert not any("sss" in route or "123" in route for route in routes), routes
    assert ("GET", "/v1/providers/{id}", "200") in HTTP_LATENCY._metrics
