"""The ten-line receiver of the README, run as written, receives a verified event."""

from __future__ import annotations

import asyncio
import base64
import os
import re
import sys
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import httpx

from sahod.webhooks.signing import signature_headers
from tests.e2e.server import free_port
from tests.webhooks.conftest import Env

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_receiver() -> str:
    text = README.read_text()
    section = text[text.index("A receiver in ten lines") :]
    found = re.search(r"```python\n(.*?)```", section, re.S)
    assert found is not None
    return found.group(1)


async def test_the_readme_receiver_works(
    delivery_env: Callable[..., AbstractAsyncContextManager[Env]], tmp_path: Path
) -> None:
    secret = "whsec_" + base64.b64encode(os.urandom(32)).decode()
    port = free_port()
    code = readme_receiver()
    assert len([line for line in code.splitlines() if line.strip()]) <= 12
    code = code.replace('"whsec_…"', repr(secret)).replace('("", 8080)', f'("127.0.0.1", {port})')
    script = tmp_path / "receiver.py"
    script.write_text(code)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(script),
        env=os.environ | {"PYTHONUNBUFFERED": "1"},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with delivery_env() as env:
            tenant = await env.tenant()
            hook = await tenant.create_webhook(f"http://127.0.0.1:{port}/", secret)
            user_id = await tenant.create_user()
            (delivery,) = await env.settled(
                hook["id"], lambda ds: len(ds) == 1 and ds[0].status == "SUCCEEDED"
            )
        # A forged request (signed with another secret) is refused with 400.
        async with httpx.AsyncClient() as client:
            forged = await client.post(
                f"http://127.0.0.1:{port}/",
                content=b'{"id":"et-1","type":"USER_CREATED","data":{}}',
                headers=signature_headers(b"{}", "et-1", int(time.time()), ["not-the-secret"]),
            )
        assert forged.status_code == 400
    finally:
        process.terminate()
        stdout, stderr = await asyncio.wait_for(process.communicate(), 10)
    out, err = stdout.decode(), stderr.decode()
    assert f"USER_CREATED {{'userId': '{user_id}'}}" in out, (out, err)
    assert delivery.attempt_count >= 1
