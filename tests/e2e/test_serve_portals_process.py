"""`sahod serve --workers 2` runs the sandbox portals once, in a supervised process of its
own, behind every API process's /sandbox/portals: a portal's sessions and faults are the
same whichever API process a request reaches."""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import re
import signal
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import pytest

from tests.e2e.conftest import LiveServer, running_server
from tests.e2e.server import OPERATOR_HEADERS, children_of, start_sahod
from tests.e2e.test_serve_processes import alive, wait_for
from tests.e2e.widget import Widget

GEORGE = ("gpalomero1234@smileapi.io", "123456")
FAST = {
    "SAHOD_MFA_TIMEOUT_SECONDS": "10",
    "SAHOD_RETRY_BASE_SECONDS": "0.2",
    # A link whose portal is in maintenance gives up after a second, not two hours.
    "SAHOD_LINK_RETRY_WINDOW_SECONDS": "1",
    "SAHOD_LINK_ATTEMPTS": "1",
    "SAHOD_WORKER_CONCURRENCY": "10",
}


@dataclass(frozen=True)
class Answer:
    status: int
    body: str
    headers: Mapping[str, str]
    pid: int
    """The API process that accepted the connection."""


def _server_side_inode(server_port: int, client_port: int) -> str | None:
    # /proc/net/tcp: "local rem st ... inode", addresses as HEXIP:HEXPORT.
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port = int(fields[1].split(":")[1], 16)
        remote_port = int(fields[2].split(":")[1], 16)
        if local_port == server_port and remote_port == client_port:
            return fields[9]
    return None


def _owner(inode: str, pids: list[int]) -> int:
    wanted = f"socket:[{inode}]"
    for pid in pids:
        with_fds = Path(f"/proc/{pid}/fd")
        for fd in os.listdir(with_fds):
            try:
                if os.readlink(with_fds / fd) == wanted:
                    return pid
            except OSError:
                continue
    raise AssertionError(f"no API process holds {wanted}")


def request(
    port: int,
    api_pids: list[int],
    method: str,
    path: str,
    *,
    headers: Mapping[str, str] | None = None,
    body: bytes | None = None,
) -> Answer:
    """One request on a new connection, and which API process served it (read from
    /proc while the kept-alive connection is still open)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.connect()
        assert connection.sock is not None
        client_port = connection.sock.getsockname()[1]
        connection.request(method, path, body=body, headers=dict(headers or {}))
        response = connection.getresponse()
        text = response.read().decode()
        inode = _server_side_inode(port, client_port)
        assert inode is not None, "the connection is gone"
        return Answer(response.status, text, dict(response.getheaders()), _owner(inode, api_pids))
    finally:
        connection.close()


def until_every_process(
    port: int, api_pids: list[int], method: str, path: str, **options: object
) -> list[Answer]:
    """Requests on fresh connections until each API process has answered at least once."""
    answers: list[Answer] = []
    for _ in range(200):
        answers.append(request(port, api_pids, method, path, **options))  # type: ignore[arg-type]
        if {a.pid for a in answers} == set(api_pids):
            return answers
    raise AssertionError(f"only { ({a.pid for a in answers}) } of {api_pids} answered")


@pytest.fixture(scope="module")
def server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data_dir = tmp_path_factory.mktemp("portals-process")
    with running_server(
        database_url, data_dir, "Portals Process Tenant", FAST, ["serve", "--workers", "2"]
    ) as running:
        yield running


def _children(server: LiveServer, marker: str) -> list[int]:
    return [p for p, c in children_of(server.process.process.pid).items() if marker in c]


def _api_pids(server: LiveServer) -> list[int]:
    wait_for(lambda: len(_children(server, "spawn_main")) == 2, 30, "two API processes")
    return _children(server, "spawn_main")


def _login_fields(page: str, username: str, password: str) -> dict[str, str]:
    """The login form's fields, named as the page names them."""
    hidden = re.search(r'type="hidden" name="([^"]+)" value="([^"]+)"', page)
    user = re.search(r'id="u" type="[^"]+" name="([^"]+)"', page)
    pin = re.search(r'id="p" type="password" name="([^"]+)"', page)
    assert hidden and user and pin, page
    return {hidden[1]: hidden[2], user[1]: username, pin[1]: password}


