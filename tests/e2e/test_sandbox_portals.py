"""The sandbox portals, as a tenant's sandbox reaches them: mounted in the main app, and
alone with `sahod sandbox-portals`."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx

from sahod.providers.base import Credentials, MfaChallenge
from sahod.providers.registry import create_connector
from tests.e2e.conftest import LiveServer
from tests.e2e.server import free_port


async def test_the_main_server_mounts_the_portals_and_a_connector_logs_in(
    live_server: LiveServer,
) -> None:
    connector = create_connector("sss", base_url=f"{live_server.base_url}/sandbox/portals")
    try:
        outcome = await connector.login(Credentials("gpalomero1234@smileapi.io", "123456"))
        assert isinstance(outcome, MfaChallenge)
        session = await connector.submit_mfa(outcome.pending_state, "1234")
        kinds = {record.kind.value for record in await connector.fetch(session)}
        assert kinds == {
            "IDENTITIES",
            "EMPLOYMENTS",
            "DOCUMENTS",
            "CONTRIBUTIONS",
            "LIABILITIES",
            "EINCOMES",
        }
    finally:
        await connector.aclose()


def test_sandbox_portals_command_serves_them_alone(tmp_path: Path) -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "sahod.cli", "sandbox-portals", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                index = httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            raise AssertionError("sahod sandbox-portals did not answer")
        assert "My.SSS" in index.text
        login = httpx.get(f"http://127.0.0.1:{port}/pagibig/", timeout=5, follow_redirects=True)
        assert login.status_code == 200 and "<form" in login.text
    finally:
        process.terminate()
        process.wait(10)
