"""A PostgreSQL restart, a stopped worker, a database that is away: Sahod carries on by
itself. Each test runs its own PostgreSQL server (see private_postgres) so that it can
restart it; the shared test server is never touched."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from tests.e2e.conftest import create_tenant_with_cli
from tests.e2e.private_postgres import PrivatePostgres, available, start_private_postgres
from tests.e2e.server import SahodProcess, start_sahod
from tests.e2e.widget import Widget

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not available(), reason="needs initdb/pg_ctl (PostgreSQL 15)"),
]

GEORGE = ("gpalomero1234@smileapi.io", "123456")
QUICK = {
    "SAHOD_RETRY_BASE_SECONDS": "0.2",
    "SAHOD_WORKER_HEARTBEAT_SECONDS": "0.5",
    "SAHOD_STALLED_AFTER_SECONDS": "3",
    "SAHOD_STALLED_CHECK_SECONDS": "1",
    "SAHOD_READY_HEARTBEAT_MAX_AGE_SECONDS": "3",
    "SAHOD_WORKER_RESTART_MAX_SECONDS": "2",
}


@pytest.fixture
def postgres() -> Iterator[PrivatePostgres]:
    server = start_private_postgres()
    try:
        yield server
    finally:
        server.destroy()


async def link_to_connected(base_url: str, keys: dict[str, str], within: float) -> float:
    """Seconds a new sandbox account took from creation to CONNECTED (fails past ``within``)."""
    started = time.monotonic()
    widget = await Widget.open(base_url, keys["apiKey"], keys["apiSecret"])
    try:
        account = await widget.connect("sss", *GEORGE)
        view = await widget.wait_any(account["id"], ("AWAITING_MFA", "CONNECTED"), within=within)
        if view["connectionStatus"] == "AWAITING_MFA":
            assert (await widget.submit_code(account["id"])).status_code == 200
        left = within - (time.monotonic() - started)
        await widget.wait(account["id"], until="CONNECTED", within=max(left, 0.1))
    finally:
        await widget.close()
    return time.monotonic() - started


def readiness(base_url: str) -> tuple[int, dict[str, Any]]:
    response = httpx.get(f"{base_url}/readyz", timeout=10)
    body: dict[str, Any] = response.json()
    return response.status_code, body


def wait_for_readiness(base_url: str, status: int, within: float) -> dict[str, Any]:
    deadline = time.monotonic() + within
    while True:
        code, body = readiness(base_url)
        if code == status:
            return body
        assert time.monotonic() < deadline, f"/readyz stayed {code}: {body}"
        time.sleep(0.3)


def serve(
    postgres: PrivatePostgres, tmp_path: Path, *args: str, **env: str
) -> tuple[SahodProcess, dict[str, str]]:
    keys = create_tenant_with_cli(postgres.url, tmp_path, "Outage Tenant")
    process = start_sahod(
        ["serve", *args],
        env={"SAHOD_DATABASE_URL": postgres.url, **QUICK, **env},
        ready=r"Sahod is running",
        data_dir=tmp_path,
    )
    return process, keys


def start_worker(postgres: PrivatePostgres, server: SahodProcess, tmp_path: Path) -> SahodProcess:
    return start_sahod(
        ["worker"],
        env={
            "SAHOD_DATABASE_URL": postgres.url,
            "SAHOD_PORTAL_BASE_URL": f"{server.base_url}/sandbox/portals",
            **QUICK,
        },
        ready=r"worker running",
        data_dir=tmp_path,
        wait_http=False,
    )


async def test_serve_links_within_30_s_after_a_postgresql_restart(
    postgres: PrivatePostgres, tmp_path: Path
) -> None:
    server, keys = serve(postgres, tmp_path)
    try:
        await link_to_connected(server.base_url, keys, within=60)
        postgres.restart(down_seconds=2)
        took = await link_to_connected(server.base_url, keys, within=30)
        assert took < 30
        wait_for_readiness(server.base_url, 200, within=30)
        printed = "".join(server.output)
        assert "job worker exited" not in printed, printed  # its process lived through it
        assert "starting it again" in printed, printed  # the job loop was restarted in place
    finally:
        assert server.stop() == 0


async def test_sahod_worker_links_within_30_s_after_a_postgresql_restart(
    postgres: PrivatePostgres, tmp_path: Path
) -> None:
    server, keys = serve(postgres, tmp_path, "--no-worker")
    worker = start_worker(postgres, server, tmp_path)
    try:
        await link_to_connected(server.base_url, keys, within=60)
        postgres.restart(down_seconds=2)
        took = await link_to_connected(server.base_url, keys, within=30)
        assert took < 30
        assert worker.process.poll() is None, "the worker must not stop"
    finally:
        assert worker.stop() == 0
        assert server.stop() == 0


async def test_readyz_fails_while_the_worker_is_down_and_passes_once_it_is_back(
    postgres: PrivatePostgres, tmp_path: Path
) -> None:
    server, _keys = serve(postgres, tmp_path, "--no-worker")
    worker: SahodProcess | None = None
    try:
        body = wait_for_readiness(server.base_url, 503, within=5)
        assert body["code"] == "SERVER_UNAVAILABLE"
        assert "no job worker" in body["message"]
        assert body["data"]["checks"]["database"] == "ok"

        worker = start_worker(postgres, server, tmp_path)
        body = wait_for_readiness(server.base_url, 200, within=20)
        assert body["data"] == {
            "ready": True,
            "checks": {"database": "ok", "migrations": "ok", "worker": "ok", "queue": "ok"},
        }

        worker.stop(signal.SIGKILL)  # no goodbye: only its heartbeat stops
        body = wait_for_readiness(server.base_url, 503, within=20)
        assert "heartbeat" in body["data"]["checks"]["worker"]

        worker = start_worker(postgres, server, tmp_path)
        wait_for_readiness(server.base_url, 200, within=20)
    finally:
        if worker is not None:
            worker.stop()
        server.stop()


async def test_requests_during_a_database_outage_answer_503_and_recover(
    postgres: PrivatePostgres, tmp_path: Path
) -> None:
    server, keys = serve(postgres, tmp_path, "--no-worker", SAHOD_STATEMENT_TIMEOUT_SECONDS="1")
    auth = (keys["apiKey"], keys["apiSecret"])
    try:
        async with httpx.AsyncClient(base_url=server.base_url, auth=auth, timeout=30) as api:
            assert (await api.get("/v1/accounts")).status_code == 200

            postgres.stop()
            during = await api.get("/v1/accounts")
            assert during.status_code == 503, during.text
            assert during.headers["Retry-After"].isdigit()
            body = during.json()
            assert body["code"] == "SERVER_UNAVAILABLE"
            assert set(body) == {"code", "message", "requestId", "data"}
            assert body["requestId"]
            ready = await api.get("/readyz")
            assert ready.status_code == 503
            assert ready.json()["data"]["checks"]["database"] == "the database does not answer"

            postgres.start()
            deadline = time.monotonic() + 15
            while (await api.get("/v1/accounts")).status_code != 200:
                assert time.monotonic() < deadline, "the API did not recover by itself"
                await asyncio.sleep(0.2)

            # A query the database cannot answer within the statement timeout is a 504.
            with psycopg.connect(postgres.url) as blocker:
                blocker.execute("BEGIN")
                blocker.execute("LOCK TABLE accounts IN ACCESS EXCLUSIVE MODE")
                slow = await api.get("/v1/accounts")
                blocker.execute("ROLLBACK")
            assert slow.status_code == 504, slow.text
            assert slow.json()["code"] == "TIME_LIMIT_EXCEEDED"
            assert (await api.get("/v1/accounts")).status_code == 200
    finally:
        assert server.stop() == 0
