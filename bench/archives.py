"""How fast one worker process reads uploaded documents, and how long a tenant waits.

A real ``sahod serve`` with its job worker (one worker process, as ``sahod serve`` runs it;
``SAHOD_ARCHIVE_ANALYSIS_CONCURRENCY`` readers at once, each a limited child process), a
tenant whose webhook (ARCHIVE_ANALYZED, ARCHIVE_FAILED) points at a loopback receiver in
this process, and the sandbox personas' documents (sahod.documents.sandbox): payslips,
BIR 2316s and certificates of employment, as text PDFs and as photographed-looking JPEG
scans (read through Tesseract). For each of the two kinds:

* burst: N documents uploaded with ``POST /v1/archives`` one after another as fast as the
  API takes them: documents analysed per second by the one worker process (first upload
  to last webhook), and p50/p99 from each upload to its webhook (mostly the queue);
* one at a time: M documents, each uploaded once the previous one's webhook came: p50/p99
  of upload → ARCHIVE_ANALYZED received, the wait one document costs.

    .venv/bin/python bench/archives.py            # 40 PDFs, 12 scans (20 and 8 one at a time)
    .venv/bin/python bench/archives.py --quick    # 12 PDFs, 4 scans (6 and 3)

Figures go to stdout and, as JSON, to bench/out/archives.json (archives_quick.json with
--quick). A benchmark prints figures; it is not a timed test.
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
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psycopg
from psycopg import sql

if __package__ in (None, ""):  # run as a script: make `bench` and `tests` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.webhooks.receiver import Received, Receiver

from bench._common import OUT_DIR, database_name, render_table, served_app, with_database_name
from sahod.config import Settings
from sahod.db import describe_url, libpq_url, session_scope
from sahod.documents.sandbox import SandboxDocument, documents_for, sandbox_personas
from sahod.runtime import open_runtime
from sahod.sandbox.personas import today_in_manila
from sahod.tenants.schemas import TenantMode
from sahod.tenants.service import create_tenant

DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/sahod_bench_archives"
DONE_EVENTS = ("ARCHIVE_ANALYZED", "ARCHIVE_FAILED")
KINDS = {"text PDFs": "PDF", "scanned images": "JPEG"}


def percentile(ordered: Sequence[float], fraction: float) -> float:
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]


@dataclass(frozen=True)
class Figures:
    documents: int
    analyzed: int
    failed: int
    seconds: float
    """First upload's start to the last webhook's arrival."""
    per_second: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    analyzed_p50_ms: float
    """Upload to the archive's ANALYZED commit (its state.updatedAt - createdAt): the rest
    of p50_ms is the webhook's delivery."""
    analyzed_p99_ms: float

    def row(self, name: str) -> list[str]:
        return [
            name,
            f"{self.documents}",
            f"{self.analyzed}",
            f"{self.failed}",
            f"{self.per_second:,.2f}",
            f"{self.p50_ms:,.0f}",
            f"{self.p99_ms:,.0f}",
            f"{self.max_ms:,.0f}",
            f"{self.analyzed_p50_ms:,.0f}",
            f"{self.analyzed_p99_ms:,.0f}",
        ]


def figures(
    uploaded: dict[str, float],
    done: dict[str, tuple[str, float]],
    analysis_ms: Sequence[float],
) -> Figures:
    mine = {archive: done[archive] for archive in uploaded if archive in done}
    latencies = sorted((at - uploaded[archive]) * 1000 for archive, (_, at) in mine.items())
    seconds = max(at for _, at in mine.values()) - min(uploaded.values()) if mine else 0.0
    return Figures(
        documents=len(uploaded),
        analyzed=sum(1 for kind, _ in mine.values() if kind == "ARCHIVE_ANALYZED"),
        failed=sum(1 for kind, _ in mine.values() if kind == "ARCHIVE_FAILED"),
        seconds=round(seconds, 3),
        per_second=round(len(mine) / seconds, 3) if seconds else 0.0,
        p50_ms=round(percentile(latencies, 0.50), 1),
        p99_ms=round(percentile(latencies, 0.99), 1),
        max_ms=round(latencies[-1], 1) if latencies else 0.0,
        analyzed_p50_ms=round(percentile(sorted(analysis_ms), 0.50), 1),
        analyzed_p99_ms=round(percentile(sorted(analysis_ms), 0.99), 1),
    )


