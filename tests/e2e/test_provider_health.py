"""A provider turns degraded on a real `sahod serve` when its sandbox portal goes into
maintenance: links through the Link API and the worker, the fault set through the
server's operator endpoint, the health read over the tenant API."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import scratch_database
from tests.e2e.conftest import LiveServer, running_server
from tests.e2e.server import OPERATOR_HEADERS
from tests.e2e.widget import Widget

FAST = {
    "SAHOD_RETRY_BASE_SECONDS": "0.2",
    # A link whose portal is down gives up after a second rather than two hours.
    "SAHOD_LINK_RETRY_WINDOW_SECONDS": "1",
    "SAHOD_LINK_ATTEMPTS": "1",
    "SAHOD_WORKER_CONCURRENCY": "10",
}


@pytest.fixture(scope="module")
def server(server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    # A database of its own: health is every tenant's, so no other test's links may count.
    with (
        scratch_database(server_url, "sahod_health") as database_url,
        running_server(
            database_url, tmp_path_factory.mktemp("health"), "Health Tenant", FAST
        ) as running,
    ):
        yield running


async def _link(widget: Widget, until: str) -> None:
    account = await widget.connect("philhealth", "nomfa@sahod.test", "sandbox1")
    if until == "CONNECTED":
        # Connected, and its task finished (the records fetched): then it counts.
        await widget.wait(account["id"], until="CONNECTED", syncing=False)
    else:
        await widget.wait(account["id"], until=until)


async def _health(widget: Widget) -> dict[str, Any]:
    answer = await widget.tenant.get("/v1/providers/philhealth/health")
    assert answer.status_code == 200, answer.text
    data: dict[str, Any] = answer.json()["data"]
    return data


def _hour(health: dict[str, Any]) -> dict[str, Any]:
    return next(w for w in health["windows"] if w["window"] == "hour")


async def test_maintenance_turns_the_provider_degraded(server: LiveServer) -> None:
    widget = await Widget.open(server.base_url, server.api_key, server.api_secret)
    async with httpx.AsyncClient(base_url=server.base_url, headers=OPERATOR_HEADERS) as operator:
        try:
            for _ in range(5):
                await _link(widget, "CONNECTED")
            healthy = await _health(widget)
            assert healthy["status"] == "OPERATIONAL"
            assert _hour(healthy)["successRate"] == 1.0
            assert _hour(healthy)["medianSecondsToConnected"] is not None

            faults = await operator.put(
                "/sandbox/portals/philhealth/_faults", json={"maintenance": True}
            )
            assert faults.status_code == 200, faults.text
            await asyncio.gather(*(_link(widget, "ERROR") for _ in range(15)))

            degraded = await _health(widget)
            hour = _hour(degraded)
            assert degraded["status"] == "DEGRADED" and degraded["degraded"] is True
            assert (hour["attempts"], hour["succeeded"], hour["failed"]) == (20, 5, 15)
            assert hour["successRate"] == 0.25
            assert hour["errors"] == [
                {"errorCode": "SERVICE_UNAVAILABLE", "count": 15, "share": 1.0}
            ]
            assert degraded["lastSuccessAt"] == healthy["lastSuccessAt"]
            hourly = next(s for s in degraded["series"] if s["window"] == "hour")
            assert sum(b["failed"] for b in hourly["buckets"]) == 15
            # Only this provider: the others' portals are up and untouched.
            other = (await widget.tenant.get("/v1/providers/sss/health")).json()["data"]
            assert other["status"] == "UNKNOWN" and _hour(other)["attempts"] == 0
        finally:
            await operator.post("/sandbox/portals/philhealth/_reset")
            await widget.close()
