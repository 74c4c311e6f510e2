"""Document analysis throughput: archives analysed per second by one worker process, for
text PDFs and for photographed (scanned-looking) documents, and p50/p99 from the upload to
ARCHIVE_ANALYZED.

`sahod serve --no-worker` takes the uploads (`POST /v1/archives`, the sandbox personas'
payslips, BIR 2316s and certificates of employment); one `sahod worker` analyses them,
at most `--analysis-concurrency` readers at once (SAHOD_ARCHIVE_ANALYSIS_CONCURRENCY). The
text PDFs are all uploaded, then, once they are analysed, the photographs. Timings come
from the server's own timestamps: the archive's `createdAt` and its ARCHIVE_ANALYZED (or
ARCHIVE_FAILED) event.

    python bench/archives.py [--documents 24] [--analysis-concurrency 2]
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
from datetime import date
from pathlib import Path

import httpx
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import (
    OUT_DIR,
    REPO_ROOT,
    ensure_database,
    render_table,
    served_app,
    with_database_name,
)
from sahod.db import libpq_url
from sahod.documents.sandbox import SandboxDocument, documents_for, sandbox_personas
from sahod.migrate import upgrade

TODAY = date(2026, 11, 2)


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


def corpus(file_format: str, count: int) -> list[SandboxDocument]:
    """``count`` sandbox documents of one format, cycling over personas and kinds."""
    every = [
        doc
        for persona in sandbox_personas()
        for doc in documents_for(persona.key, TODAY)
        if doc.format == file_format
    ]
    return [every[i % len(every)] for i in range(count)]


async def upload_all(
    base_url: str, api_key: str, api_secret: str, docs: list[SandboxDocument]
) -> list[str]:
    """Every upload at once (ten in flight); the archive ids."""
    payloads = [(doc.file_name, doc.format, doc.data()) for doc in docs]  # rendered first
    async with httpx.AsyncClient(
        base_url=base_url, auth=(api_key, api_secret), timeout=120
    ) as tenant:
        gate = asyncio.Semaphore(10)

        async def one(name: str, file_format: str, data: bytes) -> str:
            async with gate:
                answer = await tenant.post(
                    "/v1/archives",
                    json={
                        "rawFiles": [
                            {
                                "fileName": name,
                                "fileExtensionType": file_format,
                                "fileContent": base64.b64encode(data).decode(),
                            }
                        ]
                    },
                )
                answer.raise_for_status()
                archive_id: str = answer.json()["data"]["id"]
                return archive_id

        return await asyncio.gather(*(one(*payload) for payload in payloads))


def wait_for(url: str, ids: list[str], deadline_seconds: float) -> None:
    deadline = time.monotonic() + deadline_seconds
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        while time.monotonic() < deadline:
            row = conn.execute(
                "SELECT count(*) FROM archives WHERE id = ANY(%s) AND status <> 'STARTED'", (ids,)
            ).fetchone()
            if row is not None and row[0] >= len(ids):
                return
            time.sleep(0.5)
    raise RuntimeError("not every archive was analysed in time")


def timings(url: str, ids: list[str]) -> tuple[list[float], list[float], dict[str, int]]:
    with psycopg.connect(libpq_url(url)) as conn:
        rows = conn.execute(
            """
            SELECT extract(epoch FROM a.created_at), extract(epoch FROM e.created_at), a.status
            FROM archives a
            JOIN events e ON e.type IN ('ARCHIVE_ANALYZED', 'ARCHIVE_FAILED')
                         AND e.data->>'archiveId' = a.id
            WHERE a.id = ANY(%s)
            """,
            (ids,),
        ).fetchall()
    statuses: dict[str, int] = {}
    for row in rows:
        statuses[row[2]] = statuses.get(row[2], 0) + 1
    return [float(r[0]) for r in rows], [float(r[1]) for r in rows], statuses


def start_worker(url: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    log = (OUT_DIR / "archives-worker.log").open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "sahod.cli", "worker"],
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--documents", type=int, default=24, help="of each kind (PDF, photo)")
    parser.add_argument("--analysis-concurrency", type=int, default=2)
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "SAHOD_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
    )
    args = parser.parse_args()
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    url = fresh_database(args.database_url, "sahod_bench_archives")
    env = {
        "SAHOD_SEALING_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
        "SAHOD_ARCHIVE_ANALYSIS_CONCURRENCY": str(args.analysis_concurrency),
        "SAHOD_RATE_LIMIT_PER_IP": "0",
        "SAHOD_AUTH_FAILURES_PER_MINUTE": "0",
    }
    keys = json.loads(
        subprocess.run(
            [sys.executable, "-m", "sahod.cli", "tenants", "create", "Bench Docs", "--json"],
            env={**os.environ, "SAHOD_DATABASE_URL": url, **env},
            cwd=REPO_ROOT,
            check=True,
            capture_output=True,
            text=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    results: dict[str, dict[str, float | int | dict[str, int]]] = {}
    worker = start_worker(url, env)
    try:
        with served_app(url, log_path=OUT_DIR / "archives-serve.log", extra_env=env) as app:
            for label, file_format in (("text PDF", "PDF"), ("photo (JPEG)", "JPEG")):
                docs = corpus(file_format, args.documents)
                ids = asyncio.run(upload_all(app.base_url, keys["apiKey"], keys["apiSecret"], docs))
                wait_for(url, ids, deadline_seconds=1800)
                created, done, statuses = timings(url, ids)
                span = max(done) - min(created)
                latencies = [d - c for c, d in zip(created, done, strict=True)]
                results[label] = {
                    "documents": len(ids),
                    "per_second": len(ids) / span,
                    "p50_s": percentile(latencies, 0.5),
                    "p99_s": percentile(latencies, 0.99),
                    "statuses": statuses,
                }
    finally:
        worker.terminate()
        worker.wait(30)

    rows = [
        [
            label,
            str(figures["documents"]),
            f"{figures['per_second']:.2f}",
            f"{figures['p50_s']:.2f}",
            f"{figures['p99_s']:.2f}",
            ", ".join(f"{k} {v}" for k, v in figures["statuses"].items()),  # type: ignore[union-attr]
        ]
        for label, figures in results.items()
    ]
    print()
    print(
        f"one sahod worker, {args.analysis_concurrency} readers at once, on "
        f"{os.cpu_count()} cores shared with sahod serve and PostgreSQL"
    )
    print(
        render_table(
            ["documents", "n", "analysed / s", "upload → analysed p50 s", "p99 s", "outcome"],
            rows,
        )
    )
    (OUT_DIR / "archives.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
