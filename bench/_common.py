"""What the benchmarks share: the database, the served app, the load generator, the table.

The app runs as its own process (``sahod serve``, exactly as deployed) and the load comes
from another process (``wrk`` when installed, else a small asyncio client started from
this file), so that neither steals the other's interpreter.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import math
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import httpx
import psycopg
from psycopg import sql

from sahod.db import libpq_url

REPO_ROOT = Path(__file__).resolve().parents[1]
OUT_DIR = REPO_ROOT / "bench" / "out"  # git-ignored


# ---------------------------------------------------------------------------------------
# The database
# ---------------------------------------------------------------------------------------


def database_name(url: str) -> str:
    return str(psycopg.conninfo.conninfo_to_dict(libpq_url(url)).get("dbname") or "")


def with_database_name(url: str, name: str) -> str:
    """The same server and options, another database."""
    base, sep, query = libpq_url(url).partition("?")
    return f"{base.rsplit('/', 1)[0]}/{name}{sep}{query}"


def ensure_database(url: str) -> bool:
    """Creates the URL's database when missing; True when it did."""
    name = database_name(url)
    with psycopg.connect(libpq_url(url), dbname="postgres", autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            return False
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return True


# ---------------------------------------------------------------------------------------
# The served app
# ---------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class ServedApp:
    base_url: str
    pid: int
    log_path: Path


@contextlib.contextmanager
def served_app(
    database_url: str,
    *,
    log_path: Path,
    startup_timeout: float = 120.0,
    with_worker: bool = False,
    extra_env: dict[str, str] | None = None,
    api_workers: int = 1,
) -> Iterator[ServedApp]:
    """``sahod serve`` (by default without its worker) on a free loopback port, until the
    block ends.

    Started with the same entry point as the console script, so what is measured is what
    is deployed: uvicorn, the app's middleware and its database pool settings. With
    ``api_workers`` above 1 it is ``sahod serve --workers N``: N API processes under one
    parent (``process_tree_cpu_seconds`` counts them all).
    """
    port = free_port()
    env = {
        **os.environ,
        "SAHOD_DATABASE_URL": database_url,
        "SAHOD_HOST": "127.0.0.1",
        "SAHOD_PORT": str(port),
        "SAHOD_RUN_WORKER": "false",
        "SAHOD_LOG_LEVEL": os.environ.get("SAHOD_BENCH_LOG_LEVEL", "WARNING"),
        # The read path seals nothing; a throwaway key keeps the server from writing a key
        # file into the developer's ./.sahod.
        "SAHOD_SEALING_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
        "SAHOD_DATA_DIR": str(OUT_DIR / "server-data"),
        **(extra_env or {}),
    }
    if with_worker:
        env["SAHOD_RUN_WORKER"] = "true"
    command = [sys.executable, "-m", "sahod.cli", "serve", "--port", str(port)]
    if not with_worker:
        command.append("--no-worker")
    if api_workers > 1:
        command += ["--workers", str(api_workers)]
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(process, base_url, log_path, startup_timeout)
        yield ServedApp(base_url=base_url, pid=process.pid, log_path=log_path)
    finally:
        # SIGINT is uvicorn's graceful shutdown; kill only if it hangs.
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_healthy(
    process: subprocess.Popen[bytes], base_url: str, log_path: Path, timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=2.0) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                tail = log_path.read_text(errors="replace")[-3000:]
                raise RuntimeError(f"sahod serve exited with {process.returncode}:\n{tail}")
            with contextlib.suppress(httpx.TransportError):
                if client.get(f"{base_url}/healthz").status_code == 200:
                    return
            time.sleep(0.2)
    raise RuntimeError(f"sahod serve did not answer /healthz within {timeout:.0f} s")


# ---------------------------------------------------------------------------------------
# The load generator
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadResult:
    requests: int
    seconds: float
    errors: int
    """Connection errors, timeouts and non-2xx responses: a valid run has none."""
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    server_cpu: float | None = None
    """Cores the server process used during the run (1.0: one core all the time)."""

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


@dataclass(frozen=True)
class LoadSettings:
    connections: int
    duration: float
    warmup: float
    threads: int = 1
    """wrk threads: one keeps wrk to one core of a small machine; it drives 30k+ req/s."""


def wrk_binary() -> str | None:
    return shutil.which("wrk")


def load_generator_name(generator: str) -> str:
    if generator == "wrk":
        version = subprocess.run(
            ["wrk", "--version"], capture_output=True, text=True, check=False
        ).stdout.split("\n")[0]
        return version.split(" Copyright")[0].strip() or "wrk"
    return "python asyncio HTTP/1.1 client (one process; weaker than wrk)"


def process_cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process so far (Linux; None elsewhere)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rpartition(")")[2].split()  # after "pid (comm)", which may hold spaces
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def process_tree_cpu_seconds(pid: int) -> float | None:
    """``process_cpu_seconds`` of a process and of every living process below it (the API
    processes of ``sahod serve --workers N``). A child that exited meanwhile is not counted,
    so measure while the tree is steady."""
    own = process_cpu_seconds(pid)
    if own is None:
        return None
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parents[int(entry.name)] = int(stat.rpartition(")")[2].split()[1])
    below, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        children = [child for child, its_parent in parents.items() if its_parent == parent]
        below += children
        frontier += children
    return own + sum(process_cpu_seconds(child) or 0.0 for child in below)


def run_load(
    generator: str,
    base_url: str,
    paths: Sequence[str],
    headers: dict[str, str],
    settings: LoadSettings,
    work_dir: Path,
    server_pid: int | None = None,
) -> LoadResult:
    """Warms up for ``settings.warmup`` seconds (discarded), then measures for ``duration``.

    With ``server_pid``, also reports how many cores the server (its processes) used while
    measured: near 1.0 for one process means the app, not the database or the load
    generator, is the limit.
    """
    work_dir.mkdir(parents=True, exist_ok=True)
    paths_file = work_dir / "paths.txt"
    paths_file.write_text("\n".join(paths) + "\n")
    run = _run_wrk if generator == "wrk" else _run_python_load
    if settings.warmup > 0:
        run(base_url, paths_file, headers, settings, settings.warmup, work_dir)
    cpu_before = process_tree_cpu_seconds(server_pid) if server_pid else None
    result = run(base_url, paths_file, headers, settings, settings.duration, work_dir)
    cpu_after = process_tree_cpu_seconds(server_pid) if server_pid else None
    if cpu_before is None or cpu_after is None or not result.seconds:
        return result
    return replace(result, server_cpu=(cpu_after - cpu_before) / result.seconds)


# Cycles through a file of paths (one a line) with fixed headers, and prints its figures as
# one JSON line: wrk's own summary is rounded to two digits and hides the status errors.
_WRK_SCRIPT = r"""
local paths = {}
local position = 1
local started = 0

function setup(thread)
  -- Threads start at different places, so they do not ask for the same rows in lockstep.
  thread:set("offset", started * 7919)
  started = started + 1
end

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then paths[#paths + 1] = line end
  end
  for i = 2, #args do
    local name, value = args[i]:match("^([^:]+):%s*(.*)$")
    if name then wrk.headers[name] = value end
  end
  position = (offset or 0) % #paths + 1
end

function request()
  local path = paths[position]
  position = position % #paths + 1
  return wrk.format("GET", path)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_RESULT {"requests": %d, "duration_us": %d, "errors": %d, "status_errors": %d,'
    .. ' "p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration,
    e.connect + e.read + e.write + e.status + e.timeout, e.status,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
"""


def _run_wrk(
    base_url: str,
    paths_file: Path,
    headers: dict[str, str],
    settings: LoadSettings,
    duration: float,
    work_dir: Path,
) -> LoadResult:
    script = work_dir / "wrk.lua"
    script.write_text(_WRK_SCRIPT)
    command = [
        "wrk",
        f"--threads={settings.threads}",
        f"--connections={settings.connections}",
        f"--duration={max(1, round(duration))}s",
        "--timeout=10s",
        f"--script={script}",
        base_url + "/",
        "--",
        str(paths_file),
        *(f"{name}: {value}" for name, value in headers.items()),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    for line in done.stdout.splitlines():
        if line.startswith("WRK_RESULT "):
            figures = json.loads(line.removeprefix("WRK_RESULT "))
            return LoadResult(
                requests=figures["requests"],
                seconds=figures["duration_us"] / 1e6,
                errors=figures["errors"],
                p50_ms=figures["p50_us"] / 1000,
                p90_ms=figures["p90_us"] / 1000,
                p99_ms=figures["p99_us"] / 1000,
                max_ms=figures["max_us"] / 1000,
            )
    raise RuntimeError(f"wrk printed no result:\n{done.stdout}\n{done.stderr}")


def _run_python_load(
    base_url: str,
    paths_file: Path,
    headers: dict[str, str],
    settings: LoadSettings,
    duration: float,
    work_dir: Path,
) -> LoadResult:
    # Its own process: a client in the benchmark's interpreter would share a GIL with it.
    command = [
        sys.executable,
        "-m",
        "bench._common",
        "--base-url",
        base_url,
        "--paths-file",
        str(paths_file),
        "--connections",
        str(settings.connections),
        "--duration",
        str(duration),
        "--headers",
        json.dumps(headers),
    ]
    done = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"the python load generator failed:\n{done.stderr}")
    return LoadResult(**json.loads(done.stdout.strip().splitlines()[-1]))


def _percentile(ordered: Sequence[float], fraction: float) -> float:
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))]