async def test_links_and_faults_hold_across_api_processes(server: LiveServer) -> None:
    port = server.process.port
    api = _api_pids(server)
    assert len(_children(server, "sandbox-portals")) == 1

    # A sign-in begun through one API process goes on through the other: the form's
    # session is found whichever process the submit reaches (403 if it were not). The
    # processes share one listening socket, and the first one awake accepts: under the
    # whole suite's load one of them took all of 60 connections in a row, so the pairs
    # go on for up to 30 s.
    crossed = set()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        form = request(port, api, "GET", "/sandbox/portals/sss/login")
        submit = request(
            port,
            api,
            "POST",
            "/sandbox/portals/sss/login",
            headers={
                "Cookie": form.headers["set-cookie"].split(";")[0],
                "Content-Type": "application/x-www-form-urlencoded",
            },
            body=urlencode(_login_fields(form.body, *GEORGE)).encode(),
        )
        assert submit.status in (302, 303), (submit.status, submit.body)
        if form.pid != submit.pid:
            crossed.add(form.pid)
        if crossed == set(api):
            break
        await asyncio.sleep(0.02)
    assert crossed == set(api), "the submits never reached another API process"

    widget = await Widget.open(server.base_url, server.api_key, server.api_secret)
    try:
        connected = await asyncio.gather(*(widget.connect_fully("sss", *GEORGE) for _ in range(4)))
        assert [view["connectionStatus"] for view in connected] == ["CONNECTED"] * 4

        # The operator endpoints are the mounted ones': 404 without the token.
        for answer in until_every_process(port, api, "GET", "/sandbox/portals/sss/_faults"):
            assert answer.status == 404, answer
        put = request(
            port,
            api,
            "PUT",
            "/sandbox/portals/sss/_faults",
            headers={**OPERATOR_HEADERS, "Content-Type": "application/json"},
            body=json.dumps({"maintenance": True}).encode(),
        )
        assert put.status == 200, put.body
        # Whichever API process reads them, the faults are the one portal's.
        for answer in until_every_process(
            port, api, "GET", "/sandbox/portals/sss/_faults", headers=OPERATOR_HEADERS
        ):
            assert answer.status == 200
            assert json.loads(answer.body)["maintenance"] is True, answer.pid
        for answer in until_every_process(port, api, "GET", "/sandbox/portals/sss/login"):
            assert answer.status == 503 and answer.headers["retry-after"] == "3600"

        accounts = await asyncio.gather(*(widget.connect("sss", *GEORGE) for _ in range(4)))
        for account in accounts:
            failed = await widget.wait(account["id"], until="ERROR")
            assert failed["connection"]["errorCode"] == "SERVICE_UNAVAILABLE", failed

        reset = request(port, api, "POST", "/sandbox/portals/sss/_reset", headers=OPERATOR_HEADERS)
        assert reset.status == 200, reset.body
        again = await widget.connect_fully("sss", *GEORGE)
        assert again["connectionStatus"] == "CONNECTED"
    finally:
        await widget.close()


def test_the_portals_process_is_restarted_and_stopped_with_serve(server: LiveServer) -> None:
    port = server.process.port
    api = _api_pids(server)
    (portals,) = _children(server, "sandbox-portals")
    os.kill(portals, signal.SIGKILL)
    wait_for(
        lambda: _children(server, "sandbox-portals") not in ([], [portals]),
        30,
        "the portals process restarted",
    )
    assert "sandbox portals exited" in "".join(server.process.output)
    # Same port, same URLs: the API processes forward to the new one.
    assert request(port, api, "GET", "/sandbox/portals/").status == 200

    (restarted,) = _children(server, "sandbox-portals")
    assert server.process.stop() == 0
    wait_for(lambda: not alive(restarted), 10, "the portals process left running")


def test_the_portals_process_stops_when_serve_is_killed(database_url: str, tmp_path: Path) -> None:
    process = start_sahod(
        ["serve", "--workers", "2"],
        env={"SAHOD_DATABASE_URL": database_url},
        ready=r"Sahod is running",
        data_dir=tmp_path,
    )
    parent = process.process.pid
    wait_for(
        lambda: any("sandbox-portals" in c for c in children_of(parent).values()),
        30,
        "a portals process",
    )
    started = list(children_of(parent))
    (portals,) = [p for p, c in children_of(parent).items() if "sandbox-portals" in c]
    try:
        process.stop(signal.SIGKILL)
        wait_for(lambda: not alive(portals), 15, "the portals process outlived serve")
    finally:
        # Whatever else serve started must not outlive the test either.
        for pid in started:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
