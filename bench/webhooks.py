"""How fast one worker process delivers webhooks, next to a plain HTTP loop as the ceiling.

One tenant, one webhook (ALL_EVENTS) pointing at a loopback receiver that runs as a process
of its own (tests/webhooks/receiver.py), and one ``sahod worker`` process. Two runs:

* burst: 10,000 events emitted through ``sahod.events.service.emit`` as fast as the
  benchmark can (100 a transaction) while the worker runs: deliveries per second, and
  p50/p99 from each event's commit to its receipt (mostly the wait behind the backlog);
* backlog: 10,000 more, committed while the worker is stopped (SIGSTOP), then sent once it
  resumes: the worker's own top speed, from the resume to the last receipt (in the burst,
  a worker that keeps up can go no faster than the events are committed). Three rounds,
  each followed by its plain loop, and the median of their ratios: on this 2-core virtual
  machine the same loop's rate moves by a quarter from one minute to the next;
* paced: 5,000 events, one a transaction, at half of the burst's delivery rate (a rate
  the worker keeps up with): the latency one delivery adds.

The ceiling, for each run: the same number of POSTs of the same body by a plain loop of
async HTTP POSTs (as many at once as the worker's concurrency) in a process of its own, to the
same receiver, with no queue, database or signature. It POSTs with aiohttp, the library
the worker sends with, so that the ratio measures what Sahod adds (the queue, the
database, signing) rather than an HTTP client, on uvloop, the event loop ``sahod worker``
runs on. A second loop, with httpx (the ceiling of issue 15 as first measured), is kept for
reference (in the first backlog round only). In the burst every POST is ready at
the start (the loop's top speed); in the paced run each is released at the instant its
event was committed.

    .venv/bin/python bench/webhooks.py            # 10,000 events, four times (and 5,000 paced)
    .venv/bin/python bench/webhooks.py --quick    # 1,000, four times (and 500)

Figures go to stdout and, as JSON, to bench/out/webhooks.json (webhooks_quick.json with
--quick). A benchmark prints figures; it is not a timed test.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import concurrent.futures
import json
import multiprocessing
import os
import platform
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Coroutine, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import httpx
import psycopg
import uvloop
from psycopg import sql

if __package__ in (None, ""):  # run as a script: make `bench` and `tests` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import (
    OUT_DIR,
    REPO_ROOT,
    database_name,
    free_port,
    process_cpu_seconds,
    render_table,
    with_database_name,
)
from sahod.config import Settings
from sahod.db import describe_url, libpq_url, session_scope
from sahod.events.service import emit_many
from sahod.runtime import Runtime, open_runtime
from sahod.tenants.schemas import TenantContext, TenantMode
from sahod.tenants.service import create_tenant
from sahod.webhooks import subscriptions as webhooks
from sahod.webhooks.schemas import EventType, WebhookCreate

DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/sahod_bench_webhooks"
BATCH = 100
"""Events per emitting transaction."""
T = TypeVar("T")
WARMUP_EVENTS = 200


# ---------------------------------------------------------------------------------------
# Processes: the receiver and the worker
# ---------------------------------------------------------------------------------------


@dataclass
class Child:
    process: subprocess.Popen[bytes]
    log_path: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@contextmanager
def child(command: list[str], env: dict[str, str], log_path: Path) -> Iterator[Child]:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    running = Child(process, log_path)
    try:
        yield running
    finally:
        running.stop()


def wait_until(check: Any, what: str, timeout: float, proc: Child) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.process.poll() is not None:
            tail = proc.log_path.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"{what}: the process exited:\n{tail}")
        if check():
            return
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not happen within {timeout:.0f} s")


_POLLING = httpx.Client(timeout=2, trust_env=False)
"""One client for the polls of the receiver's count: ``httpx.get`` builds a client (and its
TLS context) per call, which at five polls a second took a fifth of a core from the worker
being measured, and from nothing else (the plain loops are polled only once they end)."""


def receiver_count(base: str) -> int | None:
    try:
        return int(_POLLING.get(f"{base}/_count").text)
    except (httpx.HTTPError, ValueError):
        return None


def worker_registered(url: str) -> bool:
    with psycopg.connect(libpq_url(url)) as conn:
        row = conn.execute("SELECT count(*) FROM procrastinate_workers").fetchone()
    return bool(row and row[0])


# ---------------------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------------------


def percentile(ordered: Sequence[float], fraction: float) -> float:
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]


@dataclass(frozen=True)
class Figures:
    events: int
    received: int
    duplicates: int
    seconds: float
    """From the first commit (release) to the last receipt."""
    per_second: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    sender_cpu: float | None = None
    """Cores the sending process (worker or loop) used over ``seconds``."""

    def row(self, name: str) -> list[str]:
        return [
            name,
            f"{self.events:,}",
            f"{self.received:,}",
            f"{self.per_second:,.0f}",
            f"{self.p50_ms:,.1f}",
            f"{self.p99_ms:,.1f}",
            f"{self.max_ms:,.1f}",
            f"{self.sender_cpu:.2f}" if self.sender_cpu is not None else "-",
        ]


@dataclass(frozen=True)
class Phase:
    rate: float | None
    """Events a second offered (None: all at once)."""
    emitted_per_second: float | None
    """Events the benchmark committed a second: in the burst, the most the worker can
    deliver while they are being emitted (the backlog run is the worker's own top speed)."""
    sahod: Figures
    ceiling: Figures
    """The plain loop with aiohttp (the worker's HTTP client)."""
    httpx_ceiling: Figures | None
    """The plain loop with httpx, for reference (in one backlog round only)."""

    def ratios(self) -> dict[str, float | None]:
        def ratio(loop: Figures | None) -> float | None:
            if loop is None or not loop.per_second:
                return None
            return round(self.sahod.per_second / loop.per_second, 2)

        return {"vsAiohttpLoop": ratio(self.ceiling), "vsHttpxLoop": ratio(self.httpx_ceiling)}


def figures(
    released: dict[str, float], arrivals: list[tuple[str, float]], cpu: float | None
) -> Figures:
    first: dict[str, float] = {}
    duplicates = 0
    for event_id, at in arrivals:
        if event_id not in released:
            continue
        if event_id in first:
            duplicates += 1
        else:
            first[event_id] = at
    latencies = sorted((first[e] - released[e]) * 1000 for e in first)
    start = min(released.values())
    seconds = (max(first.values()) - start) if first else 0.0
    return Figures(
        events=len(released),
        received=len(first),
        duplicates=duplicates,
        seconds=round(seconds, 3),
        per_second=round(len(first) / seconds, 1) if seconds else 0.0,
        p50_ms=round(percentile(latencies, 0.50), 2),
        p99_ms=round(percentile(latencies, 0.99), 2),
        max_ms=round(latencies[-1], 2) if latencies else 0.0,
        sender_cpu=round(cpu / seconds, 2) if cpu is not None and seconds else None,
    )


def wait_received(base: str, total: int, timeout: float, worker: Child | None = None) -> None:
    deadline = time.monotonic() + timeout
    last, stalled_since = -1, time.monotonic()
    while time.monotonic() < deadline:
        count = receiver_count(base)
        if count is not None and count >= total:
            return
        if worker is not None and worker.process.poll() is not None:
            tail = worker.log_path.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"the worker exited with {worker.process.returncode}:\n{tail}")
        if count != last:
            last, stalled_since = count or 0, time.monotonic()
        elif time.monotonic() - stalled_since > 60:
            raise RuntimeError(f"nothing arrived for 60 s: {count} of {total} received")
        time.sleep(0.2)
    raise RuntimeError(f"the receiver got {receiver_count(base)} of {total} within {timeout} s")


