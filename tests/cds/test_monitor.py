"""Every transition of an account's monitor, and the tenant's own refresh."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from tests.cds.conftest import Harness

START = datetime(2026, 5, 12, 2, 0, tzinfo=UTC)  # 10:00 on 12 May, Manila
FIRST_SYNC = datetime(2026, 6, 11, 19, 0, tzinfo=UTC)  # 03:00 on 12 June, Manila


async def last_event(harness: Harness, kind: str) -> dict[str, object]:
    return next(d for _, k, d in reversed(await harness.events()) if k == kind)


async def test_connected_accounts_are_monitored(harness: Harness) -> None:
    harness.at(START)
    account = await harness.account(await harness.link("pagibig", "nomfa@sahod.test", "sandbox1"))
    assert account.monitor_status == "ACTIVE"
    assert account.monitor_updated_at == START
    assert account.sync_day == 12


async def test_a_changed_password_needs_the_user_and_reauthorizing_restores_it(
    harness: Harness,
) -> None:
    harness.at(START)
    account_id = await harness.link("sss", "changed.password@sahod.test", "oldpass123")
    harness.at(FIRST_SYNC)
    assert await harness.scan() == 1
    await harness.run_jobs()
    account = await harness.account(account_id)
    assert (account.connection_status, account.monitor_status) == (
        "CONNECTED",
        "USER_ACTION_REQUIRED",
    )
    finished = await last_event(harness, "ACCOUNT_SYNC_TASK_FINISHED")
    assert finished["status"] == "FAILED"
    assert finished["monitorStatus"] == "USER_ACTION_REQUIRED"
    assert finished["errorCode"] == "INVALID_CREDENTIALS"
    # The data stays, and no further monthly sync is queued while the user is needed.
    async with harness.http() as tenant:
        kept = (await tenant.get("/v1/contributions", params={"sourceId": account_id})).json()[
            "data"
        ]["items"]
    assert kept
    harness.forward(timedelta(days=31))
    assert await harness.scan() == 0

    # The user opens the widget and signs in again, with the new password.
    async with harness.http(bearer=True) as widget:
        wrong = await widget.post(
            f"/link/v1/accounts/{account_id}/reauthorize",
            json={"credentials": {"username": "x", "password": "y"}, "extra": 1},
        )
        assert wrong.status_code == 400
        again = await widget.post(
            f"/link/v1/accounts/{account_id}/reauthorize",
            json={
                "credentials": {"username": "changed.password@sahod.test", "password": "newpass456"}
            },
        )
        assert again.status_code == 200, again.text
        assert again.json()["data"]["id"] == account_id
        assert again.json()["data"]["connectionStatus"] == "PENDING"
    await harness.run_jobs()
    account = await harness.account(account_id)
    if account.connection_status == "AWAITING_MFA":
        async with harness.http(bearer=True) as widget:
            await widget.post(f"/link/v1/accounts/{account_id}/mfa", json={"code": "1234"})
        await harness.run_jobs()
        account = await harness.account(account_id)
    assert (account.connection_status, account.monitor_status) == ("CONNECTED", "ACTIVE")
    finished = await last_event(harness, "ACCOUNT_SYNC_TASK_FINISHED")
    assert (finished["status"], finished["monitorStatus"]) == ("SUCCEEDED", "ACTIVE")


async def test_a_portal_that_insists_on_a_code_needs_the_user(harness: Harness) -> None:
    harness.at(START)
    account_id = await harness.link("philhealth", "alwaysmfa@sahod.test", "sandbox1")
    harness.at(FIRST_SYNC)
    await harness.scan()
    await harness.run_jobs()
    account = await harness.account(account_id)
    assert account.monitor_status == "USER_ACTION_REQUIRED"
    assert (await last_event(harness, "ACCOUNT_SYNC_TASK_FINISHED"))["errorCode"] == (
        "AUTH_REQUIRED"
    )


async def test_customer_disabled_accounts_are_not_synced(harness: Harness) -> None:
    harness.at(START)
    account_id = await harness.link("gsis", "nomfa@sahod.test", "sandbox1")
    async with harness.http() as tenant:
        response = await tenant.post(f"/v1/accounts/{account_id}/disableMonitor")
        assert response.status_code == 200
        shown = (await tenant.get(f"/v1/accounts/{account_id}")).json()["data"]
    assert shown["monitor"]["status"] == "CUSTOMER_DISABLED"
    harness.at(FIRST_SYNC)
    assert await harness.scan() == 0


async def test_a_portal_down_is_retried_within_the_day_and_the_monitor_stays_active(
    harness: Harness,
) -> None:
    harness.at(START)
    account_id = await harness.link("sss", "nomfa@sahod.test", "sandbox1")
    harness.at(FIRST_SYNC)
    async with httpx.AsyncClient(base_url=harness.portals.base_url) as portal:
        await portal.put("/sss/_faults", json={"maintenance": True})
        await harness.scan()
        await harness.run_jobs()
        account = await harness.account(account_id)
        assert account.monitor_status == "ACTIVE"
        # Tried again ten minutes later (the portal answers 503 meanwhile)...
        harness.forward(timedelta(minutes=11))
        ran = await harness.run_jobs()
        assert [name for name, _ in ran] == ["sync.advance"]
        await portal.put("/sss/_faults", json={"maintenance": False})
    # ...and once the portal is back, the next try succeeds, the same day.
    harness.forward(timedelta(minutes=25))
    await harness.run_jobs()
    finished = await last_event(harness, "ACCOUNT_SYNC_TASK_FINISHED")
    assert (finished["status"], finished["monitorStatus"]) == ("SUCCEEDED", "ACTIVE")
    assert harness.clock.now() - FIRST_SYNC < timedelta(hours=1)


async def test_a_tenant_refresh_is_allowed_once_an_hour(harness: Harness) -> None:
    harness.at(START)
    account_id = await harness.link("pagibig", "nomfa@sahod.test", "sandbox1")
    async with harness.http() as tenant:
        first = await tenant.post(f"/v1/accounts/{account_id}/sync")
        assert first.status_code == 202
        again = await tenant.post(f"/v1/accounts/{account_id}/sync")
        assert (again.status_code, again.json()["code"]) == (429, "REQUEST_LIMIT_EXCEEDED")
        assert "hour" in again.json()["message"]
        await harness.run_jobs()
        assert (await last_event(harness, "ACCOUNT_SYNC_TASK_FINISHED"))["status"] == ("SUCCEEDED")
        harness.forward(timedelta(minutes=61))
        assert (await tenant.post(f"/v1/accounts/{account_id}/sync")).status_code == 202
        missing = await tenant.post("/v1/accounts/a-missing/sync")
        assert missing.status_code == 404
