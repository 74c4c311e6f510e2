from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from sahod.kit.clock import ManualClock
from tests.conftest import TenantClient
from tests.factories import make_account, make_user


async def test_account_object_has_the_seed_shape(
    tenant: TenantClient, session: AsyncSession, clock: ManualClock
) -> None:
    user = await make_user(session, tenant.tenant_id, clock.now())
    account = await make_account(
        session, user, clock.now(), provider_id="gsis", status="ERROR", monitor="UNSUPPORTED"
    )
    account.error_code = "ACCOUNT_LOCKED"
    account.error_message = "Your account is locked."
    await session.commit()

    body = (await tenant.http.get(f"/v1/accounts/{account.id}")).json()["data"]
    assert body == {
        "id": account.id,
        "createdAt": "2026-11-02T01:00:00Z",
        "providerId": "gsis",
        "userId": user.id,
        "connectionStatus": "ERROR",
        "connection": {
            "status": "ERROR",
            "errorCode": "ACCOUNT_LOCKED",
            "errorMessage": "Your account is locked.",
            "updatedAt": "2026-11-02T01:00:00Z",
        },
        "monitorStatus": "UNSUPPORTED",
        "monitor": {"status": "UNSUPPORTED", "updatedAt": None},
    }


async def test_list_accounts_by_user_and_date(
    tenant: TenantClient, session: AsyncSession, clock: ManualClock
) -> None:
    alice = await make_user(session, tenant.tenant_id, clock.now())
    bob = await make_user(session, tenant.tenant_id, clock.now())
    early = await make_account(session, alice, clock.now() - timedelta(days=10))
    late = await make_account(session, alice, clock.now(), provider_id="pagibig")
    bobs = await make_account(session, bob, clock.now())
    await session.commit()

    everything = (await tenant.http.get("/v1/accounts")).json()["data"]["items"]
    assert [a["id"] for a in everything] == [bobs.id, late.id, early.id]
    alices = (await tenant.http.get("/v1/accounts", params={"userId": alice.id})).json()
    assert [a["id"] for a in alices["data"]["items"]] == [late.id, early.id]
    recent = (
        await tenant.http.get(
            "/v1/accounts",
            params={
                "userId": alice.id,
                "startDate": (clock.now() - timedelta(days=1)).date().isoformat(),
            },
        )
    ).json()
    assert [a["id"] for a in recent["data"]["items"]] == [late.id]
    older = (
        await tenant.http.get(
            "/v1/accounts", params={"endDate": (clock.now() - timedelta(days=5)).date().isoformat()}
        )
    ).json()
    assert [a["id"] for a in older["data"]["items"]] == [early.id]


async def test_account_pages_cover_every_account_once(
    tenant: TenantClient, session: AsyncSession, clock: ManualClock
) -> None:
    user = await make_user(session, tenant.tenant_id, clock.now())
    made = [await make_account(session, user, clock.now()) for _ in range(7)]
    await session.commit()
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, object] = {"size": 3}
        if cursor:
            params["cursor"] = cursor
        data = (await tenant.http.get("/v1/accounts", params=params)).json()["data"]
        seen += [a["id"] for a in data["items"]]
        pages += 1
        cursor = data["nextCursor"]
        if cursor is None:
            break
    assert pages == 3
    assert sorted(seen) == sorted(a.id for a in made)


async def test_unknown_account_is_404(tenant: TenantClient) -> None:
    response = await tenant.http.get("/v1/accounts/a-" + "0" * 32)
    assert (response.status_code, response.json()["code"]) == (404, "MISSING_RESOURCE")
