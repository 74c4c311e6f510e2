"""How many full connector fetches per second one process completes against slow portals.

A full fetch is what a first connection does: log in, pass the one-time code step, read
every kind the provider supports (George on My.SSS: profile, employment, ten years of
contributions, three loans with their schedules, documents). The sandbox portals run in a
separate process on loopback with 100 ms of injected latency on every page, so the ideal
is latency-bound:

    ideal fetches/s = concurrency / (sequential round trips x 0.1 s)

"Sequential round trips" is the critical path of one fetch (requests that have to wait
for one another), measured from a traced fetch rather than assumed.

The connector's per-portal limit on requests in flight is sized to the load (6 pages per
fetch x concurrency) so that the table measures the connector, not its safety cap; the
last row repeats the highest level with Sahod's default cap of 50 to show what it costs.

A run starts with every worker's first fetch in lockstep (all log in at once, so the
client waits out each 100 ms together) and ends draining (the last fetches run with
fewer and fewer in flight): both leave the client idle for reasons that are the
benchmark's, not the connector's. The "steady" columns are the rate and the client's CPU
share between the moment the first ``concurrency`` fetches are done and the moment the
last fetch is handed out, while every worker is busy and out of step; with too few
fetches per worker that window is empty and they read "-".

The client's CPU is measured too (ms of CPU per fetch): one process on one core cannot
complete more than 1000 / cpu_ms_per_fetch fetches/s, so whichever of the two ceilings is
lower is the bound the table is judged against. Figures go to stdout and, as JSON, to
bench/out/connectors.json.

    .venv/bin/python bench/connectors.py [--rounds 5] [--levels 1,50,200]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import aiohttp
import httpx

if __package__ in (None, ""):  # run as a script: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import OUT_DIR, free_port
from sahod.kit import collector
from sahod.providers.base import Connector, Credentials, MfaChallenge, PortalSession
from sahod.providers.registry import create_connector

LATENCY_S = 0.1
PROVIDER = "sss"
USER = Credentials("gpalomero1234@smileapi.io", "123456")
PAGES_PER_FETCH_IN_FLIGHT = 6
DEFAULT_CAP = 50
DEFAULT_CAP_ROUNDS = 2
"""The default-cap row only shows what the cap costs: two rounds are plenty (and at
~23 fetches/s, five would take most of a minute)."""
STEADY_WINDOW_MIN_S = 1.0


def start_portals(port: int) -> subprocess.Popen[bytes]:
    code = f"from sahod.providers.sandbox import serve; serve('127.0.0.1', {port})"
    process = subprocess.Popen([sys.executable, "-c", code])
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/", timeout=0.5)
            return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the sandbox portals did not start")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process, from /proc (Linux); 0 elsewhere."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


async def full_fetch(connector: Connector) -> int:
    outcome = await connector.login(USER)
    if isinstance(outcome, MfaChallenge):
        outcome = await connector.submit_mfa(outcome.pending_state, "1234")
    assert isinstance(outcome, PortalSession)
    return len(await connector.fetch(outcome))


async def critical_path(base_url: str) -> tuple[int, int, int]:
    """(sequential round trips, requests, records) of one traced fetch."""
    spans: list[list[float]] = []

    async def sent(
        _session: aiohttp.ClientSession,
        context: SimpleNamespace,
        _params: aiohttp.TraceRequestStartParams,
    ) -> None:
        context.span = [time.perf_counter()]
        spans.append(context.span)

    async def answered(
        _session: aiohttp.ClientSession,
        context: SimpleNamespace,
        _params: aiohttp.TraceRequestEndParams,
    ) -> None:
        context.span.append(time.perf_counter())

    tracing = aiohttp.TraceConfig()
    tracing.on_request_start.append(sent)
    tracing.on_request_end.append(answered)
    async with aiohttp.ClientSession(
        cookie_jar=aiohttp.DummyCookieJar(), trace_configs=[tracing]
    ) as http:
        connector = create_connector(PROVIDER, base_url=base_url, client_session=http)
        records = await full_fetch(connector)
        await connector.aclose()
    intervals = sorted((s[0], s[1]) for s in spans)
    # Longest chain of requests each starting after the previous one ended.
    depth = [1] * len(intervals)
    for i, (start, _) in enumerate(intervals):
        for j in range(i):
            if intervals[j][1] <= start:
                depth[i] = max(depth[i], depth[j] + 1)
    return max(depth), len(intervals), records


@dataclass
class Level:
    concurrency: int
    cap: int
    fetches: int
    failures: int
    seconds: float
    latencies: list[float]
    client_cpu_seconds: float
    server_cpu_seconds: float
    steady_fetches: int
    steady_seconds: float
    steady_client_cpu_seconds: float

    @property
    def rate(self) -> float:
        return self.fetches / self.seconds

    @property
    def steady_rate(self) -> float | None:
        if self.steady_seconds < STEADY_WINDOW_MIN_S:
            return None
        return self.steady_fetches / self.steady_seconds

    @property
    def steady_client_share(self) -> float | None:
        if self.steady_seconds < STEADY_WINDOW_MIN_S:
            return None
        return self.steady_client_cpu_seconds / self.steady_seconds

    @property
    def cpu_ms_per_fetch(self) -> float:
        return 1000 * self.client_cpu_seconds / max(1, self.fetches)


async def run_level(
    base_url: str, concurrency: int, cap: int, fetches: int, server_pid: int
) -> Level:
    """``fetches`` full fetches by ``concurrency`` workers; throughput = fetches / elapsed.

    A fixed count rather than a time window: at high concurrency one fetch takes longer
    than any short window, and counting only what finishes inside it would read zero.
    """
    # One connector for the provider, as a sync worker holds: its own HTTP pools and its
    # per-portal limit on requests in flight, shared by every fetch.
    connector = create_connector(PROVIDER, base_url=base_url, max_concurrency=cap, timeout=60)
    latencies: list[float] = []
    finished: list[float] = []
    failures = 0
    remaining = fetches
    # (monotonic time, client CPU) when the first round is done and when the last
    # fetch is handed out: the steady window.
    first_round_done: tuple[float, float] | None = None
    last_handed_out: tuple[float, float] | None = None

    async def worker() -> None:
        nonlocal failures, remaining, first_round_done, last_handed_out
        while remaining > 0:
            remaining -= 1
            if remaining == 0:
                last_handed_out = (time.monotonic(), time.process_time())
            started = time.monotonic()
            try:
                await full_fetch(connector)
            except Exception:
                failures += 1
                continue
            ended = time.monotonic()
            latencies.append(ended - started)
            finished.append(ended)
            if len(finished) == concurrency:
                first_round_done = (ended, time.process_time())

    cpu0, server0 = time.process_time(), cpu_seconds(server_pid)
    began = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    wall = time.monotonic() - began
    cpu, server = time.process_time() - cpu0, cpu_seconds(server_pid) - server0
    await connector.aclose()
    steady_fetches, steady_seconds, steady_cpu = 0, 0.0, 0.0
    if first_round_done is not None and last_handed_out is not None:
        (t_a, cpu_a), (t_b, cpu_b) = first_round_done, last_handed_out
        steady_fetches = sum(1 for t in finished if t_a < t <= t_b)
        steady_seconds, steady_cpu = max(0.0, t_b - t_a), cpu_b - cpu_a
    return Level(
        concurrency,
        cap,
        len(latencies),
        failures,
        wall,
        latencies,
        cpu,
        server,
        steady_fetches,
        steady_seconds,
        steady_cpu,
    )


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def write_report(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


class RetriedRequests(logging.Handler):
    """Counts the connector's warnings (timeouts, transport errors): each is a retried
    request that a fetch survived, invisible in the error column."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.seen: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        self.seen[record.getMessage().split(" ", 3)[-1]] += 1


