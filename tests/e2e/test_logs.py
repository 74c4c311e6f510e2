"""What `sahod serve` prints while it works: JSON lines from the API, the job worker and
uvicorn, each with the ids of the request or job it belongs to, and no secret."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import LiveServer, running_server
from tests.e2e.widget import Widget

PASSWORD = "sandbox1"


@pytest.fixture(scope="module")
def server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with running_server(
        database_url, tmp_path_factory.mktemp("logs"), "Logging Tenant", {"SAHOD_LOG_LEVEL": "INFO"}
    ) as running:
        yield running


def _lines(server: LiveServer) -> tuple[list[dict[str, Any]], list[str]]:
    parsed: list[dict[str, Any]] = []
    other: list[str] = []
    for line in "".join(server.process.output).splitlines():
        if line.startswith("{"):
            parsed.append(json.loads(line))  # a line that starts as JSON must be JSON
        elif line.strip():
            other.append(line)
    return parsed, other


async def _until(server: LiveServer, found: Any, within: float = 20) -> list[dict[str, Any]]:
    for _ in range(int(within / 0.2)):
        lines, _ = _lines(server)
        if found(lines):
            return lines
        await asyncio.sleep(0.2)
    raise AssertionError(f"not logged: {''.join(server.process.output)[-4000:]}")


async def test_requests_jobs_and_uvicorn_log_json_lines_with_their_ids(
    server: LiveServer,
) -> None:
    async with httpx.AsyncClient(
        base_url=server.base_url, auth=(server.api_key, server.api_secret), timeout=10
    ) as api:
        created = await api.post("/v1/users", json={"externalMetadata": {"loanId": "L-9"}})
        assert created.status_code == 201
        request_id = created.headers["x-request-id"]
        tenant_id = created.json()["data"]["user"]["id"].split("-")[0]

    widget = await Widget.open(server.base_url, server.api_key, server.api_secret)
    try:
        account = await widget.connect("pagibig", "nomfa@sahod.test", PASSWORD)
        await widget.wait(account["id"], until="CONNECTED", syncing=False)
    finally:
        await widget.close()

    # A request uvicorn itself refuses: its own warning comes out as a JSON line too.
    host, port = server.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as raw:
        raw.sendall(b"NOT HTTP AT ALL\r\n\r\n")
        raw.recv(1024)

    lines = await _until(
        server,
        lambda found: (
            any(line.get("logger", "").startswith("uvicorn") for line in found)
            and any(
                line.get("task") == "sync.advance" and "ended with status" in line["event"]
                for line in found
            )
        ),
    )
    for line in lines:
        assert {"event", "level", "logger", "time"} <= set(line), line

    (access,) = [line for line in lines if line.get("request_id") == request_id]
    assert access["event"] == "request" and access["path"] == "/v1/users"
    assert access["status"] == 201 and access["tenant_id"] == tenant_id

    # Every line the link's job wrote names the job and its tenant.
    job_lines = [line for line in lines if line.get("task") == "sync.advance"]
    assert len(job_lines) >= 2  # started and ended, at least
    assert len({line["job_id"] for line in job_lines}) == 1
    assert all(isinstance(line["job_id"], int) for line in job_lines)
    assert all(line["tenant_id"] == tenant_id for line in job_lines)
    # The widget's Link API requests carry the tenant too.
    link = [line for line in lines if line.get("path", "").startswith("/link/v1/accounts")]
    assert link and all(line["tenant_id"] == tenant_id for line in link)

    uvicorn = [line for line in lines if line["logger"].startswith("uvicorn")]
    assert any("Invalid HTTP request" in line["event"] for line in uvicorn), uvicorn

    _, other = _lines(server)
    assert all(line.startswith("  ") for line in other), other  # only the banner is not JSON
    printed = "".join(server.process.output)
    for secret in (server.api_secret, widget.token, widget.session_token, PASSWORD):
        assert secret not in printed
