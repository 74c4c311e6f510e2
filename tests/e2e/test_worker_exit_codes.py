"""`sahod worker` exits non-zero only on a configuration error; a database that is not
there (yet) is waited for."""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from tests.e2e.server import free_port, start_sahod


def test_a_worker_waits_for_a_database_that_does_not_answer(tmp_path: Path) -> None:
    nowhere = f"postgresql://postgres@127.0.0.1:{free_port()}/postgres"
    worker = start_sahod(
        ["worker"],
        env={"SAHOD_DATABASE_URL": nowhere, "SAHOD_WORKER_RESTART_MAX_SECONDS": "0.5"},
        ready=r"database unavailable",
        data_dir=tmp_path,
        wait_http=False,
        timeout=60,
    )
    time.sleep(2)
    assert worker.process.poll() is None, "".join(worker.output)
    assert worker.stop() == 0


def test_a_worker_with_a_missing_database_exits_2(tmp_path: Path, database_url: str) -> None:
    wrong = urlunsplit(urlsplit(database_url)._replace(path="/sahod_no_such_database"))
    worker = start_sahod(
        ["worker"],
        env={"SAHOD_DATABASE_URL": wrong},
        ready=r"the worker cannot run",
        data_dir=tmp_path,
        wait_http=False,
        timeout=60,
    )
    assert worker.process.wait(30) == 2
    assert worker.logged('database "sahod_no_such_database" does not exist'), worker.output