def _instant(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


class Bench:
    def __init__(self, base_url: str, auth: tuple[str, str], receiver: Receiver) -> None:
        self.http = httpx.AsyncClient(base_url=base_url, auth=auth, timeout=120, trust_env=False)
        self.receiver = receiver
        self.done: dict[str, tuple[str, float]] = {}
        """archive id -> (event type, arrival time) of its first ARCHIVE_ANALYZED/FAILED."""
        self._seen = 0

    def _collect(self) -> None:
        posts = self.receiver.posts
        for received in posts[self._seen :]:
            self._record(received)
        self._seen = len(posts)

    def _record(self, received: Received) -> None:
        body = received.json()
        if body.get("type") in DONE_EVENTS:
            archive_id = str(body["data"]["archiveId"])
            self.done.setdefault(archive_id, (str(body["type"]), received.at))

    async def upload(self, doc: SandboxDocument, data: bytes) -> tuple[str, float]:
        started = time.time()
        response = await self.http.post(
            "/v1/archives",
            json={
                "fileType": doc.file_type,
                "rawFiles": [
                    {
                        "fileName": doc.file_name,
                        "fileExtensionType": doc.format,
                        "fileContent": base64.b64encode(data).decode(),
                    }
                ],
            },
        )
        if response.status_code not in (200, 201):
            raise RuntimeError(f"upload refused: {response.status_code} {response.text[:500]}")
        return str(response.json()["data"]["id"]), started

    async def analysis_ms(self, archive_ids: Sequence[str]) -> list[float]:
        """Each archive's upload to its final state's commit, as the server recorded them."""
        spans = []
        for archive_id in archive_ids:
            response = await self.http.get(f"/v1/archives/{archive_id}")
            if response.status_code != 200:
                raise RuntimeError(f"read back: {response.status_code} {response.text[:500]}")
            archive = response.json()["data"]
            spans.append(
                (_instant(archive["state"]["updatedAt"]) - _instant(archive["createdAt"])) * 1000
            )
        return spans

    async def wait_done(self, archive_ids: Sequence[str], within: float) -> None:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            self._collect()
            if all(a in self.done for a in archive_ids):
                return
            await asyncio.sleep(0.05)
        missing = [a for a in archive_ids if a not in self.done]
        raise RuntimeError(f"{len(missing)} archives had no webhook within {within:.0f} s")

    async def burst(self, docs: Sequence[tuple[SandboxDocument, bytes]]) -> Figures:
        uploaded: dict[str, float] = {}
        for doc, data in docs:
            archive_id, started = await self.upload(doc, data)
            uploaded[archive_id] = started
        await self.wait_done(list(uploaded), within=120 + 60 * len(docs))
        return figures(uploaded, self.done, await self.analysis_ms(list(uploaded)))

    async def one_at_a_time(self, docs: Sequence[tuple[SandboxDocument, bytes]]) -> Figures:
        uploaded: dict[str, float] = {}
        for doc, data in docs:
            archive_id, started = await self.upload(doc, data)
            uploaded[archive_id] = started
            await self.wait_done([archive_id], within=300)
        return figures(uploaded, self.done, await self.analysis_ms(list(uploaded)))


def documents(file_format: str, count: int) -> list[tuple[SandboxDocument, bytes]]:
    """``count`` sandbox documents of one format, cycling through personas and kinds."""
    today = today_in_manila(datetime.now(UTC))
    pool = [
        doc
        for persona in sandbox_personas()
        for doc in documents_for(persona.key, today)
        if doc.format == file_format
    ]
    return [(doc, doc.data()) for doc in (pool[i % len(pool)] for i in range(count))]


def fresh_database(url: str) -> None:
    """A new database each run: archives or jobs of an earlier run must not mix in."""
    name = database_name(url)
    with psycopg.connect(libpq_url(url), dbname="postgres", autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


async def make_tenant(settings: Settings, url: str) -> tuple[str, str]:
    """A sandbox tenant (and the migrations, which the runtime applies first)."""
    async with open_runtime(settings, database_url=url) as runtime:
        async with session_scope(runtime.session_factory) as session:
            keys = await create_tenant(
                session, "Bench Lender", TenantMode.SANDBOX, runtime.clock.now()
            )
        return keys.api_key, keys.api_secret


async def run(
    args: argparse.Namespace, url: str, settings: Settings, env: dict[str, str]
) -> dict[str, dict[str, Figures]]:
    sizes = {
        "text PDFs": (args.pdfs, args.pdfs_one_at_a_time),
        "scanned images": (args.images, args.images_one_at_a_time),
    }
    print("rendering the sandbox documents…", flush=True)
    corpus = {kind: documents(file_format, max(sizes[kind])) for kind, file_format in KINDS.items()}
    api_key, api_secret = await make_tenant(settings, url)
    results: dict[str, dict[str, Figures]] = {}
    async with Receiver() as receiver:
        with served_app(
            url, log_path=OUT_DIR / "archives_server.log", with_worker=True, extra_env=env
        ) as app:
            bench = Bench(app.base_url, (api_key, api_secret), receiver)
            hook = await bench.http.post(
                "/v1/webhooks",
                json={
                    "name": "bench",
                    "url": f"{receiver.url}/hook",
                    "eventTypes": list(DONE_EVENTS),
                    "active": True,
                    "secret": "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode(),
                },
            )
            if hook.status_code not in (200, 201):
                raise RuntimeError(f"webhook refused: {hook.status_code} {hook.text[:500]}")
            print(f"server {app.base_url} (pid {app.pid}), receiver {receiver.url}", flush=True)
            # Warm up: the worker's first job imports the reader and starts Tesseract.
            warm = corpus["text PDFs"][:1] + corpus["scanned images"][:1]
            await bench.one_at_a_time(warm)
            for kind, (burst_count, single_count) in sizes.items():
                docs = corpus[kind]
                print(f"\n== {kind}: {burst_count} at once", flush=True)
                burst = await bench.burst(docs[:burst_count])
                print(f"   {burst.per_second:.2f} documents/s", flush=True)
                print(f"== {kind}: {single_count} one at a time", flush=True)
                single = await bench.one_at_a_time(docs[:single_count])
                print(f"   p50 {single.p50_ms:,.0f} ms, p99 {single.p99_ms:,.0f} ms", flush=True)
                results[kind] = {"burst": burst, "oneAtATime": single}
            await bench.http.aclose()
    return results


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--database-url", default=None,
        help="default: $SAHOD_BENCH_DATABASE_URL's server, database sahod_bench_archives"
        " (dropped and created again on each run)",
    )  # fmt: skip
    parser.add_argument("--quick", action="store_true", help="12 PDFs and 4 scans (6 and 3)")
    parser.add_argument("--pdfs", type=int, default=None, help="text PDFs in the burst (40)")
    parser.add_argument("--images", type=int, default=None, help="scans in the burst (12)")
    parser.add_argument("--pdfs-one-at-a-time", type=int, default=None, help="(20)")
    parser.add_argument("--images-one-at-a-time", type=int, default=None, help="(8)")
    parser.add_argument(
        "--analysis-concurrency", type=int, default=None,
        help="SAHOD_ARCHIVE_ANALYSIS_CONCURRENCY of the worker (default: the setting's, 2)",
    )  # fmt: skip
    parser.add_argument("--json", type=Path, default=None, help="where to write the figures")
    args = parser.parse_args()
    quick = bool(args.quick)
    args.pdfs = args.pdfs or (12 if quick else 40)
    args.images = args.images or (4 if quick else 12)
    args.pdfs_one_at_a_time = args.pdfs_one_at_a_time or (6 if quick else 20)
    args.images_one_at_a_time = args.images_one_at_a_time or (3 if quick else 8)
    return args


def main() -> None:
    args = parse_args()
    if args.database_url:
        url = str(args.database_url)
    else:
        base = os.environ.get("SAHOD_BENCH_DATABASE_URL") or DEFAULT_DATABASE_URL
        url = with_database_name(base, "sahod_bench_archives" + ("_quick" if args.quick else ""))
    json_path = args.json or OUT_DIR / ("archives_quick.json" if args.quick else "archives.json")
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    sealing_key = base64.b64encode(secrets.token_bytes(32)).decode()
    data_dir = Path(tempfile.mkdtemp(prefix="sahod-bench-archives-"))
    settings = Settings(
        database_url=url, data_dir=data_dir, sealing_key=sealing_key, run_worker=False
    )
    # The receiver listens on loopback: the operator's opt-in.
    env = {
        "SAHOD_SEALING_KEY": sealing_key,
        "SAHOD_DATA_DIR": str(data_dir),
        "SAHOD_WEBHOOK_ALLOWED_NETWORKS": '["127.0.0.0/8"]',
        # One client uploads and reads back as fast as it can: not an abuse to limit.
        "SAHOD_RATE_LIMIT_PER_IP": "0",
    }
    if args.analysis_concurrency:
        env["SAHOD_ARCHIVE_ANALYSIS_CONCURRENCY"] = str(args.analysis_concurrency)
    print(f"database {describe_url(url)} (fresh)", flush=True)
    fresh_database(url)
    results = asyncio.run(run(args, url, settings, env))

    headers = ["run", "docs", "analyzed", "failed", "docs/s", "p50 ms", "p99 ms", "max ms"]
    headers += ["p50 to ANALYZED", "p99 to ANALYZED"]
    rows = []
    for kind, runs in results.items():
        rows.append(runs["burst"].row(f"{kind}: burst"))
        rows.append(runs["oneAtATime"].row(f"{kind}: one at a time"))
    print()
    print(render_table(headers, rows))
    concurrency = (
        args.analysis_concurrency or Settings.model_fields["archive_analysis_concurrency"].default
    )
    print(
        "\ndocs/s: documents analysed per second by the one worker process"
        f" ({concurrency} readers at once), first upload to last webhook."
        "\nlatency: POST /v1/archives sent → its ARCHIVE_ANALYZED (or _FAILED) webhook received;"
        "\n'to ANALYZED': upload → the archive's final state committed (the server's times)."
    )
    report = {
        "benchmark": "archives",
        "quick": args.quick,
        "measuredAt": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": describe_url(url),
        "workerProcesses": 1,
        "analysisConcurrency": concurrency,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            # The machine may be shared: its load says how much of it the run had.
            "loadAverage1m": round(os.getloadavg()[0], 2),
        },
        "runs": {
            kind: {name: asdict(figures) for name, figures in runs.items()}
            for kind, runs in results.items()
        },
    }
    json_path.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nfigures in {json_path}")


if __name__ == "__main__":
    main()
