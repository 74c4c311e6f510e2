"""The Users Explorer: search, a user's accounts, the CV view and the raw JSON."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from sahod.datapoints.kinds import DataPointKind
from sahod.kit.clock import ManualClock
from sahod.portal.schemas import Role
from tests.conftest import TenantClient
from tests.factories import make_account, make_datapoint, make_user, seed_connected_user
from tests.portal.conftest import MemberFactory


async def test_search_finds_a_user_by_id_and_by_external_metadata(
    tenant: TenantClient, member_of: MemberFactory
) -> None:
    created = await tenant.http.post("/v1/users", json={"externalMetadata": {"loanId": "L-1042"}})
    other = await tenant.http.post("/v1/users", json={"externalMetadata": {"loanId": "L-7"}})
    user_id = created.json()["data"]["user"]["id"]
    other_id = other.json()["data"]["user"]["id"]
    viewer = await member_of(tenant.tenant_id, Role.VIEWER)
    by_value = await viewer.http.get("/portal/users", params={"q": "L-1042"})
    assert user_id in by_value.text and other_id not in by_value.text
    by_id = await viewer.http.get("/portal/users", params={"q": other_id})
    assert other_id in by_id.text and user_id not in by_id.text
    newest = await viewer.http.get("/portal/users")
    assert user_id in newest.text and other_id in newest.text
    nothing = await viewer.http.get("/portal/users", params={"q": "L-10"})
    assert user_id not in nothing.text and "No users match" in nothing.text


async def test_a_users_page_shows_accounts_a_cv_and_the_json_the_api_serves(
    tenant: TenantClient, member_of: MemberFactory, session: AsyncSession, clock: ManualClock
) -> None:
    user, account, points = await seed_connected_user(session, tenant.tenant_id, clock.now())
    viewer = await member_of(tenant.tenant_id, Role.VIEWER)
    page = await viewer.http.get(f"/portal/users/{user.id}")
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert account.id in text and "CONNECTED" in text and "ACTIVE" in text
    assert "George Cimafranca Palomero, Jr" in text  # identity
    assert "ABC Corporation" in text  # employment timeline
    assert "SSS contributions a month" in text and "<rect" in page.text  # chart
    assert "14,599.76" in text  # the loan's balance
    assert "Estimated monthly income" in text and "<polyline" in page.text
    # The raw JSON of each data point, as GET /v1/<kind>/{id} serves it.
    api = await tenant.http.get(f"/v1/contributions/{points[DataPointKind.CONTRIBUTIONS].id}")
    served = api.json()["data"]
    assert f'"id": "{served["id"]}"' in text and '"sourceType": "ACCOUNT"' in text


async def test_contributions_are_drawn_per_agency_month_by_month(
    tenant: TenantClient, member_of: MemberFactory, session: AsyncSession, clock: ManualClock
) -> None:
    user = await make_user(session, tenant.tenant_id, clock.now())
    sss = await make_account(session, user, clock.now())
    gsis = await make_account(session, user, clock.now(), provider_id="gsis")
    for month, amount in (("2024-04-30", 1000.0), ("2024-05-31", 2000.0), ("2024-06-30", 4000.0)):
        await make_datapoint(
            session, sss, DataPointKind.CONTRIBUTIONS, clock.now(), date=month, amount=amount
        )
    await make_datapoint(session, gsis, DataPointKind.CONTRIBUTIONS, clock.now() + timedelta(1))
    await session.commit()
    viewer = await member_of(tenant.tenant_id, Role.VIEWER)
    text = html.unescape((await viewer.http.get(f"/portal/users/{user.id}")).text)
    assert "SSS contributions a month" in text and "GSIS contributions a month" in text
    heights = {
        m: float(h)
        for h, m in re.findall(r'height="([\d.]+)" fill="#0072B2"><title>(2024-0[456])', text)
    }
    # Bars are proportional to the amounts.
    assert heights["2024-06"] == 2 * heights["2024-05"] == 4 * heights["2024-04"]


async def test_a_developer_revokes_an_account_from_the_users_page(
    tenant: TenantClient, member_of: MemberFactory, session: AsyncSession, clock: ManualClock
) -> None:
    user, account, _ = await seed_connected_user(session, tenant.tenant_id, clock.now())
    export = await tenant.http.post(
        f"/v1/accounts/{account.id}/exports/generate", json={"exportExtensionType": "CSV"}
    )
    link = urlsplit(export.json()["data"]["downloadUrl"])
    assert (await tenant.http.get(f"{link.path}?{link.query}")).status_code == 200
    developer = await member_of(tenant.tenant_id, Role.DEVELOPER)
    answer = await developer.post(f"/portal/users/{user.id}/accounts/{account.id}/revoke")
    assert answer.status_code == 303
    served = (await tenant.http.get(f"/v1/accounts/{account.id}")).json()["data"]
    assert served["connection"]["status"] == "DISCONNECTED"
    identities = await tenant.http.get("/v1/identities", params={"userId": user.id})
    assert identities.json()["data"]["items"] == []
    # The export's file went with the revoke, not at the next retention sweep.
    assert (await tenant.http.get(f"{link.path}?{link.query}")).status_code == 404
