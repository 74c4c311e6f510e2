from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from sahod.datapoints.kinds import DataPointKind
from sahod.kit.clock import ManualClock
from tests.conftest import TenantClient
from tests.factories import (
    SAMPLE_PAYLOADS,
    make_account,
    make_datapoint,
    make_user,
    seed_connected_user,
)


@pytest.mark.parametrize("kind", list(DataPointKind))
async def test_each_kind_lists_and_gets_with_metadata(
    kind: DataPointKind, tenant: TenantClient, session: AsyncSession, clock: ManualClock
) -> None:
    user, account, points = await seed_connected_user(session, tenant.tenant_id, clock.now())
    listed = (await tenant.http.get(f"/v1/{kind.path}", params={"userId": user.id})).json()
    assert [item["id"] for item in listed["data"]["items"]] == [points[kind].id]
    item = (await tenant.http.get(f"/v1/{kind.path}/{points[kind].id}")).json()["data"]
    assert item["id"].startswith(kind.id_prefix + "-")
    for field, value in SAMPLE_PAYLOADS[kind].items():
        assert item[field] == value
    assert item["metadata"] == {
        "createdAt": account.created_at.isoformat().replace("+00:00", "Z"),
        "itemCreatedAt": clock.now().isoformat().replace("+00:00", "Z"),
        "accountId": account.id,
        "sourceId": account.id,
        "sourceType": "ACCOUNT",
        "providerId": "sss",
        "userId": user.id,
    }
    # An id of one kind is not found under another.
    other = next(k for k in DataPointKind if k is not kind)
    wrong = await tenant.http.get(f"/v1/{other.path}/{points[kind].id}")
    assert wrong.status_code == 404


async def test_filters_by_source_and_deprecated_account_id(
    tenant: TenantClient, session: AsyncSession, clock: ManualClock
) -> None:
    user = await make_user(session, tenant.tenant_id, clock.now())
    sss = await make_account(session, user, clock.now())
    pagibig = await make_account(session, user, clock.now(), provider_id="pagibig")
    a = await make_datapoint(session, sss, DataPointKind.LIABILITIES, clock.now())
    b = await make_datapoint(
        session, pagibig, DataPointKind.LIABILITIES, clock.now(), type="Multi-Purpose Loan"
    )
    await session.commit()
    by_source = (await tenant.http.get("/v1/liabilities", params={"sourceId": pagibig.id})).json()
    assert [i["id"] for i in by_source["data"]["items"]] == [b.id]
    by_account = (await tenant.http.get("/v1/contributions", params={"accountId": sss.id})).json()
    assert by_account["data"]["items"] == []
    both = (await tenant.http.get("/v1/liabilities", params={"userId": user.id})).json()
    assert {i["id"] for i in both["data"]["items"]} == {a.id, b.id}


async def test_date_filters_compare_the_records_own_date(
    tenant: TenantClient, session: AsyncSession, clock: ManualClock
) -> None:
    user = await make_user(session, tenant.tenant_id, clock.now())
    account = await make_account(session, user, clock.now())
    months = ["2024-01", "2024-02", "2024-03", "2024-04"]
    made = {}
    for month in months:
        made[month] = await make_datapoint(
            session,
            account,
            DataPointKind.CONTRIBUTIONS,
            clock.now(),
            date=f"{month}-28",
        )
        await make_datapoint(session, account, DataPointKind.EINCOMES, clock.now(), month=month)
    await session.commit()
    window = (
        await tenant.http.get(
            "/v1/contributions", params={"startDate": "2024-02-01", "endDate": "2024-03-31"}
        )
    ).json()["data"]["items"]
    assert sorted(i["date"] for i in window) == ["2024-02-28", "2024-03-28"]
    monthly = (
        await tenant.http.get(
            "/v1/eincomes", params={"startMonth": "2024-03", "endMonth": "2024-04"}
        )
    ).json()["data"]["items"]
    assert sorted(i["month"] for i in monthly) == ["2024-03", "2024-04"]
    bad = await tenant.http.get("/v1/eincomes", params={"startMonth": "March"})
    assert bad.status_code == 400 and "startMonth" in bad.json()["message"]


async def test_deep_pages_of_a_large_list(
    tenant: TenantClient, session: AsyncSession, clock: ManualClock
) -> None:
    user = await make_user(session, tenant.tenant_id, clock.now())
    account = await make_account(session, user, clock.now())
    for n in range(30):
        await make_datapoint(
            session,
            account,
            DataPointKind.CONTRIBUTIONS,
            clock.now() + timedelta(seconds=n),
            referenceId=f"PRN-{n}",
        )
    await session.commit()
    refs: list[str] = []
    cursor = None
    while True:
        params: dict[str, object] = {"size": 7, "userId": user.id}
        if cursor:
            params["cursor"] = cursor
        data = (await tenant.http.get("/v1/contributions", params=params)).json()["data"]
        refs += [i["referenceId"] for i in data["items"]]
        cursor = data["nextCursor"]
        if not cursor:
            break
    assert refs == [f"PRN-{n}" for n in reversed(range(30))]