async def main(rounds: int, levels: list[int], json_path: Path) -> None:
    port = free_port()
    server = start_portals(port)
    base_url = f"http://127.0.0.1:{port}"
    retried = RetriedRequests()
    providers_log = logging.getLogger("sahod.providers")
    providers_log.addHandler(retried)
    providers_log.propagate = False
    try:
        async with httpx.AsyncClient(base_url=base_url) as admin:
            (await admin.put(f"/{PROVIDER}/_faults", json={"latency_ms": 100})).raise_for_status()
        round_trips, requests, records = await critical_path(base_url)
        # The collector as the job worker sets it (sahod worker), whose connectors these are.
        collector.settle_after_start_up()
        load = os.getloadavg()[0]
        print(
            f"My.SSS, George: one full fetch = {requests} requests, {round_trips} sequential "
            f"round trips, {records} records; {LATENCY_S * 1000:.0f} ms injected latency per "
            f"page; {os.cpu_count()} CPUs, load average {load:.1f} at start\n"
        )
        header = (
            f"{'concurrency':>11} {'cap':>5} {'fetches':>7} {'fetch/s':>8} {'ideal/s':>8} "
            f"{'ratio':>6} {'p50 s':>6} {'p95 s':>6} {'errors':>6} {'client CPU':>10} "
            f"{'CPU ms/fetch':>12} {'CPU ceil/s':>10} {'bound':>7} {'of bound':>8} "
            f"{'portal CPU':>10} {'steady/s':>8} {'ratio':>6} {'client CPU':>10}"
        )
        print(header)
        print("-" * len(header))
        runs = [(c, max(DEFAULT_CAP, PAGES_PER_FETCH_IN_FLIGHT * c), rounds) for c in levels]
        runs.append((levels[-1], DEFAULT_CAP, min(rounds, DEFAULT_CAP_ROUNDS)))
        rows: list[dict[str, object]] = []
        for concurrency, cap, per_worker in runs:
            count = max(10, per_worker * concurrency)
            level = await run_level(base_url, concurrency, cap, count, server.pid)
            ideal = concurrency / (round_trips * LATENCY_S)
            # One core's worth of the client's CPU: the most one process can complete.
            cpu_ceiling = 1000 / level.cpu_ms_per_fetch if level.cpu_ms_per_fetch else ideal
            bound, ceiling = ("latency", ideal) if ideal <= cpu_ceiling else ("CPU", cpu_ceiling)
            client_share = level.client_cpu_seconds / level.seconds
            portal_share = level.server_cpu_seconds / level.seconds
            steady, steady_share = level.steady_rate, level.steady_client_share
            steady_text = (
                f"{steady:>8.1f} {steady / ideal:>6.2f} {steady_share or 0:>10.0%}"
                if steady is not None
                else f"{'-':>8} {'-':>6} {'-':>10}"
            )
            print(
                f"{concurrency:>11} {cap:>5} {level.fetches:>7} {level.rate:>8.1f} {ideal:>8.1f} "
                f"{level.rate / ideal:>6.2f} {percentile(level.latencies, 0.5):>6.2f} "
                f"{percentile(level.latencies, 0.95):>6.2f} {level.failures:>6} "
                f"{client_share:>10.0%} {level.cpu_ms_per_fetch:>12.2f} {cpu_ceiling:>10.1f} "
                f"{bound:>7} {level.rate / ceiling:>8.2f} {portal_share:>10.0%} {steady_text}",
                flush=True,
            )
            rows.append(
                {
                    "concurrency": concurrency,
                    "cap": cap,
                    "fetches": level.fetches,
                    "failures": level.failures,
                    "seconds": round(level.seconds, 3),
                    "fetches_per_second": round(level.rate, 2),
                    "ideal_per_second": round(ideal, 2),
                    "ratio_to_ideal": round(level.rate / ideal, 3),
                    "p50_seconds": round(percentile(level.latencies, 0.5), 3),
                    "p95_seconds": round(percentile(level.latencies, 0.95), 3),
                    "client_cpu_share": round(client_share, 3),
                    "client_cpu_ms_per_fetch": round(level.cpu_ms_per_fetch, 3),
                    "cpu_ceiling_per_second": round(cpu_ceiling, 2),
                    "bound": bound,
                    "ratio_to_bound": round(level.rate / ceiling, 3),
                    "portal_cpu_share": round(portal_share, 3),
                    "steady_fetches": level.steady_fetches,
                    "steady_seconds": round(level.steady_seconds, 3),
                    "steady_fetches_per_second": round(steady, 2) if steady else None,
                    "steady_ratio_to_ideal": round(steady / ideal, 3) if steady else None,
                    "steady_client_cpu_share": (
                        round(steady_share, 3) if steady_share is not None else None
                    ),
                }
            )
        async with httpx.AsyncClient(base_url=base_url) as admin:
            stats = (await admin.get(f"/{PROVIDER}/_stats")).json()
        unusual = {
            k: v
            for k, v in stats.items()
            if k.startswith("status_") and k not in ("status_200", "status_303")
        }
        print(f"\nportal answers other than 200/303: {json.dumps(unusual) if unusual else 'none'}")
        print(
            "requests retried after a timeout or transport error: "
            f"{json.dumps(dict(retried.seen)) if retried.seen else 'none'}"
        )
        report = (
            json.dumps(
                {
                    "benchmark": "connectors",
                    "at": datetime.now(UTC).isoformat(timespec="seconds"),
                    "provider": PROVIDER,
                    "requests_per_fetch": requests,
                    "sequential_round_trips": round_trips,
                    "records_per_fetch": records,
                    "latency_ms": LATENCY_S * 1000,
                    "cpus": os.cpu_count(),
                    "load_average_at_start": round(load, 2),
                    "levels": rows,
                    "portal_answers_other_than_200_303": unusual,
                    "retried_requests": dict(retried.seen),
                },
                indent=2,
            )
            + "\n"
        )
        await asyncio.to_thread(write_report, json_path, report)
        print(f"figures written to {json_path}")
    finally:
        providers_log.removeHandler(retried)
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--rounds",
        type=int,
        default=5,
        help="fetches per worker at each level (at least 10 in all)",
    )
    parser.add_argument("--levels", default="1,50,200", help="concurrency levels")
    parser.add_argument("--json", type=Path, default=OUT_DIR / "connectors.json")
    args = parser.parse_args()
    levels = [int(x) for x in args.levels.split(",")]
    try:
        import uvloop

        runner = asyncio.Runner(loop_factory=uvloop.new_event_loop)
    except ImportError:
        runner = asyncio.Runner()
    with runner:
        runner.run(main(args.rounds, levels, args.json))
