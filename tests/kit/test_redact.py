"""httpx's request log lines keep the path and lose the query (tokens live there)."""

from __future__ import annotations

import logging

import httpx
import pytest

from sahod.kit.redact import install_query_redaction


async def test_httpx_logs_urls_without_their_query(caplog: pytest.LogCaptureFixture) -> None:
    install_query_redaction()
    install_query_redaction()  # idempotent
    transport = httpx.MockTransport(lambda request: httpx.Response(200))
    with caplog.at_level(logging.INFO, logger="httpx"):
        async with httpx.AsyncClient(transport=transport) as client:
            await client.post("https://hooks.example.com/in?token=s3cret&x=1")
    lines = [r.getMessage() for r in caplog.records if r.name == "httpx"]
    assert lines, "httpx logged nothing"
    assert all("s3cret" not in line for line in lines), lines
    assert any("https://hooks.example.com/in?…" in line for line in lines), lines
    assert len(logging.getLogger("httpx").filters) == 1
