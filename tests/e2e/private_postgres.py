"""A PostgreSQL server of the test's own (initdb + pg_ctl on a free port in a temp dir),
for tests and benchmarks that restart or stop the database under a running Sahod. The
shared server the other tests use is never touched."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg

from tests.e2e.server import free_port

PG_BIN = Path(os.environ.get("SAHOD_TEST_PG_BIN", "/usr/lib/postgresql/15/bin"))


SYSTEM_USER = "postgres"
"""PostgreSQL refuses to run as root: as root, the server runs as this user."""


def _as_server_user(argv: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", SYSTEM_USER, "--", *argv]
    return argv


def available() -> bool:
    return (PG_BIN / "initdb").exists() and (PG_BIN / "pg_ctl").exists()


@dataclass
class PrivatePostgres:
    directory: Path
    port: int

    @property
    def pgdata(self) -> Path:
        return self.directory / "pgdata"

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _pg_ctl(self, *args: str) -> None:
        subprocess.run(
            _as_server_user([str(PG_BIN / "pg_ctl"), "-D", str(self.pgdata), "-l",
                             str(self.directory / "log"), "-w", "-t", "60", *args]),
            check=True,
            capture_output=True,
        )  # fmt: skip

    def start(self) -> None:
        self._pg_ctl(
            "start", "-o", f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1"
        )

    def stop(self, mode: str = "fast") -> None:
        self._pg_ctl("stop", "-m", mode)

    def restart(self, down_seconds: float = 0.0) -> None:
        """What a managed database does on a minor upgrade: stop (closing every
        connection), stay down a moment, start again."""
        self.stop()
        time.sleep(down_seconds)
        self.start()

    def answers(self) -> bool:
        try:
            with psycopg.connect(self.url, connect_timeout=2) as conn:
                conn.execute("SELECT 1")
            return True
        except psycopg.Error:
            return False

    def destroy(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop("immediate")
        shutil.rmtree(self.directory, ignore_errors=True)


def start_private_postgres() -> PrivatePostgres:
    directory = Path(tempfile.mkdtemp(prefix="sahod-pg-"))
    server = PrivatePostgres(directory=directory, port=free_port())
    if os.geteuid() == 0:
        shutil.chown(directory, user=SYSTEM_USER)
    subprocess.run(
        _as_server_user([str(PG_BIN / "initdb"), "-D", str(server.pgdata), "-U", "postgres",
                         "-A", "trust", "--no-sync", "-E", "UTF8"]),
        check=True,
        capture_output=True,
    )  # fmt: skip
    with (server.pgdata / "postgresql.conf").open("a") as conf:
        conf.write("fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n")
    server.start()
    return server