def arrivals_of(base: str) -> list[tuple[str, float]]:
    return [(str(i), float(t)) for i, t in httpx.get(f"{base}/_received", timeout=60).json()]


# ---------------------------------------------------------------------------------------
# Emitting events, and the plain loop
# ---------------------------------------------------------------------------------------


async def emit_events(
    runtime: Runtime, tenant_id: str, count: int, rate: float | None
) -> dict[str, float]:
    """Each event's time is its transaction's commit.

    Without ``rate``, as fast as possible, ``BATCH`` events a transaction (written together,
    as one change's events are); with it, one event a transaction, on a schedule of that
    many a second (as a live system emits).
    """
    committed: dict[str, float] = {}
    started = time.perf_counter()
    batch = 1 if rate else BATCH
    for offset in range(0, count, batch):
        if rate:
            due = started + offset / rate
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
        async with session_scope(runtime.session_factory) as session:
            events = [
                ("USER_CREATED", {"userId": f"u{n}"})
                for n in range(offset, min(count, offset + batch))
            ]
            written = await emit_many(session, tenant_id, events, runtime.clock.now())
        at = time.time()
        committed.update(dict.fromkeys((event.id for event in written), at))
    return committed


LOOP_CLIENTS = ("aiohttp", "httpx")


async def plain_loop(
    url: str, release: list[tuple[str, float]], body: bytes, concurrency: int, client: str
) -> dict[str, float]:
    """POST once per item at (or after) its release time, ``concurrency`` at a time, with
    ``client`` (aiohttp or httpx)."""
    queue: asyncio.Queue[tuple[str, float] | None] = asyncio.Queue()
    released: dict[str, float] = {}
    # Release times are replayed relative to now.
    shift = time.time() + 0.2 - min(at for _, at in release)

    async def producer() -> None:
        for item_id, at in sorted(release, key=lambda item: item[1]):
            wait = at + shift - time.time()
            if wait > 0:
                await asyncio.sleep(wait)
            released[item_id] = time.time()
            queue.put_nowait((item_id, released[item_id]))
        for _ in range(concurrency):
            queue.put_nowait(None)

    def headers(item_id: str) -> dict[str, str]:
        return {"content-type": "application/json", "webhook-id": item_id}

    async def aiohttp_consumer(session: aiohttp.ClientSession) -> None:
        while (item := await queue.get()) is not None:
            async with session.post(url, data=body, headers=headers(item[0])) as response:
                await response.read()
                response.raise_for_status()

    async def httpx_consumer(http: httpx.AsyncClient) -> None:
        while (item := await queue.get()) is not None:
            answer = await http.post(url, content=body, headers=headers(item[0]))
            answer.raise_for_status()

    if client == "aiohttp":
        async with aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=concurrency),
            timeout=aiohttp.ClientTimeout(total=15),
        ) as session:
            await asyncio.gather(
                producer(), *(aiohttp_consumer(session) for _ in range(concurrency))
            )
    else:
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        async with httpx.AsyncClient(limits=limits, timeout=15, trust_env=False) as http:
            await asyncio.gather(producer(), *(httpx_consumer(http) for _ in range(concurrency)))
    return released


