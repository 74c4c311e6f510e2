"""The wire JSON PostgreSQL keeps for each account follows it through its transitions."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sahod.accounts import lifecycle
from sahod.accounts.models import Account
from sahod.accounts.service import account_wire
from sahod.kit.clock import ManualClock
from sahod.providers.base import ErrorCode
from tests.conftest import TenantClient
from tests.factories import make_account, make_user


async def stored_wire(session: AsyncSession, account: Account) -> dict[str, object]:
    await session.flush()
    text = (
        await session.execute(select(Account.wire_json).where(Account.id == account.id))
    ).scalar_one()
    parsed: dict[str, object] = json.loads(text)
    return parsed


async def test_the_stored_json_is_the_wire_item_after_each_transition(
    session: AsyncSession, clock: ManualClock, tenant: TenantClient
) -> None:
    user = await make_user(session, tenant.tenant_id, clock.now())
    created = datetime(2026, 3, 1, 8, 0, 0, tzinfo=UTC)  # a whole second: no fraction
    account = await make_account(session, user, created, status="PENDING", monitor="UNSUPPORTED")
    wire = await stored_wire(session, account)
    assert wire == account_wire(account)
    assert wire["monitor"] == {"status": "UNSUPPORTED", "updatedAt": None}

    failed_at = created + timedelta(minutes=3, microseconds=5)
    message = 'The portal said "locked" \\ ñ\nTry later'
    lifecycle.fail(account, failed_at, ErrorCode.ACCOUNT_LOCKED, message)
    wire = await stored_wire(session, account)
    assert wire == account_wire(account)
    assert wire["connection"] == {
        "status": "ERROR",
        "errorCode": "ACCOUNT_LOCKED",
        "errorMessage": message,
        "updatedAt": "2026-03-01T08:03:00.000005Z",
    }

    lifecycle.reauthorize(account, clock.now(), login_name="member@example.ph")
    assert await stored_wire(session, account) == account_wire(account)
