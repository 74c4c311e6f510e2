"""What the tenant API's rate limit costs per request: the one counting statement
(upsert of the address's window and read of its failed-authentication count) timed
sequentially and with concurrent requests, on a migrated scratch database.

    .venv/bin/python bench/rate_limit.py [postgresql://…/sahod_bench_limits] [--requests N]

A benchmark prints figures; it is not a timed test.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text

from bench._common import ensure_database, with_database_name
from sahod import migrate
from sahod.db import create_engine
from sahod.limits.service import Counters, Limit

IP = Limit("ip", 20, 1)
FAILURES = Limit("auth-failures", 10, 60)


async def measure(url: str, requests: int, concurrency: int, *, baseline: bool) -> list[float]:
    """Microseconds per rate-limit check (or, with ``baseline``, per ``SELECT 1`` through
    the same autocommit pool: the round trip any statement costs)."""
    engine = create_engine(url, pool_size=max(2, concurrency))
    counters = Counters(engine)
    plain = engine.execution_options(isolation_level="AUTOCOMMIT")
    timings: list[float] = []

    async def one(n: int) -> None:
        address = f"198.51.100.{n % 200}"
        started = time.perf_counter()
        if baseline:
            async with plain.connect() as connection:
                await connection.execute(text("SELECT 1"))
        else:
            await counters.count([(f"ip:{address}", IP)], [(f"authfail:{address}", FAILURES)])
        timings.append((time.perf_counter() - started) * 1e6)

    try:
        for n in range(50):  # warm the pool and the plan
            await one(n)
        timings.clear()
        queue = iter(range(requests))

        async def worker() -> None:
            for n in queue:
                await one(n)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    finally:
        await engine.dispose()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    default = with_database_name(
        os.environ.get("SAHOD_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
        "sahod_bench_limits",
    )
    parser.add_argument("url", nargs="?", default=default)
    parser.add_argument("--requests", type=int, default=3000)
    args = parser.parse_args()
    ensure_database(args.url)
    migrate.upgrade(args.url)
    for concurrency in (1, 8):
        for baseline in (True, False):
            timings = sorted(
                asyncio.run(measure(args.url, args.requests, concurrency, baseline=baseline))
            )
            p50 = statistics.median(timings)
            p99 = timings[int(len(timings) * 0.99) - 1]
            what = "SELECT 1 (baseline)" if baseline else "rate-limit check"
            print(
                f"{what}, concurrency {concurrency}: p50 {p50:.0f} µs, "
                f"p99 {p99:.0f} µs, mean {statistics.fmean(timings):.0f} µs "
                f"over {len(timings)} requests"
            )


if __name__ == "__main__":
    main()
