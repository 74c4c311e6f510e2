"""A chaos run: accounts link and webhooks are delivered while everything they depend on
fails in turn. Nothing may be lost.

On a PRIVATE PostgreSQL (initdb/pg_ctl in a temp dir on a free port; the shared server is
never touched), with `sahod serve` (its job worker a supervised child process), the
standalone `sahod sandbox-portals` and a webhook receiver in this process, all on
127.0.0.1, while ACCOUNTS accounts link (the no-code persona, spread over the four
portals) and EVENTS webhook events are emitted:

* PostgreSQL is restarted twice (down 2 s each time);
* the job worker is SIGKILLed three times (serve restarts it);
* the receiver is stopped for a minute (closed socket: connection refused);
* one portal (SSS) is in maintenance for a minute (503 on every page).

Then it waits (bounded) until every account is CONNECTED or in an honest ERROR and every
event has reached the receiver, and prints, and writes to bench/out/chaos.json: accounts
lost, events lost, duplicate deliveries, the longest stall (the longest gap between two
deliveries while some were still due) and each component's recovery time.

    .venv/bin/python bench/chaos.py            # 200 accounts, 5,000 events
    .venv/bin/python bench/chaos.py --quick    # 40 accounts, 1,000 events, 20 s outages
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import platform
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg

if __package__ in (None, ""):  # run as a script: make `bench` and `tests` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import itertools

from tests.e2e.private_postgres import PrivatePostgres, start_private_postgres
from tests.e2e.server import children_of
from tests.webhooks.receiver import Receiver

from bench._common import OUT_DIR, free_port
from sahod.config import Settings
from sahod.db import session_scope
from sahod.events.service import emit
from sahod.runtime import open_runtime

PROVIDERS = ("sss", "gsis", "philhealth", "pagibig")
PERSONA = ("nomfa@sahod.test", "sandbox1")
TERMINAL = ("CONNECTED", "ERROR")


@dataclass
class Timeline:
    started: float = field(default_factory=time.monotonic)
    marks: list[tuple[float, str]] = field(default_factory=list)

    def now(self) -> float:
        return time.monotonic() - self.started

    def mark(self, what: str) -> None:
        self.marks.append((self.now(), what))
        print(f"[{self.now():6.1f} s] {what}", flush=True)


class ThreadedReceiver:
    """tests.webhooks.receiver.Receiver on a loop of its own thread, with stop/start."""

    def __init__(self, port: int) -> None:
        self.receiver = Receiver(port=port)
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        self.call(self.receiver.start())

    def call(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(30)

    def stop(self) -> None:
        self.call(self.receiver.stop())

    def start(self) -> None:
        self.call(self.receiver.start())

    def arrivals(self) -> list[tuple[str, float]]:
        return [(r.event_id, r.at) for r in list(self.receiver.received)]


def sahod_env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAHOD_")}
    return env | {"PYTHONUNBUFFERED": "1"} | extra


def worker_pid(serve_pid: int) -> int | None:
    for pid, command in children_of(serve_pid).items():
        if "sahod.cli worker" in command:
            return pid
    return None


async def retrying(call: Any, *, until: float = 120) -> httpx.Response:
    """What an honest client does with 503 and connection errors: wait and try again."""
    deadline = time.monotonic() + until
    while True:
        try:
            response: httpx.Response = await call()
            if response.status_code not in (502, 503, 504):
                return response
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("the API did not answer within the bound")
        await asyncio.sleep(0.5)


async def link_accounts(base_url: str, auth: tuple[str, str], count: int) -> list[str]:
    ids: list[str] = []
    limits = httpx.Limits(max_connections=20)
    async with httpx.AsyncClient(base_url=base_url, auth=auth, timeout=30, limits=limits) as api:

        async def one(index: int) -> None:
            user = await retrying(lambda: api.post("/v1/users"))
            link_token = user.json()["data"]["token"]["accessToken"]
            # As the widget does: the link token opens one session, which the Link API takes.
            opened = await retrying(
                lambda: api.post(
                    "/link/v1/session",
                    headers={"Authorization": f"Bearer {link_token}"},
                    auth=None,  # type: ignore[arg-type]
                )
            )
            token = opened.json()["data"]["sessionToken"]
            created = await retrying(
                lambda: api.post(
                    "/link/v1/accounts",
                    headers={"Authorization": f"Bearer {token}"},
                    auth=None,  # type: ignore[arg-type]
                    json={
                        "providerId": PROVIDERS[index % len(PROVIDERS)],
                        "consent": True,
                        "credentials": {"username": PERSONA[0], "password": PERSONA[1]},
                    },
                )
            )
            assert created.status_code == 201, created.text
            ids.append(created.json()["data"]["id"])

        for start in range(0, count, 20):  # arrivals spread over the run, 20 at a time
            await asyncio.gather(*(one(i) for i in range(start, min(count, start + 20))))
            await asyncio.sleep(1.0)
    return ids


async def emit_events(url: str, settings: Settings, tenant_id: str, count: int) -> list[str]:
    """Events emitted in transactions of 25 over the run; only committed ones count."""
    emitted: list[str] = []
    while len(emitted) < count:
        try:
            async with open_runtime(settings, database_url=url, run_migrations=False) as rt:
                while len(emitted) < count:
                    async with session_scope(rt.session_factory) as session:
                        batch = []
                        for n in range(len(emitted), min(count, len(emitted) + 25)):
                            event = await emit(
                                session, tenant_id, "USER_CREATED", {"userId": f"c{n}"},
                                rt.clock.now(),
                            )  # fmt: skip
                            batch.append(event.id)
                    emitted += batch
                    await asyncio.sleep(0.05)
        except Exception as error:  # the database restarting under us: try again
            print(f"   emitter: {type(error).__name__}; retrying", flush=True)
            await asyncio.sleep(1)
    return emitted


def account_states(postgres: PrivatePostgres, ids: list[str]) -> Counter[str]:
    with psycopg.connect(postgres.url) as conn:
        rows = conn.execute(
            "SELECT connection_status, coalesce(error_code, '') FROM accounts WHERE id = ANY(%s)",
            (ids,),
        ).fetchall()
    states: Counter[str] = Counter()
    for status, code in rows:
        states[f"{status} {code}".strip()] += 1
    states["MISSING"] = len(ids) - len(rows)
    return states


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--accounts", type=int)
    parser.add_argument("--events", type=int)
    parser.add_argument("--bound", type=float, default=540, help="seconds the run may take")
    args = parser.parse_args()
    accounts = args.accounts or (40 if args.quick else 200)
    events = args.events or (1_000 if args.quick else 5_000)
    outage = 20.0 if args.quick else 60.0
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    timeline = Timeline()
    postgres = start_private_postgres()
    timeline.mark(f"private PostgreSQL on port {postgres.port}")
    data_dir = Path(tempfile.mkdtemp(prefix="sahod-chaos-"))
    sealing_key = base64.b64encode(secrets.token_bytes(32)).decode()
    portals_port, api_port, receiver_port = free_port(), free_port(), free_port()
    common = {
        "SAHOD_DATABASE_URL": postgres.url,
        "SAHOD_DATA_DIR": str(data_dir),
        "SAHOD_SEALING_KEY": sealing_key,
        "SAHOD_LOG_LEVEL": "WARNING",
    }
    processes: list[subprocess.Popen[bytes]] = []
    logs = (OUT_DIR / "chaos_serve.log").open("wb")
    try:
        portals = subprocess.Popen(
            [sys.executable, "-m", "sahod.cli", "sandbox-portals", "--port", str(portals_port)],
            env=sahod_env({}),
            stdout=logs,
            stderr=subprocess.STDOUT,
        )
        processes.append(portals)
        keys = json.loads(
            subprocess.run(
                [sys.executable, "-m", "sahod.cli", "tenants", "create", "Chaos", "--json"],
                env=sahod_env(common),
                capture_output=True,
                text=True,
                check=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        serve = subprocess.Popen(
            [sys.executable, "-m", "sahod.cli", "serve", "--port", str(api_port)],
            env=sahod_env(
                common
                | {
                    "SAHOD_PORTAL_BASE_URL": f"http://127.0.0.1:{portals_port}",
                    "SAHOD_WEBHOOK_ALLOWED_NETWORKS": '["127.0.0.0/8"]',
                    # One client address sends every burst: the abuse limits would answer
                    # 429, which is not what this run measures.
                    "SAHOD_RATE_LIMIT_PER_IP": "0",
                    "SAHOD_AUTH_FAILURES_PER_MINUTE": "0",
                    "SAHOD_LINK_ACCOUNTS_PER_TOKEN_HOUR": "0",
                    "SAHOD_LINK_ACCOUNTS_PER_USER_DAY": "0",
                    "SAHOD_WEBHOOK_RETRY_SCHEDULE": "[1, 2, 4, 8, 15, 30, 30, 30, 30, 30]",
                    "SAHOD_WORKER_HEARTBEAT_SECONDS": "1",
                    "SAHOD_STALLED_AFTER_SECONDS": "5",
                    "SAHOD_STALLED_CHECK_SECONDS": "2",
                    "SAHOD_RETRY_BASE_SECONDS": "1",
                    "SAHOD_LINK_RETRY_MAX_WAIT_SECONDS": "10",
                    "SAHOD_WORKER_RESTART_MAX_SECONDS": "2",
                }
            ),
            stdout=logs,
            stderr=subprocess.STDOUT,
        )
        processes.append(serve)
        base_url = f"http://127.0.0.1:{api_port}"
        receiver = ThreadedReceiver(receiver_port)
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{base_url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or serve.poll() is not None:
                raise RuntimeError("sahod serve did not get ready; see bench/out/chaos_serve.log")
            time.sleep(0.3)
        auth = (keys["apiKey"], keys["apiSecret"])
        webhook = httpx.post(
            f"{base_url}/v1/webhooks",
            auth=auth,
            json={"name": "chaos", "url": f"http://127.0.0.1:{receiver_port}/hook",
                  "eventTypes": ["ALL_EVENTS"], "active": True,
                  "secret": "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()},
        )  # fmt: skip
        assert webhook.status_code in (200, 201), webhook.text
        timeline.mark("serve ready, webhook created; traffic starts")

        recovery: dict[str, list[float]] = {}
        settings = Settings(database_url=postgres.url, data_dir=data_dir, sealing_key=sealing_key)

        def api_answers() -> bool:
            try:
                return httpx.get(f"{base_url}/v1/accounts", auth=auth, timeout=3).status_code == 200
            except httpx.HTTPError:
                return False

        def wait_recovered(name: str, since: float, check: Any, bound: float = 120) -> None:
            while not check():
                if time.monotonic() - since > bound:
                    recovery.setdefault(name, []).append(float("inf"))
                    return
                time.sleep(0.1)
            recovery.setdefault(name, []).append(round(time.monotonic() - since, 2))

        def nothing_due() -> bool:
            try:
                with psycopg.connect(postgres.url, connect_timeout=2) as conn:
                    row = conn.execute(
                        "SELECT count(*) FROM webhook_deliveries WHERE status = 'PENDING'"
                    ).fetchone()
                return row is not None and row[0] == 0
            except psycopg.Error:
                return False

        def wait_deliveries(name: str, since: float, moment: float) -> None:
            # With nothing left to deliver there is no recovery to time: say so (None), not
            # a wait until the bound.
            if nothing_due():
                recovery.setdefault(name, []).append(None)  # type: ignore[arg-type]
                return
            wait_recovered(name, since, delivered_after(moment))

        def delivered_after(moment: float) -> Any:
            return lambda: any(at > moment for _, at in receiver.arrivals()[-50:])

        def restart_postgres() -> None:
            timeline.mark("PostgreSQL restart")
            postgres.restart(down_seconds=2)
            back = time.monotonic()
            wait_recovered("api after PostgreSQL restart", back, api_answers)
            wall = time.time()
            wait_deliveries("deliveries after PostgreSQL restart", back, wall)

        def kill_worker() -> None:
            pid = worker_pid(serve.pid)
            if pid is None:
                return
            timeline.mark(f"SIGKILL job worker {pid}")
            os.kill(pid, signal.SIGKILL)
            killed, wall = time.monotonic(), time.time()

            def replaced() -> bool:
                return worker_pid(serve.pid) not in (None, pid)

            wait_recovered("worker process restarted", killed, replaced)
            wait_deliveries("deliveries after worker kill", killed, wall)

        def receiver_outage() -> None:
            timeline.mark(f"receiver down for {outage:.0f} s")
            receiver.stop()
            time.sleep(outage)
            receiver.start()
            timeline.mark("receiver back")
            back, wall = time.monotonic(), time.time()
            wait_recovered("deliveries after receiver outage", back, delivered_after(wall))

        def portal_outage() -> None:
            faults = f"http://127.0.0.1:{portals_port}/sss/_faults"
            timeline.mark(f"SSS portal in maintenance for {outage:.0f} s")
            httpx.put(faults, json={"maintenance": True}, timeout=10)
            time.sleep(outage)
            httpx.put(faults, json={"maintenance": False}, timeout=10)
            timeline.mark("SSS portal back")

        schedule = [
            (8, restart_postgres),
            (15, kill_worker),
            (20, lambda: threading.Thread(target=receiver_outage, daemon=True).start()),
            (22, lambda: threading.Thread(target=portal_outage, daemon=True).start()),
            (35, kill_worker),
            (45, restart_postgres),
            (60, kill_worker),
        ]

        traffic_started = timeline.now()  # the schedule counts from here

        def chaos() -> None:
            for at, action in schedule:
                time.sleep(max(0.0, traffic_started + at - timeline.now()))
                action()

        chaos_thread = threading.Thread(target=chaos, daemon=True)
        chaos_thread.start()

        async def traffic() -> tuple[list[str], list[str]]:
            linked, emitted = await asyncio.gather(
                link_accounts(base_url, auth, accounts),
                emit_events(postgres.url, settings, keys["tenantId"], events),
            )
            return linked, emitted

        account_ids, event_ids = asyncio.run(traffic())
        timeline.mark(f"traffic done: {len(account_ids)} accounts, {len(event_ids)} events")
        chaos_thread.join(300)

        # Wait (bounded) for the end state.
        with psycopg.connect(postgres.url) as conn:
            all_events = {
                row[0] for row in conn.execute(
                    "SELECT id FROM events WHERE tenant_id = %s", (keys["tenantId"],)
                )
            }  # fmt: skip
        end_by = timeline.started + args.bound
        while time.monotonic() < end_by:
            states = account_states(postgres, account_ids)
            settled = sum(n for s, n in states.items() if s.split()[0] in TERMINAL)
            received = {event_id for event_id, _ in receiver.arrivals()}
            with psycopg.connect(postgres.url) as conn:
                all_events = {
                    row[0] for row in conn.execute(
                        "SELECT id FROM events WHERE tenant_id = %s", (keys["tenantId"],)
                    )
                }  # fmt: skip
            if settled == len(account_ids) and all_events <= received:
                break
            time.sleep(2)
        timeline.mark("end state reached" if time.monotonic() < end_by else "bound reached")
    finally:
        for process in reversed(processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(40)
                except subprocess.TimeoutExpired:
                    process.kill()
        logs.close()

    arrivals = receiver.arrivals()
    counts = Counter(event_id for event_id, _ in arrivals)
    received = set(counts)
    # A stall is time in which no event reached the receiver for the first time although
    # some had not yet: gaps between first arrivals (a duplicate is no progress, and the
    # quiet after the last event is no stall).
    first_arrival: dict[str, float] = {}
    for event_id, at in arrivals:
        first_arrival[event_id] = min(at, first_arrival.get(event_id, at))
    times = sorted(first_arrival.values())
    gaps = [b - a for a, b in itertools.pairwise(times)]
    states = account_states(postgres, account_ids)
    postgres.destroy()
    result = {
        "machine": platform.platform(),
        "accounts": len(account_ids),
        "account_states": dict(states),
        "accounts_lost": len(account_ids)
        - sum(n for s, n in states.items() if s.split()[0] in TERMINAL),
        "events": len(all_events),
        "events_emitted_by_the_script": len(event_ids),
        "events_lost": len(all_events - received),
        "duplicate_deliveries": sum(n - 1 for n in counts.values() if n > 1),
        "longest_stall_seconds": round(max(gaps, default=0.0), 2),
        "recovery_seconds": recovery,
        "timeline": [(round(at, 1), what) for at, what in timeline.marks],
        "total_seconds": round(timeline.now(), 1),
    }
    print(json.dumps({k: v for k, v in result.items() if k != "timeline"}, indent=2))
    (OUT_DIR / ("chaos_quick.json" if args.quick else "chaos.json")).write_text(
        json.dumps(result, indent=2) + "\n"
    )


if __name__ == "__main__":
    main()
