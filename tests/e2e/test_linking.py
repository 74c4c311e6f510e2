"""Linking accounts end to end: a real `sahod serve` (API + worker) and the sandbox portals,
one test per kind of persona."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import httpx
import psycopg
import pytest

from sahod.providers.base import ErrorCode
from sahod.providers.registry import REGISTRATIONS
from tests.e2e.conftest import LiveServer, running_server
from tests.e2e.server import OPERATOR_HEADERS
from tests.e2e.widget import Widget

GEORGE = ("gpalomero1234@smileapi.io", "123456")
FAST = {
    "SAHOD_MFA_TIMEOUT_SECONDS": "4",
    "SAHOD_RETRY_BASE_SECONDS": "0.2",
    # The persona whose portal is always down gives up after the retry window: a short one.
    "SAHOD_LINK_RETRY_WINDOW_SECONDS": "2",
    "SAHOD_WORKER_CONCURRENCY": "30",
}


@pytest.fixture(scope="module")
def server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data_dir = tmp_path_factory.mktemp("linking")
    with running_server(database_url, data_dir, "Linking Tenant", FAST) as running:
        yield running


@pytest.fixture
async def widget(server: LiveServer) -> AsyncIterator[Widget]:
    opened = await Widget.open(server.base_url, server.api_key, server.api_secret)
    yield opened
    await opened.close()


def events_of(database_url: str, account_id: str) -> list[str]:
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT type FROM events WHERE data->>'accountId' = %s OR data->>'sourceId' = %s "
            "ORDER BY seq",
            (account_id, account_id),
        ).fetchall()
    return [row[0] for row in rows]


async def test_success_with_a_one_time_code(widget: Widget, database_url: str) -> None:
    account = await widget.connect("sss", *GEORGE)
    waiting = await widget.wait(account["id"], until="AWAITING_MFA")
    assert waiting["mfa"]["method"] == "sms" and "*" in waiting["mfa"]["destination"]
    assert (await widget.submit_code(account["id"])).status_code == 200
    view = await widget.wait(account["id"], until="CONNECTED", syncing=False)
    assert view["monitorStatus"] == "ACTIVE"

    tenant = widget.tenant
    for kind in (
        "identities",
        "employments",
        "documents",
        "contributions",
        "liabilities",
        "eincomes",
    ):
        items = (await tenant.get(f"/v1/{kind}", params={"sourceId": account["id"]})).json()[
            "data"
        ]["items"]
        assert items, kind
        assert all(i["metadata"]["userId"] == widget.user_id for i in items)
    tasks = (await tenant.get("/v1/tasks", params={"sourceId": account["id"]})).json()["data"][
        "items"
    ]
    assert len(tasks) == 1
    assert tasks[0]["type"] == "LINK_ACCOUNT" and tasks[0]["status"] == "Finished"
    assert set(tasks[0]["datapoints"]) == {
        "IDENTITIES",
        "EMPLOYMENTS",
        "DOCUMENTS",
        "CONTRIBUTIONS",
        "LIABILITIES",
        "EINCOMES",
    }
    payload = (await tenant.get(f"/v1/accounts/{account['id']}/payload")).json()["data"]
    assert payload["identity"]["fullName"].startswith("George")
    assert payload["metadata"]["sourceId"] == account["id"]

    events = events_of(database_url, account["id"])
    assert events[:4] == ["TASK_STARTED", "ACCOUNT_CREATED", "ACCOUNT_CONNECTED", "IDENTITY_ADDED"]
    assert events[-1] == "TASK_FINISHED"
    assert {"LIABILITIES_ADDED", "CONTRIBUTIONS_ADDED", "EINCOMES_ADDED"} <= set(events)


async def test_success_without_a_one_time_code(widget: Widget) -> None:
    account = await widget.connect("philhealth", "nomfa@sahod.test", "sandbox1")
    view = await widget.wait(account["id"], until="CONNECTED", syncing=False)
    assert view["mfa"] is None
    eincomes = (await widget.tenant.get("/v1/eincomes", params={"sourceId": account["id"]})).json()[
        "data"
    ]["items"]
    assert eincomes and all(e["currency"] == "PHP" for e in eincomes)


LOGIN_ERRORS = [
    code for code in ErrorCode if code not in (ErrorCode.INVALID_MFA, ErrorCode.MFA_TIMEOUT)
]


async def test_every_error_persona_ends_in_its_error_code(
    widget: Widget, database_url: str
) -> None:
    providers = [registration.id for registration in REGISTRATIONS]

    async def one(index: int, code: ErrorCode) -> tuple[ErrorCode, dict[str, object]]:
        provider = providers[index % len(providers)]
        account = await widget.connect(provider, f"persona{index}@sahod.test", f"error_{code}")
        view = await widget.wait_any(account["id"], ("AWAITING_MFA", "ERROR", "CONNECTED"))
        if view["connectionStatus"] == "AWAITING_MFA":
            await widget.submit_code(account["id"])
        return code, await widget.wait(account["id"], until="ERROR", within=90)

    results = await asyncio.gather(*(one(i, c) for i, c in enumerate(LOGIN_ERRORS)))
    for code, view in results:
        connection = view["connection"]
        assert connection["errorCode"] == code.value, (code, connection)
        assert connection["errorMessage"]
        assert "error_" not in connection["errorMessage"]  # the password never leaks
        assert events_of(database_url, str(view["id"]))[-2:] == ["ACCOUNT_FAILED", "TASK_FINISHED"]


async def test_invalid_mfa_persona_rejects_every_code(widget: Widget) -> None:
    """Wrong codes are answered one by one; the portal's limit (3) ends in INVALID_MFA."""
    account = await widget.connect("sss", "mfa.bad@sahod.test", "error_INVALID_MFA")
    view = await widget.wait(account["id"], until="AWAITING_MFA")
    for _ in range(2):
        before = view["connection"]["updatedAt"]
        assert (await widget.submit_code(account["id"])).status_code == 200
        view = await widget.wait_changed(account["id"], before)
        assert view["connectionStatus"] == "AWAITING_MFA"
        assert view["connection"]["errorCode"] == "INVALID_MFA"
    assert (await widget.submit_code(account["id"])).status_code == 200
    view = await widget.wait(account["id"], until="ERROR")
    assert view["connection"]["errorCode"] == "INVALID_MFA"


