"""Log lines are JSON with the ids of the work they belong to, and never a secret."""

from __future__ import annotations

import io
import json
import logging
import time
from collections.abc import Iterator
from typing import Any

import pytest
from procrastinate import JobContext
from procrastinate.jobs import Job

from sahod.kit.logs import configure_logging, get_logger
from sahod.metrics.jobs import observe_job
from sahod.runtime import Runtime
from tests.conftest import TenantClient


@pytest.fixture
def lines() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    stream = io.StringIO()
    configure_logging("INFO", stream)
    try:
        yield stream
    finally:
        root.handlers, root.level = handlers, level


def parsed(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


async def test_a_request_logs_its_request_and_tenant_ids(
    lines: io.StringIO, tenant: TenantClient
) -> None:
    response = await tenant.http.post("/v1/users", json={"externalMetadata": {"loanId": "L-1"}})
    assert response.status_code == 201
    access = [line for line in parsed(lines) if line.get("event") == "request"]
    assert len(access) == 1
    line = access[0]
    assert line["request_id"] == response.headers["x-request-id"]
    assert line["tenant_id"] == tenant.tenant_id
    assert (line["method"], line["path"], line["status"]) == ("POST", "/v1/users", 201)
    assert line["level"] == "info" and line["logger"] == "sahod.access" and "time" in line
    assert tenant.keys.api_secret not in lines.getvalue()


async def test_a_job_logs_its_job_id_task_and_tenant(
    lines: io.StringIO, shared_runtime: Runtime
) -> None:
    job = Job(
        id=42,
        queue="default",
        lock=None,
        queueing_lock=None,
        task_name="sync.advance",
        task_kwargs={"tenant_id": "acme", "account_id": "a-1", "task_id": "t-1"},
    )

    async def run() -> str:
        # Code inside the job logs the usual way, stdlib or structlog.
        logging.getLogger("sahod.sync").info("signing in to %s", "sss")
        get_logger("sahod.sync").info("fetched", rows=3)
        return "done"

    context = JobContext(
        app=shared_runtime.jobs, job=job, start_timestamp=time.time(), abort_reason=lambda: None
    )
    assert await observe_job(run, context, None) == "done"
    logging.getLogger("sahod.elsewhere").info("after the job")
    inside, structured, after = parsed(lines)
    for line in (inside, structured):
        assert (line["job_id"], line["task"], line["tenant_id"]) == (42, "sync.advance", "acme")
    assert inside["event"] == "signing in to sss" and structured["rows"] == 3
    assert "job_id" not in after and "tenant_id" not in after


def test_procrastinate_lines_carry_the_job_they_are_about(lines: io.StringIO) -> None:
    job = {"id": 7, "task_name": "sahod.webhooks.deliver", "task_kwargs": {"tenant_id": "acme"}}
    logging.getLogger("procrastinate.worker").info("Starting job", extra={"job": job})
    (line,) = parsed(lines)
    assert (line["job_id"], line["task"], line["tenant_id"]) == (
        7,
        "sahod.webhooks.deliver",
        "acme",
    )


def test_no_secret_reaches_a_line(lines: io.StringIO) -> None:
    log = get_logger("sahod.test")
    log.info("signing in", password="hunter2", api_secret="ss_live_x", token="tok_abc")
    logging.getLogger("sahod.test").info(
        "delivering to %s", "https://receiver.example/hook?token=tok_in_query"
    )
    text = lines.getvalue()
    for secret in ("hunter2", "ss_live_x", "tok_abc", "tok_in_query"):
        assert secret not in text
    first, second = parsed(lines)
    assert first["password"] == "[redacted]"
    assert second["event"] == "delivering to https://receiver.example/hook?…"
