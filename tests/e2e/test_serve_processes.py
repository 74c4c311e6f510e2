"""`sahod serve` runs the job worker in a process of its own, restarts it when it dies,
runs N API processes with `--workers N`, and stops all of them on SIGTERM."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import create_tenant_with_cli
from tests.e2e.private_postgres import available, start_private_postgres
from tests.e2e.server import children_of, start_sahod


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_for(condition: object, within: float, what: str) -> None:
    assert callable(condition)
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.2)


@pytest.mark.slow
@pytest.mark.skipif(not available(), reason="needs initdb/pg_ctl (PostgreSQL 15)")
def test_serve_runs_api_processes_and_a_supervised_worker(tmp_path: Path) -> None:
    postgres = start_private_postgres()
    database_url = postgres.url
    keys = create_tenant_with_cli(database_url, tmp_path, "Process Tenant")
    server = start_sahod(
        ["serve", "--workers", "2"],
        env={"SAHOD_DATABASE_URL": database_url, "SAHOD_WORKER_RESTART_MAX_SECONDS": "1"},
        ready=r"Sahod is running",
        data_dir=tmp_path,
    )
    try:
        parent = server.process.pid

        def workers() -> list[int]:
            return [p for p, c in children_of(parent).items() if "sahod.cli worker" in c]

        wait_for(lambda: len(workers()) == 1, 30, "one job worker child")
        wait_for(lambda: len(children_of(parent)) >= 2, 30, "an API supervisor or processes")
        auth = (keys["apiKey"], keys["apiSecret"])
        for _ in range(10):
            assert httpx.get(f"{server.base_url}/v1/accounts", auth=auth).status_code == 200

        first = workers()[0]
        os.kill(first, signal.SIGKILL)
        wait_for(lambda: any(pid != first for pid in workers()), 30, "the worker restarted")
        assert "job worker exited" in "".join(server.output)

        everyone = [*children_of(parent)]
        for child in list(everyone):
            everyone += children_of(child)
        assert server.stop() == 0
        wait_for(lambda: not any(alive(p) for p in everyone), 10, "children left running")
    finally:
        server.stop(signal.SIGKILL)
        postgres.destroy()