# ---------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------


def on_the_workers_loop(loop_of_posts: Coroutine[Any, Any, T]) -> T:
    """Runs the plain loop on the event loop ``sahod worker`` runs on (uvloop), so that the
    ratio does not measure a difference of event loops."""
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(loop_of_posts)


def _plain_loop_here(
    url: str, release: list[tuple[str, float]], body: bytes, concurrency: int, client: str
) -> tuple[dict[str, float], float]:
    started = time.process_time()
    released = on_the_workers_loop(plain_loop(url, release, body, concurrency, client))
    return released, time.process_time() - started


def in_a_fresh_process(
    url: str, release: list[tuple[str, float]], body: bytes, concurrency: int, client: str
) -> tuple[dict[str, float], float]:
    """The plain loop in a process of its own, started for it, and the CPU it used: in the
    benchmark's process, which holds every receipt so far, the collector's passes grew with
    each run, and the same loop cost 164 µs of CPU a POST in one round and 263 in the third."""
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(_plain_loop_here, url, release, body, concurrency, client).result()


def fresh_database(url: str) -> None:
    """A new database each run: jobs or deliveries of an earlier run must not mix in."""
    name = database_name(url)
    with psycopg.connect(libpq_url(url), dbname="postgres", autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


async def prepare(settings: Settings, url: str, receiver_url: str) -> tuple[str, str]:
    async with open_runtime(settings, database_url=url) as runtime:
        async with session_scope(runtime.session_factory) as session:
            keys = await create_tenant(
                session, "Bench Lender", TenantMode.SANDBOX, runtime.clock.now()
            )
            tenant = TenantContext(id=keys.tenant_id, mode=TenantMode.SANDBOX)
            created = await webhooks.create_webhook(
                session,
                tenant,
                WebhookCreate(
                    name="bench",
                    url=f"{receiver_url}/hook",
                    event_types=[EventType.ALL_EVENTS],
                    active=True,
                    secret="whsec_" + base64.b64encode(secrets.token_bytes(32)).decode(),
                ),
                runtime.clock.now(),
                runtime.sealer,
                settings,
            )
        return keys.tenant_id, created.id


async def run_emit(
    settings: Settings, url: str, tenant_id: str, count: int, rate: float | None
) -> dict[str, float]:
    async with open_runtime(settings, database_url=url, run_migrations=False) as runtime:
        return await emit_events(runtime, tenant_id, count, rate)


def delivery_states(url: str) -> dict[str, int]:
    with psycopg.connect(libpq_url(url)) as conn:
        rows = conn.execute(
            "SELECT status, count(*), sum(attempt_count) FROM webhook_deliveries GROUP BY 1"
        ).fetchall()
    states = {str(status): int(count) for status, count, _ in rows}
    states["attempts"] = sum(int(attempts or 0) for _, _, attempts in rows)
    return states


def sample_body(url: str) -> bytes:
    with psycopg.connect(libpq_url(url)) as conn:
        row = conn.execute("SELECT body FROM webhook_deliveries LIMIT 1").fetchone()
    assert row is not None
    return bytes(row[0])


def backlog_summary(results: dict[str, Phase]) -> dict[str, Any]:
    """The backlog's figures: the median over its rounds of the worker's rate, the loop's,
    and their ratio (each round's loop runs right after its worker run). On this kind of
    machine one round's two figures can move by a quarter from one minute to the next."""
    rounds = [found for name, found in results.items() if name.startswith("backlog")]
    return {
        "rounds": len(rounds),
        "sahodPerSecond": statistics.median(r.sahod.per_second for r in rounds),
        "plainLoopPerSecond": statistics.median(r.ceiling.per_second for r in rounds),
        "ratio": statistics.median(r.ratios()["vsAiohttpLoop"] or 0.0 for r in rounds),
        "ratios": [r.ratios()["vsAiohttpLoop"] for r in rounds],
    }


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--database-url", default=None,
        help="default: $SAHOD_BENCH_DATABASE_URL's server, database sahod_bench_webhooks"
        " (dropped and created again on each run)",
    )  # fmt: skip
    parser.add_argument("--quick", action="store_true", help="1,000 events (and 500 paced)")
    parser.add_argument("--events", type=int, default=None, help="burst events (10,000)")
    parser.add_argument("--paced-events", type=int, default=None, help="paced events (5,000)")
    parser.add_argument(
        "--paced-rate", type=float, default=None,
        help="events a second in the paced run (default: half of the burst's delivery rate)",
    )  # fmt: skip
    parser.add_argument(
        "--backlog-rounds", type=int, default=3,
        help="backlog runs, each followed by its plain loop; the ratio is their median (3)",
    )  # fmt: skip
    parser.add_argument("--concurrency", type=int, default=20, help="worker concurrency (20)")
    parser.add_argument("--worker-log-level", default="WARNING", help="the worker's (WARNING)")
    parser.add_argument("--json", type=Path, default=None, help="where to write the figures")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    events = args.events or (1_000 if args.quick else 10_000)
    paced_events = args.paced_events or (500 if args.quick else 5_000)
    if args.database_url:
        url = str(args.database_url)
    else:
        base = os.environ.get("SAHOD_BENCH_DATABASE_URL") or DEFAULT_DATABASE_URL
        url = with_database_name(base, "sahod_bench_webhooks" + ("_quick" if args.quick else ""))
    json_path = args.json or OUT_DIR / ("webhooks_quick.json" if args.quick else "webhooks.json")
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    sealing_key = base64.b64encode(secrets.token_bytes(32)).decode()
    data_dir = Path(tempfile.mkdtemp(prefix="sahod-bench-webhooks-"))
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
    port = free_port()
    receiver_url = f"http://127.0.0.1:{port}"
    receiver_cmd = [sys.executable, "-m", "tests.webhooks.receiver", "--port", str(port)]
    worker_env = env | {
        "SAHOD_DATABASE_URL": url,
        "SAHOD_SEALING_KEY": sealing_key,
        "SAHOD_DATA_DIR": str(data_dir),
        "SAHOD_LOG_LEVEL": args.worker_log_level,
        "SAHOD_WEBHOOK_ALLOWED_NETWORKS": '["127.0.0.0/8"]',
    }
    worker_cmd = [
        sys.executable,
        "-m",
        "sahod.cli",
        "worker",
        "--concurrency",
        str(args.concurrency),
    ]
    results: dict[str, Phase] = {}
    with child(receiver_cmd, env, OUT_DIR / "webhooks_receiver.log") as receiver:
        wait_until(lambda: receiver_count(receiver_url) is not None, "receiver", 30, receiver)
        tenant_id, webhook_id = asyncio.run(prepare(settings, url, receiver_url))
        print(f"tenant {tenant_id}, webhook {webhook_id} → {receiver_url}/hook", flush=True)

        with child(worker_cmd, worker_env, OUT_DIR / "webhooks_worker.log") as worker:
            wait_until(lambda: worker_registered(url), "worker registration", 120, worker)
            print(f"worker pid {worker.process.pid}, concurrency {args.concurrency}", flush=True)
            asyncio.run(run_emit(settings, url, tenant_id, WARMUP_EVENTS, None))
            wait_received(receiver_url, WARMUP_EVENTS, 120, worker)
            total = WARMUP_EVENTS

            runs = [("burst", "burst", events)]
            runs += [
                (f"backlog {n}" if args.backlog_rounds > 1 else "backlog", "backlog", events)
                for n in range(1, args.backlog_rounds + 1)
            ]
            runs.append(("paced", "paced", paced_events))
            for name, phase, count in runs:
                rate = None
                if phase == "paced":
                    rate = args.paced_rate or max(10.0, results["burst"].sahod.per_second / 2)
                label = f"{count:,} events" + (f" at {rate:,.0f}/s" if rate else " at once")
                if phase == "backlog":
                    label += ", committed while the worker is stopped, then sent"
                print(f"\n== {name}: {label}", flush=True)
                if phase == "backlog":
                    # SIGSTOP: the worker stays warm (connections, caches) but takes nothing
                    # until every delivery is committed; then it drains them at top speed.
                    worker.process.send_signal(signal.SIGSTOP)
                    try:
                        committed = asyncio.run(run_emit(settings, url, tenant_id, count, None))
                    finally:
                        resumed = time.time()
                        cpu_before = process_cpu_seconds(worker.process.pid)
                        worker.process.send_signal(signal.SIGCONT)
                    print("   worker resumed", flush=True)
                    emitted = committed
                    committed = dict.fromkeys(committed, resumed)
                else:
                    cpu_before = process_cpu_seconds(worker.process.pid)
                    committed = asyncio.run(run_emit(settings, url, tenant_id, count, rate))
                    emitted = committed
                total += count
                wait_received(receiver_url, total, 600, worker)
                cpu_after = process_cpu_seconds(worker.process.pid)
                cpu = None if cpu_before is None or cpu_after is None else cpu_after - cpu_before
                sahod = figures(committed, arrivals_of(receiver_url), cpu)
                span = max(emitted.values()) - min(emitted.values())
                emit_rate = round(count / span, 1) if span else None
                print(f"   events committed at {emit_rate or 0:,.0f}/s", flush=True)
                print(f"   sahod worker: {sahod.per_second:,.0f}/s", flush=True)

                # The ceilings: the same body; in the burst and the backlog all ready at once,
                # in the paced run each released at the instant its event was committed.
                body = sample_body(url)
                first = min(committed.values())
                loops: dict[str, Figures] = {}
                # httpx, a reference only, in one backlog round: it is slower than the worker.
                repeated = phase == "backlog" and name not in ("backlog", "backlog 1")
                clients = ("aiohttp",) if repeated else LOOP_CLIENTS
                for client in clients:
                    release = [
                        (f"ceiling-{client}-{name}-{i}", at if rate else first)
                        for i, at in enumerate(committed.values())
                    ]
                    released, loop_cpu = in_a_fresh_process(
                        f"{receiver_url}/hook", release, body, args.concurrency, client
                    )
                    total += len(released)
                    wait_received(receiver_url, total, 600)
                    loops[client] = figures(released, arrivals_of(receiver_url), loop_cpu)
                    print(
                        f"   plain loop ({client}): {loops[client].per_second:,.0f}/s", flush=True
                    )
                results[name] = Phase(
                    rate=rate,
                    emitted_per_second=emit_rate,
                    sahod=sahod,
                    ceiling=loops["aiohttp"],
                    httpx_ceiling=loops.get("httpx"),
                )
        states = delivery_states(url)

    headers = ["run", "events", "received", "per s", "p50 ms", "p99 ms", "max ms", "CPU"]
    rows = []
    for phase, found in results.items():
        rows.append(found.sahod.row(f"{phase}: sahod worker"))
        rows.append(found.ceiling.row(f"{phase}: plain POST loop, aiohttp"))
        if found.httpx_ceiling is not None:
            rows.append(found.httpx_ceiling.row(f"{phase}: plain POST loop, httpx (reference)"))
    print()
    print(render_table(headers, rows))
    print(
        "\nlatency: event commit (for the loop: its release; in the burst, all at the start;"
        " in the backlog, the worker's resume) → receipt at the receiver."
        "\nCPU: cores the sending process used (worker, or the loop's process)."
        f"\ndeliveries in the database: {states}"
    )
    for phase, found in results.items():
        ratios = found.ratios()
        print(
            f"{phase}: worker / aiohttp loop = {ratios['vsAiohttpLoop']}"
            + (
                f", worker / httpx loop = {ratios['vsHttpxLoop']} (reference)"
                if ratios["vsHttpxLoop"] is not None
                else ""
            )
        )
    backlog = backlog_summary(results)
    print(
        f"backlog, median of {backlog['rounds']} rounds: worker {backlog['sahodPerSecond']:,.0f}/s,"
        f" aiohttp loop {backlog['plainLoopPerSecond']:,.0f}/s,"
        f" worker / aiohttp loop = {backlog['ratio']}"
    )
    report = {
        "benchmark": "webhooks",
        "quick": args.quick,
        "measuredAt": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": describe_url(url),
        "workerConcurrency": args.concurrency,
        "eventsPerTransaction": {"burst": BATCH, "paced": 1},
        "warmupEvents": WARMUP_EVENTS,
        "deliveries": states,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "runs": {
            phase: {
                "offeredRatePerSecond": found.rate,
                "committedPerSecond": found.emitted_per_second,
                "sahod": asdict(found.sahod),
                "plainLoopAiohttp": asdict(found.ceiling),
                "plainLoopHttpx": asdict(found.httpx_ceiling) if found.httpx_ceiling else None,
                "ratio": found.ratios(),
            }
            for phase, found in results.items()
        },
        "backlog": backlog,
    }
    json_path.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nfigures in {json_path}")
    delivered = WARMUP_EVENTS + (1 + args.backlog_rounds) * events + paced_events
    if states.get("SUCCEEDED") != delivered or states["attempts"] != delivered:
        print(f"warning: expected {delivered} deliveries succeeding at the first attempt")
    duplicates = sum(
        r.sahod.duplicates
        + r.ceiling.duplicates
        + (r.httpx_ceiling.duplicates if r.httpx_ceiling else 0)
        for r in results.values()
    )
    if duplicates:
        print(f"note: {duplicates} duplicate receipts (delivery is at least once)")


if __name__ == "__main__":
    main()
