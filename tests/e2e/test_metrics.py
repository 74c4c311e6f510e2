"""`GET /metrics` of a real `sahod serve --workers 2` (two API processes and the job
worker, each a process of its own): after one linking run, the sign-in, job and delivery
figures have moved by exactly what that run did, whichever process did it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import scratch_database
from tests.e2e.conftest import create_tenant_with_cli
from tests.e2e.server import SahodProcess, free_port, start_sahod
from tests.e2e.widget import Widget
from tests.webhooks.receiver import Receiver

Sample = tuple[str, tuple[tuple[str, str], ...]]


@pytest.fixture(scope="module")
def metrics_server(
    server_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[SahodProcess, dict[str, str], int]]:
    # A database of its own: the figures read from the database are this test's alone.
    with scratch_database(server_url, "sahod_metrics") as database_url:
        data_dir: Path = tmp_path_factory.mktemp("metrics")
        keys = create_tenant_with_cli(database_url, data_dir, "Metrics Tenant")
        # The portals on their own: each API process would keep its own portal sessions.
        portals_port = free_port()
        portals = start_sahod(
            ["sandbox-portals", "--port", str(portals_port)],
            env={},
            ready=r"sandbox portals at",
            data_dir=data_dir,
            wait_http=False,
        )
        metrics_port = free_port()
        try:
            process = start_sahod(
                ["serve", "--workers", "2"],
                env={
                    "SAHOD_DATABASE_URL": database_url,
                    "SAHOD_METRICS_PORT": str(metrics_port),
                    "SAHOD_PORTAL_BASE_URL": f"http://127.0.0.1:{portals_port}",
                },
                ready=r"Sahod is running",
                data_dir=data_dir,
            )
            try:
                yield process, keys, metrics_port
            finally:
                process.stop()
        finally:
            portals.stop()


def scrape(port: int) -> dict[Sample, float]:
    answer = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    found: dict[Sample, float] = {}
    for family in text_string_to_metric_families(answer.text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(samples: dict[Sample, float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


SIGN_IN = (
    "sahod_sign_ins_total",
    {"provider": "pagibig", "type": "LINK_ACCOUNT", "outcome": "SUCCEEDED"},
)
LINK_JOBS = ("sahod_jobs_total", {"task": "sync.advance", "outcome": "succeeded"})
DELIVERY_JOBS = ("sahod_jobs_total", {"task": "sahod.webhooks.deliver", "outcome": "succeeded"})
DELIVERED = ("sahod_webhook_deliveries", {"status": "SUCCEEDED"})
ATTEMPTS = ("sahod_webhook_delivery_attempts_total", {"outcome": "succeeded"})
PROVIDER_GETS = (
    "sahod_http_requests_total",
    {"method": "GET", "route": "/v1/providers/{id}", "status": "200"},
)


async def test_a_linking_run_moves_the_counters_by_exactly_what_it_did(
    metrics_server: tuple[SahodProcess, dict[str, str], int],
) -> None:
    process, keys, port = metrics_server
    assert process.printed(r"Metrics:\s+(\S+)") == f"http://127.0.0.1:{port}/metrics"
    # Off the public API: the API's own address does not serve it.
    async with httpx.AsyncClient() as http:
        assert (await http.get(f"{process.base_url}/metrics")).status_code == 404

    async with (
        Receiver() as receiver,
        httpx.AsyncClient(
            base_url=process.base_url, auth=(keys["apiKey"], keys["apiSecret"]), timeout=10
        ) as api,
    ):
        created = await api.post(
            "/v1/webhooks",
            json={
                "name": "metrics",
                "url": f"{receiver.url}/hook",
                "eventTypes": ["ACCOUNT_CONNECTED", "TASK_FINISHED"],
                "active": True,
                "secret": "metrics-secret",
            },
        )
        assert created.status_code == 200, created.text
        before = scrape(port)

        widget = await Widget.open(process.base_url, keys["apiKey"], keys["apiSecret"])
        try:
            account = await widget.connect("pagibig", "nomfa@sahod.test", "sandbox1")
            await widget.wait(account["id"], until="CONNECTED", syncing=False)
        finally:
            await widget.close()
        await receiver.wait_for(lambda posts: len(posts) >= 2)
        # Requests spread over the two API processes; the scrape adds them up.
        for _ in range(12):
            assert (await api.get("/v1/providers/sss")).status_code == 200

    expected = [
        (*SIGN_IN, 1),
        (*LINK_JOBS, 1),  # a link without a one-time code runs in one job
        (*DELIVERED, 2),
        (*ATTEMPTS, 2),
        (*PROVIDER_GETS, 12),
    ]
    wanted = [(name, labels, float(n)) for name, labels, n in expected]

    def moved(now: dict[Sample, float]) -> list[tuple[str, dict[str, str], float]]:
        return [
            (name, labels, value(now, name, **labels) - value(before, name, **labels))
            for name, labels, _ in expected
        ]

    deadline = time.monotonic() + 30
    after = scrape(port)
    # A job is counted once the worker has recorded its end, a moment after its effect.
    while moved(after) != wanted and time.monotonic() < deadline:
        await asyncio.sleep(0.3)
        after = scrape(port)
    assert moved(after) == wanted
    # And not one more a little later: nothing was counted twice.
    await asyncio.sleep(1.5)
    settled = scrape(port)
    assert moved(settled) == wanted
    # Deliveries are woken per webhook: the two events' wake-ups are one job when the
    # second came while the first's was still waiting, else two.
    jobs_name, jobs_labels = DELIVERY_JOBS
    delivery_jobs = value(settled, jobs_name, **jobs_labels) - value(
        before, jobs_name, **jobs_labels
    )
    assert delivery_jobs in (1, 2)

    assert value(after, "sahod_database_up") == 1
    assert value(after, "sahod_jobs_queued", task="sync.advance") == 0
    assert ("sahod_cds_accounts_due", ()) in after and ("sahod_cds_accounts_late", ()) in after
    latency = value(after, "sahod_http_request_duration_seconds_count", **PROVIDER_GETS[1])
    assert (
        latency - value(before, "sahod_http_request_duration_seconds_count", **PROVIDER_GETS[1])
        == 12
    )
