"""A worker killed with SIGKILL in the middle of a sync loses nothing: another worker picks
the stalled job up and the account ends connected, its data stored once."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.e2e.conftest import create_tenant_with_cli
from tests.e2e.server import OPERATOR_HEADERS, start_sahod
from tests.e2e.widget import Widget

STALL = {
    "SAHOD_WORKER_HEARTBEAT_SECONDS": "0.5",
    "SAHOD_STALLED_AFTER_SECONDS": "2",
    "SAHOD_STALLED_CHECK_SECONDS": "1",
}


@pytest.mark.slow
async def test_a_worker_killed_mid_sync_loses_nothing(database_url: str, tmp_path: Path) -> None:
    keys = create_tenant_with_cli(database_url, tmp_path, "Crash Tenant")
    env = {"SAHOD_DATABASE_URL": database_url, **STALL}
    server = start_sahod(
        ["serve", "--no-worker"], env=env, ready=r"Sahod is running", data_dir=tmp_path
    )
    worker_env = {**env, "SAHOD_PORTAL_BASE_URL": f"{server.base_url}/sandbox/portals"}
    first = start_sahod(
        ["worker"], env=worker_env, ready=r"worker running", data_dir=tmp_path, wait_http=False
    )
    second = None
    widget = await Widget.open(server.base_url, keys["apiKey"], keys["apiSecret"])
    try:
        async with httpx.AsyncClient(base_url=server.base_url, headers=OPERATOR_HEADERS) as http:
            await http.put("/sandbox/portals/gsis/_faults", json={"slow_persona_ms": 1500})
        account = await widget.connect("gsis", "slow@sahod.test", "sandbox1")
        view = await widget.wait_any(account["id"], ("AWAITING_MFA", "CONNECTED"))
        if view["connectionStatus"] == "AWAITING_MFA":
            await widget.submit_code(account["id"])
        await widget.wait(account["id"], until="CONNECTED", syncing=True)
        await asyncio.sleep(1.5)  # well into the fetch (about 10 s at 1.5 s a page)
        assert first.stop(signal.SIGKILL) == -signal.SIGKILL
        await asyncio.sleep(1)
        stuck = await widget.account(account["id"])
        assert (stuck["connectionStatus"], stuck["syncing"]) == ("CONNECTED", True)

        second = start_sahod(
            ["worker"], env=worker_env, ready=r"worker running", data_dir=tmp_path, wait_http=False
        )
        done = await widget.wait(account["id"], until="CONNECTED", syncing=False, within=90)
        assert done["connection"]["errorCode"] is None
        with psycopg.connect(database_url) as conn:
            duplicates = conn.execute(
                "SELECT count(*) FROM (SELECT kind, reference FROM datapoints "
                "WHERE account_id = %s GROUP BY 1, 2 HAVING count(*) > 1) d",
                (account["id"],),
            ).fetchone()
            stored = conn.execute(
                "SELECT count(*) FROM datapoints WHERE account_id = %s", (account["id"],)
            ).fetchone()
            finished = conn.execute(
                "SELECT count(*) FROM events WHERE type = 'TASK_FINISHED' "
                "AND data->>'sourceId' = %s",
                (account["id"],),
            ).fetchone()
        assert duplicates == (0,)
        assert stored is not None and stored[0] > 50
        assert finished == (1,)
    finally:
        await widget.close()
        first.stop(signal.SIGKILL)
        if second is not None:
            second.stop()
        server.stop()
