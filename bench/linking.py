"""Linking throughput: 1,000 accounts linked at once against portals with 100 ms latency.

Prints accounts connected per second, p50/p99 from `POST /link/v1/accounts` to CONNECTED
(and to the first sync finished), and the ratio of each to the latency-bound ideal.

Four kinds of process share the machine's two cores, as a small deployment would: the
sandbox portals (`sahod sandbox-portals`, 100 ms added to every page), `sahod serve
--no-worker` (the API), `--workers` `sahod worker` processes, and this script as the
widget-side client. Timings come from the
server's own timestamps: the account's `createdAt` (the POST) and its ACCOUNT_CONNECTED and
TASK_FINISHED events.

    python bench/linking.py [--accounts 1000] [--worker-concurrency 200] [--latency-ms 100]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import (
    OUT_DIR,
    REPO_ROOT,
    ensure_database,
    free_port,
    process_cpu_seconds,
    render_table,
    served_app,
    with_database_name,
)
from sahod.db import libpq_url
from sahod.migrate import upgrade
from sahod.providers.base import Credentials
from sahod.providers.registry import REGISTRATIONS, create_connector

PROVIDERS = tuple(registration.id for registration in REGISTRATIONS)
TARGET_CPU_MS = 15.0
"""Issue 15: a linked account should cost the worker at most this much CPU."""
PERSONA = ("nomfa@sahod.test", "sandbox1")  # no one-time code: the flow runs unattended


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def fresh_database(server_url: str, name: str) -> str:
    url = with_database_name(server_url, name)
    with psycopg.connect(libpq_url(url), dbname="postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    ensure_database(url)
    upgrade(url)
    return url


def start_worker(
    url: str, env: dict[str, str], concurrency: int, index: int
) -> subprocess.Popen[bytes]:
    log = (OUT_DIR / f"linking-worker{index}.log").open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "sahod.cli", "worker", "--concurrency", str(concurrency)],
        cwd=REPO_ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={
            **os.environ,
            "SAHOD_DATABASE_URL": url,
            "SAHOD_LOG_LEVEL": "WARNING",
            "SAHOD_DATA_DIR": str(OUT_DIR / "server-data"),
            **env,
        },
    )


def start_portals(latency_ms: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    log = (OUT_DIR / "linking-portals.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "sahod.cli", "sandbox-portals", "--port", str(port)],
        cwd=REPO_ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            if httpx.get(f"{base}/", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    faults = {"latency_ms": latency_ms, "rate_limit_per_second": 10_000, "rate_limit_burst": 10_000}
    for provider in PROVIDERS:
        httpx.put(f"{base}/{provider}/_faults", json=faults, timeout=5).raise_for_status()
    return process, base


async def login_round_trips(portals: str) -> dict[str, int]:
    """Requests one sign-in makes, one after the other (none of them overlap)."""
    trips: dict[str, int] = {}
    async with httpx.AsyncClient(base_url=portals) as http:
        for provider in PROVIDERS:
            before = (await http.get(f"/{provider}/_stats")).json()
            connector = create_connector(provider, base_url=portals)
            try:
                await connector.login(Credentials(*PERSONA))
            finally:
                await connector.aclose()
            after = (await http.get(f"/{provider}/_stats")).json()
            trips[provider] = int(after.get("requests", 0)) - int(before.get("requests", 0))
    return trips


async def link_all(base_url: str, api_key: str, api_secret: str, count: int) -> float:
    """Create the users (not timed), then send every POST at once; returns when all are."""
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
    async with httpx.AsyncClient(
        base_url=base_url, auth=(api_key, api_secret), timeout=120, limits=limits
    ) as tenant:
        gate = asyncio.Semaphore(100)

        async def user() -> str:
            async with gate:
                response = await tenant.post("/v1/users")
                link_token = response.json()["data"]["token"]["accessToken"]
                # As the widget does: the link token opens one session for the Link API.
                opened = await tenant.post(
                    "/link/v1/session",
                    headers={"Authorization": f"Bearer {link_token}"},
                    auth=None,  # type: ignore[arg-type]
                )
                token: str = opened.json()["data"]["sessionToken"]
                return token

        tokens = await asyncio.gather(*(user() for _ in range(count)))
    async with httpx.AsyncClient(base_url=base_url, timeout=120, limits=limits) as link:

        async def connect(index: int, token: str) -> None:
            response = await link.post(
                "/link/v1/accounts",
                headers={"Authorization": f"Bearer {token}"},
                json={
                    "providerId": PROVIDERS[index % len(PROVIDERS)],
                    "consent": True,
                    "credentials": {"username": PERSONA[0], "password": PERSONA[1]},
                },
            )
            response.raise_for_status()

        started = time.monotonic()
        await asyncio.gather(*(connect(i, t) for i, t in enumerate(tokens)))
        return time.monotonic() - started


def wait_for_workers(url: str, count: int, deadline_seconds: float = 120) -> None:
    """Until ``count`` job workers have registered (procrastinate's table): their start-up
    (imports, migrations, the runtime) is then behind them, and is not counted as the
    CPU of the accounts linked."""
    deadline = time.monotonic() + deadline_seconds
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        while time.monotonic() < deadline:
            row = conn.execute("SELECT count(*) FROM procrastinate_workers").fetchone()
            if row is not None and row[0] >= count:
                return
            time.sleep(0.2)
    raise RuntimeError("the job workers did not start in time")


def wait_for_all(url: str, count: int, deadline_seconds: float) -> None:
    deadline = time.monotonic() + deadline_seconds
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        while time.monotonic() < deadline:
            row = conn.execute("SELECT count(*) FROM tasks WHERE status = 'Finished'").fetchone()
            if row is not None and row[0] >= count:
                return
            time.sleep(0.5)
    raise RuntimeError("not every account finished in time")


def timings(url: str) -> dict[str, list[float]]:
    with psycopg.connect(libpq_url(url)) as conn:
        rows = conn.execute("""
            SELECT extract(epoch FROM a.created_at),
                   extract(epoch FROM c.created_at),
                   extract(epoch FROM f.created_at),
                   a.connection_status
            FROM accounts a
            LEFT JOIN events c ON c.type = 'ACCOUNT_CONNECTED' AND c.data->>'accountId' = a.id
            LEFT JOIN events f ON f.type = 'TASK_FINISHED' AND f.data->>'sourceId' = a.id
        """).fetchall()
    failed = [r for r in rows if r[3] != "CONNECTED"]
    if failed:
        raise RuntimeError(f"{len(failed)} accounts did not connect: {failed[:3]}")
    return {
        "created": [float(r[0]) for r in rows],
        "connected": [float(r[1]) for r in rows],
        "finished": [float(r[2]) for r in rows],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=1, help="sahod worker processes")
    parser.add_argument("--worker-concurrency", type=int, default=100)
    parser.add_argument("--latency-ms", type=int, default=100)
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "SAHOD_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
    )
    args = parser.parse_args()
    OUT_DIR.mkdir(parents=True, exist_ok=True)

    url = fresh_database(args.database_url, "sahod_bench_linking")
    portals, portals_url = start_portals(args.latency_ms)
    try:
        trips = asyncio.run(login_round_trips(portals_url))
        # The API seals the credentials, the workers open them: one key for all (and
        # `tenants create` refuses to start without one, as every process with a URL does).
        sealing_key = base64.b64encode(secrets.token_bytes(32)).decode()
        keys = json.loads(
            subprocess.run(
                [sys.executable, "-m", "sahod.cli", "tenants", "create", "Bench Lending", "--json"],
                env={**os.environ, "SAHOD_DATABASE_URL": url, "SAHOD_SEALING_KEY": sealing_key},
                cwd=REPO_ROOT,
                check=True,
                capture_output=True,
                text=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        env = {
            "SAHOD_PORTAL_BASE_URL": portals_url,
            "SAHOD_WORKER_CONCURRENCY": str(args.worker_concurrency),
            "SAHOD_DB_POOL_SIZE": "20",
            "SAHOD_SEALING_KEY": sealing_key,
            # One client address links a thousand accounts at once: the abuse limits
            # (per address, per user name) would refuse it, which is not what this measures.
            "SAHOD_RATE_LIMIT_PER_IP": "0",
            "SAHOD_AUTH_FAILURES_PER_MINUTE": "0",
            "SAHOD_PORTAL_SIGN_IN_FAILURES_PER_HOUR": "0",
        }
        workers = [start_worker(url, env, args.worker_concurrency, n) for n in range(args.workers)]
        try:
            with served_app(url, log_path=OUT_DIR / "linking-serve.log", extra_env=env) as app:
                wait_for_workers(url, len(workers))
                cpu_before = [process_cpu_seconds(worker.pid) or 0.0 for worker in workers]
                posting = asyncio.run(
                    link_all(app.base_url, keys["apiKey"], keys["apiSecret"], args.accounts)
                )
                wait_for_all(url, args.accounts, deadline_seconds=600)
                # The workers' CPU time over the accounts linked (and synced once): what a
                # linked account costs the worker, whatever else shares the machine.
                cpu_after = [process_cpu_seconds(worker.pid) or 0.0 for worker in workers]
                load_average = os.getloadavg()[0]
        finally:
            for worker in workers:
                worker.terminate()
                worker.wait(30)
        times = timings(url)
    finally:
        portals.terminate()
        portals.wait(10)

    start = min(times["created"])
    to_connect = [c - a for a, c in zip(times["created"], times["connected"], strict=True)]
    to_finish = [f - a for a, f in zip(times["created"], times["finished"], strict=True)]
    span_connected = max(times["connected"]) - start
    span_finished = max(times["finished"]) - start
    mean_trips = sum(trips.values()) / len(trips)
    ideal_connect = mean_trips * args.latency_ms / 1000
    # Latency-bound ideals: every account's sign-in takes its round trips and nothing else,
    # with all accounts in flight at once (unbounded) or worker-concurrency at a time.
    ideal_rate_unbounded = args.accounts / ideal_connect
    in_flight = args.workers * args.worker_concurrency
    waves = -(-args.accounts // in_flight)
    ideal_rate_workers = args.accounts / (waves * ideal_connect)
    rate = args.accounts / span_connected
    cpu_per_account_ms = 1000 * sum(cpu_after) - 1000 * sum(cpu_before)
    cpu_per_account_ms /= args.accounts
    rows = [
        [
            "connected / s",
            f"{rate:,.1f}",
            f"{ideal_rate_workers:,.1f}",
            f"{rate / ideal_rate_workers:.2f}",
            f"{ideal_rate_unbounded:,.0f}",
            f"{rate / ideal_rate_unbounded:.3f}",
        ],
        [
            "POST → CONNECTED p50 s",
            f"{percentile(to_connect, 0.5):.2f}",
            f"{ideal_connect:.2f}",
            f"{ideal_connect / percentile(to_connect, 0.5):.2f}",
            "",
            "",
        ],
        [
            "POST → CONNECTED p99 s",
            f"{percentile(to_connect, 0.99):.2f}",
            f"{ideal_connect:.2f}",
            f"{ideal_connect / percentile(to_connect, 0.99):.2f}",
            "",
            "",
        ],
        [
            "worker CPU ms / account",
            f"{cpu_per_account_ms:.1f}",
            f"{TARGET_CPU_MS:g} (target)",
            f"{TARGET_CPU_MS / cpu_per_account_ms:.2f}",
            "",
            "",
        ],
        ["POST → synced p50 s", f"{percentile(to_finish, 0.5):.2f}", "", "", "", ""],
        ["POST → synced p99 s", f"{percentile(to_finish, 0.99):.2f}", "", "", "", ""],
    ]
    print()
    print(
        f"{args.accounts} accounts, persona {PERSONA[0]} over {', '.join(PROVIDERS)}; "
        f"{args.latency_ms} ms per portal page; sahod serve --no-worker and {args.workers} "
        f"sahod worker (concurrency {args.worker_concurrency}); sign-in round trips {trips}"
    )
    print(
        f"all POSTs sent in {posting:.1f} s; all connected after {span_connected:.1f} s, "
        f"all synced after {span_finished:.1f} s; 1-minute load average {load_average:.2f}\n"
    )
    print(
        render_table(
            ["figure", "measured", "ideal (workers)", "ratio", "ideal (∞)", "ratio (∞)"], rows
        )
    )
    result = {
        "accounts": args.accounts,
        "latency_ms": args.latency_ms,
        "worker_concurrency": args.worker_concurrency,
        "round_trips": trips,
        "connected_per_second": rate,
        "ideal_per_second_workers": ideal_rate_workers,
        "ideal_per_second_unbounded": ideal_rate_unbounded,
        "connect_p50_s": percentile(to_connect, 0.5),
        "connect_p99_s": percentile(to_connect, 0.99),
        "synced_p50_s": percentile(to_finish, 0.5),
        "synced_p99_s": percentile(to_finish, 0.99),
        "all_connected_s": span_connected,
        "all_synced_s": span_finished,
        "worker_cpu_ms_per_account": cpu_per_account_ms,
        "worker_cpu_target_ms": TARGET_CPU_MS,
        "load_average_1m": load_average,
    }
    (OUT_DIR / "linking.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