async def test_a_wrong_code_can_be_corrected(widget: Widget) -> None:
    account = await widget.connect("gsis", *GEORGE)
    await widget.wait(account["id"], until="AWAITING_MFA")
    assert (await widget.submit_code(account["id"], "0000")).status_code == 200
    for _ in range(100):
        view = await widget.account(account["id"])
        if view["connection"]["errorCode"] == "INVALID_MFA":
            break
        await asyncio.sleep(0.1)
    assert view["connectionStatus"] == "AWAITING_MFA"
    assert "not right" in view["connection"]["errorMessage"]
    assert (await widget.submit_code(account["id"], "1234")).status_code == 200
    done = await widget.wait(account["id"], until="CONNECTED", syncing=False)
    assert done["connection"]["errorCode"] is None


async def test_a_code_never_entered_times_out(widget: Widget) -> None:
    account = await widget.connect("pagibig", *GEORGE)
    await widget.wait(account["id"], until="AWAITING_MFA")
    view = await widget.wait(account["id"], until="ERROR", within=30)
    assert view["connection"]["errorCode"] == "MFA_TIMEOUT"
    late = await widget.submit_code(account["id"])
    assert late.status_code == 400


async def test_revoke_during_a_sync_leaves_nothing_behind(
    widget: Widget, server: LiveServer, database_url: str
) -> None:
    async with httpx.AsyncClient(base_url=server.base_url, headers=OPERATOR_HEADERS) as http:
        await http.put("/sandbox/portals/sss/_faults", json={"slow_persona_ms": 300})
    try:
        account = await widget.connect("sss", "slow@sahod.test", "sandbox1")
        await widget.wait_any(account["id"], ("AWAITING_MFA", "CONNECTED"))
        if (await widget.account(account["id"]))["connectionStatus"] == "AWAITING_MFA":
            await widget.submit_code(account["id"])
        await widget.wait(account["id"], until="CONNECTED", syncing=True)
        revoked = await widget.tenant.delete(f"/v1/accounts/{account['id']}")
        assert revoked.status_code == 200
        await asyncio.sleep(4)  # the fetch that was running ends meanwhile
        view = await widget.account(account["id"])
        assert view["connectionStatus"] == "DISCONNECTED"
        with psycopg.connect(database_url) as conn:
            left = conn.execute(
                "SELECT count(*) FROM datapoints WHERE account_id = %s", (account["id"],)
            ).fetchone()
            creds = conn.execute(
                "SELECT count(*) FROM account_credentials WHERE account_id = %s", (account["id"],)
            ).fetchone()
        assert left == (0,) and creds == (0,)
        assert events_of(database_url, account["id"])[-1] == "ACCOUNT_DISCONNECTED"
    finally:
        async with httpx.AsyncClient(base_url=server.base_url, headers=OPERATOR_HEADERS) as http:
            await http.put("/sandbox/portals/sss/_faults", json={"slow_persona_ms": 2000})


async def test_the_user_revokes_from_the_widget_and_tokens_stay_with_their_user(
    widget: Widget, server: LiveServer
) -> None:
    connected = await widget.connect_fully("pagibig", "noloans@sahod.test", "sandbox1")
    other = await Widget.open(server.base_url, server.api_key, server.api_secret)
    try:
        async with other._link() as link:
            peek = await link.get(f"/link/v1/accounts/{connected['id']}")
            assert (peek.status_code, peek.json()["code"]) == (404, "MISSING_RESOURCE")
            steal = await link.delete(f"/link/v1/accounts/{connected['id']}")
            assert steal.status_code == 404
    finally:
        await other.close()
    async with widget._link() as link:
        mine = (await link.get("/link/v1/accounts")).json()["data"]["items"]
        assert [a["id"] for a in mine] == [connected["id"]]
        assert (await link.delete(f"/link/v1/accounts/{connected['id']}")).status_code == 200
    assert (await widget.account(connected["id"]))["connectionStatus"] == "DISCONNECTED"
    left = (await widget.tenant.get("/v1/identities", params={"sourceId": connected["id"]})).json()[
        "data"
    ]["items"]
    assert left == []


async def test_bad_tokens_are_refused(server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic x"}):
            response = await http.get("/link/v1/accounts", headers=headers)
            assert (response.status_code, response.json()["code"]) == (401, "INVALID_TOKEN")
