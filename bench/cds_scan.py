"""The Continuous Data Sync scan: find and queue one day's due accounts among a million.

Fills a database with accounts whose next sync is spread evenly over a month, then runs the
real scan (`sahod.cds.tasks.scan_due_accounts`, the code the periodic task runs) for the end of
one day, and prints how long it took to claim those accounts, move each to next month and
queue its job. The same is measured on a table of 30,000 accounts, to show that the cost per
due account does not grow with the number of accounts.

    python bench/cds_scan.py [--accounts 1000000] [--refill]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import secrets
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import OUT_DIR, ensure_database, render_table, with_database_name
from sahod.cds.tasks import scan_due_accounts
from sahod.config import Settings
from sahod.db import libpq_url
from sahod.migrate import upgrade
from sahod.runtime import open_runtime

MONTH_START = datetime(2026, 11, 1, tzinfo=UTC)
SCANNED_DAY_END = MONTH_START + timedelta(days=1)  # one day's accounts are due
ACCOUNTS_PER_USER = 5


def fill(url: str, accounts: int) -> float:
    """Tenant, users and connected accounts with next syncs spread over 30 days."""
    started = time.monotonic()
    users = accounts // ACCOUNTS_PER_USER
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        conn.execute("TRUNCATE tenants, procrastinate_jobs CASCADE")
        conn.execute("INSERT INTO tenants (id, name, mode) VALUES ('bench', 'bench', 'SANDBOX')")
        conn.execute(
            """
            INSERT INTO users (id, tenant_id, external_metadata, created_at)
            SELECT 'bench-' || lpad(n::text, 32, '0'), 'bench', '{}', %s
            FROM generate_series(1, %s) n""",
            (MONTH_START, users),
        )
        # next_sync_at: n-th account at n/accounts of the way through the month, so one
        # day holds 1/30 of them; the original value is kept to reset between runs.
        conn.execute(
            """
            INSERT INTO accounts (id, tenant_id, user_id, provider_id, login_name, created_at,
                connection_status, connection_updated_at, monitor_status, monitor_updated_at,
                sync_day, next_sync_at)
            SELECT 'a-' || lpad(n::text, 32, '0'), 'bench',
                   'bench-' || lpad((1 + (n - 1) / %(per)s)::text, 32, '0'),
                   (ARRAY['sss','gsis','philhealth','pagibig'])[1 + n %% 4], 'member',
                   %(start)s, 'CONNECTED', %(start)s,
                   CASE WHEN n %% 50 = 0 THEN 'CUSTOMER_DISABLED' ELSE 'ACTIVE' END,
                   %(start)s, 1 + ((n * 30) / %(total)s),
                   %(start)s + ((n::float / %(total)s) * interval '30 days')
            FROM generate_series(1, %(total)s) n""",
            {"per": ACCOUNTS_PER_USER, "start": MONTH_START, "total": accounts},
        )
        conn.execute("DROP TABLE IF EXISTS bench_cds_original")
        conn.execute("CREATE TABLE bench_cds_original AS SELECT id, next_sync_at FROM accounts")
        conn.execute("ALTER TABLE bench_cds_original ADD PRIMARY KEY (id)")
        conn.execute("VACUUM ANALYZE accounts")
    return time.monotonic() - started


def reset(url: str) -> None:
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        conn.execute("DELETE FROM procrastinate_jobs")
        conn.execute("""UPDATE accounts a SET next_sync_at = o.next_sync_at
                        FROM bench_cds_original o
                        WHERE o.id = a.id AND a.next_sync_at IS DISTINCT FROM o.next_sync_at""")
        conn.execute("VACUUM ANALYZE accounts")


def filled(url: str, accounts: int) -> bool:
    with psycopg.connect(libpq_url(url)) as conn:
        try:
            row = conn.execute("SELECT count(*) FROM bench_cds_original").fetchone()
        except psycopg.errors.UndefinedTable:
            return False
    return row is not None and row[0] == accounts


def plan(url: str) -> str:
    with psycopg.connect(libpq_url(url)) as conn:
        rows = conn.execute(
            """
            EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF)
            SELECT id, sync_day, next_sync_at FROM accounts
            WHERE next_sync_at <= %s AND connection_status = 'CONNECTED'
              AND monitor_status = 'ACTIVE'
            ORDER BY next_sync_at LIMIT 1000 FOR UPDATE SKIP LOCKED""",
            (SCANNED_DAY_END,),
        ).fetchall()
    return "\n".join("    " + row[0] for row in rows)


async def run_scan(url: str) -> tuple[int, float, int]:
    settings = Settings(
        database_url=url,
        run_worker=False,
        data_dir=OUT_DIR / "server-data",
        sealing_key=base64.b64encode(secrets.token_bytes(32)).decode(),
    )
    async with open_runtime(settings, database_url=url, run_migrations=False) as runtime:
        started = time.monotonic()
        queued = await scan_due_accounts(runtime, SCANNED_DAY_END)
        elapsed = time.monotonic() - started
    with psycopg.connect(libpq_url(url)) as conn:
        row = conn.execute(
            "SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'sync.start_update'"
        ).fetchone()
    return queued, elapsed, int(row[0]) if row else 0


def measure(server_url: str, accounts: int, refill: bool) -> dict[str, object]:
    url = with_database_name(server_url, f"sahod_bench_cds_{accounts}")
    ensure_database(url)
    upgrade(url)
    fill_seconds = None
    if refill or not filled(url, accounts):
        fill_seconds = fill(url, accounts)
    else:
        reset(url)
    queued, elapsed, jobs = asyncio.run(run_scan(url))
    again, elapsed_again, _ = asyncio.run(run_scan(url))  # the same day: nothing more is due
    return {
        "accounts": accounts,
        "due_queued": queued,
        "jobs": jobs,
        "seconds": elapsed,
        "per_account_ms": 1000 * elapsed / max(queued, 1),
        "accounts_per_second": queued / elapsed if elapsed else 0.0,
        "rescan_queued": again,
        "rescan_ms": 1000 * elapsed_again,
        "fill_seconds": fill_seconds,
        "plan": plan(url),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=30_000)
    parser.add_argument("--refill", action="store_true")
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "SAHOD_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
    )
    args = parser.parse_args()
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    results = [measure(args.database_url, n, args.refill) for n in (args.small, args.accounts)]
    rows = [
        [
            f"{r['accounts']:,}",
            f"{r['due_queued']:,}",
            f"{r['seconds']:.2f}",
            f"{r['accounts_per_second']:,.0f}",
            f"{r['per_account_ms']:.3f}",
            f"{r['rescan_queued']}",
            f"{r['rescan_ms']:.1f}",
        ]
        for r in results
    ]
    print()
    print(
        "one day's due accounts (next syncs spread over 30 days; 2% customer-disabled), "
        "claimed, moved to next month and queued in batches of 1,000\n"
    )
    print(
        render_table(
            [
                "accounts",
                "due, queued",
                "seconds",
                "accounts/s",
                "ms / account",
                "rescan queued",
                "rescan ms",
            ],
            rows,
        )
    )
    for r in results:
        if r["fill_seconds"]:
            print(f"\nfilled {r['accounts']:,} accounts in {r['fill_seconds']:.1f} s")
    print(
        f"\nplan of one batch's claim among {results[-1]['accounts']:,} accounts:\n"
        f"{results[-1]['plan']}"
    )
    (OUT_DIR / "cds_scan.json").write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
