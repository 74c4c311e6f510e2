"""A real `sahod serve` process on the test database, shared by a module's tests."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.server import SERVER_TEST_ENV, SahodProcess, start_sahod


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything here starts real `sahod` processes (and some a browser or a private
    PostgreSQL): seconds per test, so `make test-fast` leaves them to `make test`."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.slow)


@dataclass(frozen=True)
class LiveServer:
    process: SahodProcess
    api_key: str
    api_secret: str
    tenant_id: str

    @property
    def base_url(self) -> str:
        return self.process.base_url


def run_cli(
    database_url: str, data_dir: Path, *args: str, timeout: float = 120, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """`python -m sahod.cli ARGS` on the test database, with none of this shell's SAHOD_
    settings (as an operator's fresh terminal would run it)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAHOD_")}
    env.update({"SAHOD_DATABASE_URL": database_url, "SAHOD_DATA_DIR": str(data_dir)})
    env.update(SERVER_TEST_ENV)
    return subprocess.run(
        [sys.executable, "-m", "sahod.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=check,
    )


def create_tenant_with_cli(database_url: str, data_dir: Path, name: str) -> dict[str, str]:
    done = run_cli(database_url, data_dir, "tenants", "create", name, "--json")
    keys: dict[str, str] = json.loads(done.stdout.strip().splitlines()[-1])
    return keys


def add_member_with_cli(
    database_url: str, data_dir: Path, tenant_id: str, email: str, role: str
) -> str:
    """`sahod tenants add-member`; the password it prints once."""
    done = run_cli(
        database_url, data_dir, "tenants", "add-member", tenant_id, email, "--role", role
    )
    found = re.search(r"Password: (\S+)", done.stdout)
    assert found, f"no password printed:\n{done.stdout}\n{done.stderr}"
    return found.group(1)


@contextmanager
def running_server(
    database_url: str,
    data_dir: Path,
    tenant_name: str,
    env: dict[str, str] | None = None,
    args: Sequence[str] = ("serve",),
) -> Iterator[LiveServer]:
    """A tenant made with `sahod tenants create`, and `sahod serve` (``args``) on the test
    database."""
    keys = create_tenant_with_cli(database_url, data_dir, tenant_name)
    process = start_sahod(
        list(args),
        env={"SAHOD_DATABASE_URL": database_url, **(env or {})},
        ready=r"Sahod is running",
        data_dir=data_dir,
    )
    try:
        yield LiveServer(
            process=process,
            api_key=keys["apiKey"],
            api_secret=keys["apiSecret"],
            tenant_id=keys["tenantId"],
        )
    finally:
        process.stop()


@pytest.fixture(scope="module")
def live_server(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    with running_server(database_url, tmp_path_factory.mktemp("live"), "Live Tenant") as server:
        yield server
