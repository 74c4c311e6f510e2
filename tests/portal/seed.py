"""One of everything a portal page can be about, in one tenant."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sahod.kit.clock import ManualClock
from sahod.portal.schemas import Role
from sahod.portal.service import create_member
from sahod.tenants.schemas import TenantContext, TenantMode
from sahod.tenants.service import create_key
from sahod.webhooks.models import WebhookDelivery
from tests.conftest import TenantClient
from tests.factories import seed_connected_user

if TYPE_CHECKING:
    from tests.portal.conftest import MemberFactory
    from tests.portal.test_security import Objects


async def seed_tenant_objects(
    tenant: TenantClient, session: AsyncSession, clock: ManualClock, member_of: MemberFactory
) -> Objects:
    from tests.portal.test_security import Objects

    context = TenantContext(id=tenant.tenant_id, mode=TenantMode.SANDBOX)
    key = await create_key(session, context, clock.now())
    member = await create_member(
        session, tenant.tenant_id, "seeded@acme.example", Role.VIEWER, clock.now()
    )
    await session.commit()
    user, account, _ = await seed_connected_user(session, tenant.tenant_id, clock.now())
    webhook_id = await tenant.create_webhook("http://127.0.0.1:9/hook")
    assert (await tenant.http.post("/v1/users", json={})).status_code == 201
    delivery_id = (
        await session.execute(
            select(WebhookDelivery.id).where(WebhookDelivery.webhook_id == webhook_id)
        )
    ).scalar_one()
    return Objects(
        key=key.api_key,
        member_id=member.member_id,
        user_id=user.id,
        account_id=account.id,
        webhook_id=webhook_id,
        delivery_id=delivery_id,
    )
