"""Does queued work slow the API? `GET /v1/accounts` alone, then while the worker drains
10,000 webhook deliveries.

`sahod serve` runs the job worker in a process of its own (issue 12): the goal is a p99
under load within 1.5x of the p99 alone. One tenant with a webhook (ALL_EVENTS) to a
loopback receiver process (tests/webhooks/receiver.py); the load is `wrk` when installed,
else the benchmarks' asyncio client, a few connections, on loopback.

    .venv/bin/python bench/api_under_load.py              # 10,000 deliveries
    .venv/bin/python bench/api_under_load.py --events 2000

Figures go to stdout and, as JSON, to bench/out/api_under_load.json.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import platform
import secrets
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

import httpx

if __package__ in (None, ""):  # run as a script: make `bench` and `tests` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import (
    OUT_DIR,
    LoadResult,
    LoadSettings,
    free_port,
    load_generator_name,
    run_load,
    with_database_name,
    wrk_binary,
)
from bench.webhooks import (
    DEFAULT_DATABASE_URL,
    child,
    fresh_database,
    prepare,
    receiver_count,
    run_emit,
    wait_until,
)
from sahod.config import Settings
from sahod.db import describe_url
from sahod.kit.clock import SystemClock


async def api_keys(settings: Settings, url: str) -> tuple[str, str]:
    from sahod.db import session_scope
    from sahod.runtime import open_runtime
    from sahod.tenants.schemas import TenantMode
    from sahod.tenants.service import create_tenant as make

    async with (
        open_runtime(settings, database_url=url, run_migrations=False, clock=SystemClock()) as rt,
        session_scope(rt.session_factory) as session,
    ):
        keys = await make(session, "Load Reader", TenantMode.SANDBOX, rt.clock.now())
    return keys.api_key, keys.api_secret


def queued_deliveries(url: str) -> int:
    import psycopg

    from sahod.db import libpq_url

    with psycopg.connect(libpq_url(url)) as conn:
        row = conn.execute(
            "SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing')"
        ).fetchone()
    return int(row[0]) if row else 0


def answers_ready(base_url: str) -> bool:
    try:
        return httpx.get(f"{base_url}/readyz", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--duration", type=float, default=15.0)
    parser.add_argument("--connections", type=int, default=4)
    args = parser.parse_args()

    base = os.environ.get("SAHOD_BENCH_DATABASE_URL") or DEFAULT_DATABASE_URL
    url = with_database_name(base, "sahod_bench_api_under_load")
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    sealing_key = base64.b64encode(secrets.token_bytes(32)).decode()
    data_dir = Path(tempfile.mkdtemp(prefix="sahod-bench-load-"))
    # The receiver listens on loopback: the operator's opt-in, as in the worker's env.
    settings = Settings(
        database_url=url,
        data_dir=data_dir,
        sealing_key=sealing_key,
        run_worker=False,
        webhook_allowed_networks=["127.0.0.0/8"],
    )
    print(f"database {describe_url(url)} (fresh)", flush=True)
    fresh_database(url)

    env = {k: v for k, v in os.environ.items() if not k.startswith("SAHOD_")}
    env["PYTHONUNBUFFERED"] = "1"
    receiver_port, api_port = free_port(), free_port()
    receiver_url = f"http://127.0.0.1:{receiver_port}"
    receiver_cmd = [sys.executable, "-m", "tests.webhooks.receiver", "--port", str(receiver_port)]
    serve_env = env | {
        "SAHOD_DATABASE_URL": url,
        "SAHOD_SEALING_KEY": sealing_key,
        "SAHOD_DATA_DIR": str(data_dir),
        "SAHOD_PORT": str(api_port),
        "SAHOD_LOG_LEVEL": "WARNING",
        "SAHOD_WEBHOOK_ALLOWED_NETWORKS": '["127.0.0.0/8"]',
        # One load client address: the per-address limits would answer 429.
        "SAHOD_RATE_LIMIT_PER_IP": "0",
        "SAHOD_AUTH_FAILURES_PER_MINUTE": "0",
    }
    generator = "wrk" if wrk_binary() else "python"
    load = LoadSettings(connections=args.connections, duration=args.duration, warmup=2.0)
    results: dict[str, LoadResult] = {}
    with child(receiver_cmd, env, OUT_DIR / "api_under_load_receiver.log") as receiver:
        wait_until(lambda: receiver_count(receiver_url) is not None, "receiver", 30, receiver)
        tenant_id, _webhook = asyncio.run(prepare(settings, url, receiver_url))
        api_key, api_secret = asyncio.run(api_keys(settings, url))
        auth = "Basic " + base64.b64encode(f"{api_key}:{api_secret}".encode()).decode()
        serve_cmd = [sys.executable, "-m", "sahod.cli", "serve"]
        with child(serve_cmd, serve_env, OUT_DIR / "api_under_load_serve.log") as server:
            base_url = f"http://127.0.0.1:{api_port}"
            wait_until(lambda: answers_ready(base_url), "readiness", 120, server)
            headers = {"Authorization": auth}
            print(f"== alone ({load_generator_name(generator)})", flush=True)
            results["alone"] = run_load(
                generator, base_url, ["/v1/accounts"], headers, load, OUT_DIR / "load-alone"
            )
            print(f"   p50 {results['alone'].p50_ms:.1f} ms, p99 {results['alone'].p99_ms:.1f} ms")

            print(f"== while the worker drains {args.events:,} deliveries", flush=True)
            asyncio.run(run_emit(settings, url, tenant_id, args.events, None))
            backlog = queued_deliveries(url)
            started = time.monotonic()
            results["under load"] = run_load(
                generator, base_url, ["/v1/accounts"], headers, load, OUT_DIR / "load-busy"
            )
            left = queued_deliveries(url)
            received = receiver_count(receiver_url) or 0
            print(
                f"   p50 {results['under load'].p50_ms:.1f} ms, "
                f"p99 {results['under load'].p99_ms:.1f} ms; backlog {backlog:,} jobs at the "
                f"start, {left:,} after {time.monotonic() - started:.0f} s; {received:,} received"
            )
            server.stop()

    ratio = results["under load"].p99_ms / results["alone"].p99_ms
    verdict = "within" if ratio <= 1.5 else "NOT within"
    print(f"\np99 under load / p99 alone = {ratio:.2f} ({verdict} the 1.5x goal)")
    out = {
        "machine": platform.platform(),
        "cpus": os.cpu_count(),
        "generator": load_generator_name(generator),
        "events": args.events,
        "backlog_at_start": backlog,
        "backlog_after": left,
        "results": {name: asdict(result) for name, result in results.items()},
        "p99_ratio": ratio,
    }
    (OUT_DIR / "api_under_load.json").write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