async def _python_load(
    base_url: str, paths: list[str], headers: dict[str, str], connections: int, duration: float
) -> LoadResult:
    """A closed loop: ``connections`` keep-alive connections, each sending its next request
    when the last reply is in.

    Raw HTTP/1.1 over asyncio streams rather than httpx: httpx's own per-request cost caps
    one process at a few hundred requests a second, below what the bare endpoint serves.
    """
    url = httpx.URL(base_url)
    host, port = url.host, url.port or 80
    extra = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    requests = [
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n{extra}\r\n".encode() for path in paths
    ]
    latencies: list[float] = []
    errors = 0
    started = time.perf_counter()
    deadline = started + duration

    async def worker(offset: int) -> None:
        nonlocal errors
        position = offset
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while time.perf_counter() < deadline:
                request = requests[position % len(requests)]
                position += 1
                sent = time.perf_counter()
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                status = int(head.split(b" ", 2)[1])
                length, close = 0, False
                for line in head.lower().split(b"\r\n")[1:]:
                    if line.startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                    elif line.startswith(b"connection:") and b"close" in line:
                        close = True
                await reader.readexactly(length)
                latencies.append((time.perf_counter() - sent) * 1000)
                if not 200 <= status < 300:
                    errors += 1
                if close:
                    writer.close()
                    reader, writer = await asyncio.open_connection(host, port)
        finally:
            writer.close()

    outcomes = await asyncio.gather(
        *(worker(n * 7919) for n in range(connections)), return_exceptions=True
    )
    errors += sum(1 for outcome in outcomes if isinstance(outcome, BaseException))
    elapsed = time.perf_counter() - started
    latencies.sort()
    return LoadResult(
        requests=len(latencies),
        seconds=elapsed,
        errors=errors,
        p50_ms=_percentile(latencies, 0.50),
        p90_ms=_percentile(latencies, 0.90),
        p99_ms=_percentile(latencies, 0.99),
        max_ms=latencies[-1] if latencies else 0.0,
    )


def _python_load_main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="a closed-loop HTTP load generator")
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--paths-file", type=Path, required=True)
    parser.add_argument("--connections", type=int, required=True)
    parser.add_argument("--duration", type=float, required=True)
    parser.add_argument("--headers", default="{}")
    args = parser.parse_args(argv)
    paths = [p for p in args.paths_file.read_text().splitlines() if p]
    with contextlib.suppress(ImportError):  # uvloop (with uvicorn[standard]): a cheaper loop
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    result = asyncio.run(
        _python_load(
            args.base_url, paths, json.loads(args.headers), args.connections, args.duration
        )
    )
    print(json.dumps(asdict(result)))


# ---------------------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------------------


def render_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A plain-text table; the first column is left-aligned, the figures right-aligned."""
    widths = [max(len(str(row[i])) for row in [headers, *rows]) for i in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            str(cell).ljust(widths[i]) if i == 0 else str(cell).rjust(widths[i])
            for i, cell in enumerate(cells)
        )

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([line(headers), rule, *(line(row) for row in rows)])


if __name__ == "__main__":
    _python_load_main()
