"""`sahod migrate` and `sahod worker` as real processes against a fresh database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg

from tests.conftest import scratch_database
from tests.e2e.server import start_sahod


def test_migrate_then_a_worker_starts_and_stops_cleanly(server_url: str, tmp_path: Path) -> None:
    with scratch_database(server_url, "sahod_migrate") as url:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SAHOD_")}
        env.update({"SAHOD_DATABASE_URL": url, "SAHOD_DATA_DIR": str(tmp_path)})
        for _ in range(2):  # a second run finds nothing to do
            done = subprocess.run(
                [sys.executable, "-m", "sahod.cli", "migrate"],
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
                check=True,
            )
            assert "migrated" in done.stdout
        with psycopg.connect(url) as conn:
            tables = {
                row[0]
                for row in conn.execute(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                )
            }
        assert {"users", "accounts", "datapoints", "events", "procrastinate_jobs"} <= tables

        worker = start_sahod(
            ["worker", "--concurrency", "3"],
            env={"SAHOD_DATABASE_URL": url},
            ready=r"worker running \(concurrency 3\)",
            data_dir=tmp_path,
            wait_http=False,
        )
        with psycopg.connect(url) as conn:
            registered = conn.execute("SELECT count(*) FROM procrastinate_workers").fetchone()
        assert registered is not None and registered[0] == 1
        assert worker.stop() == 0
        with psycopg.connect(url) as conn:
            left = conn.execute("SELECT count(*) FROM procrastinate_workers").fetchone()
        assert left is not None and left[0] == 0
