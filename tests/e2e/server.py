"""Start a real `sahod` process on a free loopback port, for end-to-end tests."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

E2E_SEALING_KEY = "c2Fob2QtZTJlLXRlc3Qtc2VhbGluZy1rZXktMzJieXQ="
"""A fixed test key: a server with a database URL refuses to start without one (issue 12),
and the `serve`, `worker` and `tenants create` processes of one test must share it."""

OPERATOR_TOKEN = "e2e-sandbox-operator"
OPERATOR_HEADERS = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}
"""What the tests send to the servers' sandbox portals' /_faults and /_reset."""

SERVER_TEST_ENV = {"SAHOD_SEALING_KEY": E2E_SEALING_KEY, "SAHOD_SANDBOX_PORTALS": "true"}
"""What every end-to-end process with a database URL gets unless a test says otherwise:
the shared sealing key, and the sandbox portals, which such a server no longer mounts by
itself."""


def _answers(base_url: str) -> bool:
    try:
        return httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class SahodProcess:
    process: subprocess.Popen[str]
    port: int
    output: list[str] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def printed(self, pattern: str) -> str:
        found = re.search(pattern, "".join(self.output))
        assert found, f"{pattern!r} not in the output:\n{''.join(self.output)}"
        return found.group(1)

    def log_lines(self) -> list[dict[str, Any]]:
        """The JSON log lines of the output (the banner and other prints are not JSON)."""
        found: list[dict[str, Any]] = []
        for line in "".join(self.output).splitlines():
            if line.startswith("{"):
                with contextlib.suppress(ValueError):
                    found.append(json.loads(line))
        return found

    def logged(self, text: str) -> bool:
        """Whether a log line's message or exception contains ``text``."""
        return any(
            text in str(line.get("event", "")) or text in str(line.get("exception", ""))
            for line in self.log_lines()
        )

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        return self.process.returncode


@contextlib.contextmanager
def embedded_data_dir() -> Iterator[Path]:
    """A data dir for an embedded PostgreSQL, outside pytest's temporary folders.

    Run as root, pgserver runs the server as a user of its own and opens up the folders
    above the data dir to it; pytest closes its own ``pytest-of-root`` folder again (mode
    0700) whenever a worker starts using it, which locks that user out mid-initdb."""
    path = Path(tempfile.mkdtemp(prefix="sahod-embedded-"))
    path.chmod(0o755)
    try:
        yield path / "data"
    finally:
        shutil.rmtree(path, ignore_errors=True)


def start_sahod(
    args: list[str],
    *,
    env: Mapping[str, str],
    ready: str,
    data_dir: Path,
    port: int | None = None,
    timeout: float = 90,
    wait_http: bool = True,
) -> SahodProcess:
    """Run ``sahod ARGS`` and wait until its output matches ``ready``."""
    port = port or free_port()
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("SAHOD_")}
    full_env.update(
        {
            "SAHOD_PORT": str(port),
            "SAHOD_DATA_DIR": str(data_dir),
            "PYTHONUNBUFFERED": "1",
            # Receivers in these tests listen on loopback: the operator's opt-in.
            "SAHOD_WEBHOOK_SANDBOX_ALLOWED_NETWORKS": '["127.0.0.0/8", "::1/128"]',
            # The tests send bursts; tests that check the limit set it.
            "SAHOD_RATE_LIMIT_PER_IP": "0",
            "SAHOD_AUTH_FAILURES_PER_MINUTE": "0",
            # The tests inject portal faults through the server's own mount.
            "SAHOD_SANDBOX_OPERATOR_TOKEN": OPERATOR_TOKEN,
            "SAHOD_LINK_ACCOUNTS_PER_TOKEN_HOUR": "0",
            "SAHOD_LINK_ACCOUNTS_PER_USER_DAY": "0",
            "SAHOD_LINK_ARCHIVES_PER_USER_DAY": "0",
        }
    )
    if "SAHOD_DATABASE_URL" in env:
        # The embedded default keeps its own key file, which its tests look at.
        full_env.update(SERVER_TEST_ENV)
    full_env.update(env)
    process = subprocess.Popen(
        [sys.executable, "-m", "sahod.cli", *args],
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    running = SahodProcess(process=process, port=port)
    assert process.stdout is not None
    stdout = process.stdout

    def pump() -> None:
        for line in stdout:
            running.output.append(line)

    threading.Thread(target=pump, daemon=True).start()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if re.search(ready, "".join(running.output)) and (
            not wait_http or _answers(running.base_url)
        ):
            return running
        if process.poll() is not None:
            break
        time.sleep(0.1)
    running.stop(signal.SIGKILL)
    raise AssertionError(f"sahod {args} did not get ready:\n{''.join(running.output)}")


def children_of(pid: int) -> dict[int, str]:
    """Every live process whose parent is ``pid``, with its command line."""
    found: dict[int, str] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            command = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found[int(entry)] = command
    return found
