"""Continuous Data Sync against the sandbox portals, on one moving clock.

The portals and the pipeline share the test's ManualClock, so moving it a month makes a
new contribution appear and loan balances go down, and makes syncs fall due. Jobs are run
by ``Harness.run_jobs`` in the order a worker would (inside the test's transaction, which a
real worker could not see), calling the same functions the tasks call.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from sahod.accounts.models import Account
from sahod.app import create_app
from sahod.cds import service as cds_service
from sahod.cds import tasks as cds_tasks
from sahod.kit.clock import ManualClock
from sahod.providers.base import Credentials
from sahod.providers.sandbox import BackgroundPortals
from sahod.runtime import Runtime
from sahod.sync.pipeline import ADVANCE, MFA_DEADLINE, Pipeline
from sahod.sync.service import link_account, submit_mfa_code
from sahod.tenants.schemas import IssuedKeys, TenantContext, TenantMode
from sahod.tenants.service import create_tenant
from sahod.users.schemas import UserCreate
from sahod.users.service import create_user


@pytest.fixture
def portals_clock(clock: ManualClock) -> ManualClock:
    """The suite's portals (``portals``) read the test's own clock."""
    return clock


@dataclass
class Harness:
    runtime: Runtime
    session: AsyncSession
    clock: ManualClock
    keys: IssuedKeys
    user_id: str
    token: str
    portals: BackgroundPortals

    async def run_jobs(self) -> list[tuple[str, dict[str, Any]]]:
        """Run every job that is due by the clock, oldest first, until none is left."""
        ran: list[tuple[str, dict[str, Any]]] = []
        while True:
            row = (
                await self.session.execute(
                    text(
                        "SELECT id, task_name, args FROM procrastinate_jobs WHERE status = 'todo' "
                        "AND (scheduled_at IS NULL OR scheduled_at <= :now) ORDER BY id LIMIT 1"
                    ),
                    {"now": self.clock.now()},
                )
            ).first()
            if row is None:
                return ran
            await self.session.execute(
                text("DELETE FROM procrastinate_jobs WHERE id = :id"), {"id": row.id}
            )
            await self.session.commit()
            args = dict(row.args)
            ran.append((row.task_name, args))
            if row.task_name == ADVANCE:
                tenant_id = args.pop("tenant_id")
                await Pipeline(self.runtime, tenant_id).advance(**args)
            elif row.task_name == MFA_DEADLINE:
                tenant_id = args.pop("tenant_id")
                await Pipeline(self.runtime, tenant_id).time_out_if_due(**args)
            elif row.task_name == cds_service.START_UPDATE:
                await cds_tasks.start_update_now(
                    self.runtime, args["tenant_id"], args["account_id"], monthly=args["monthly"]
                )

    async def scan(self) -> int:
        return await cds_tasks.scan_due_accounts(self.runtime, self.clock.now())

    async def link(self, provider: str, username: str, password: str, code: str = "1234") -> str:
        account = await link_account(
            self.session,
            tenant_id=self.keys.tenant_id,
            user_id=self.user_id,
            provider_id=provider,
            credentials=Credentials(username, password),
            sealer=self.runtime.sealer,
            now=self.clock.now(),
        )
        await self.session.commit()
        await self.run_jobs()
        await self.session.refresh(account)
        if account.connection_status == "AWAITING_MFA":
            await submit_mfa_code(self.session, account, code, self.runtime.sealer)
            await self.session.commit()
            await self.run_jobs()
        await self.session.refresh(account)
        assert account.connection_status == "CONNECTED", account.error_code
        return account.id

    async def account(self, account_id: str) -> Account:
        found = await self.session.get(Account, account_id, populate_existing=True)
        assert found is not None
        return found

    async def events(self, after_seq: int = 0) -> list[tuple[int, str, dict[str, Any]]]:
        rows = (
            await self.session.execute(
                text(
                    "SELECT seq, type, data FROM events WHERE tenant_id = :t AND seq > :s "
                    "ORDER BY seq"
                ),
                {"t": self.keys.tenant_id, "s": after_seq},
            )
        ).all()
        return [(row.seq, row.type, row.data) for row in rows]

    def http(self, *, bearer: bool = False) -> httpx.AsyncClient:
        app = create_app(runtime=self.runtime)
        if bearer:
            # The widget's side: a client that first spends the user's link token for a
            # widget session, as the widget does when it opens.
            return httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app),
                base_url="http://testserver",
                auth=_WidgetSession(self.token),
            )
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://testserver",
            auth=(self.keys.api_key, self.keys.api_secret),
        )

    def at(self, instant: datetime) -> None:
        self.clock.set(instant)

    def forward(self, delta: timedelta) -> None:
        self.clock.advance(delta)


@pytest.fixture
async def harness(
    runtime: Runtime, session: AsyncSession, clock: ManualClock, portals: BackgroundPortals
) -> AsyncIterator[Harness]:
    settings = runtime.settings.model_copy(
        update={"portal_base_url": portals.base_url, "sync_retry_base_seconds": 600.0}
    )
    cds_runtime = replace(runtime, settings=settings, connectors={})
    keys = await create_tenant(session, "CDS Lending", TenantMode.SANDBOX, clock.now())
    created = await create_user(
        session, keys_context(keys), UserCreate(), clock.now(), timedelta(days=3650)
    )
    await session.commit()
    yield Harness(
        cds_runtime, session, clock, keys, created.user.id, created.token.access_token, portals
    )
    for connector in cds_runtime.connectors.values():
        await connector.aclose()


def keys_context(keys: IssuedKeys) -> TenantContext:
    return TenantContext(id=keys.tenant_id, mode=keys.mode)


class _WidgetSession(httpx.Auth):
    """Bearer auth with the widget session the link token opens (once, on first use)."""

    requires_response_body = True

    def __init__(self, link_token: str) -> None:
        self.link_token = link_token
        self.session_token: str | None = None

    def auth_flow(self, request: httpx.Request):  # type: ignore[no-untyped-def]
        if self.session_token is None:
            opened = yield httpx.Request(
                "POST",
                request.url.copy_with(path="/link/v1/session", query=None),
                headers={"Authorization": f"Bearer {self.link_token}"},
            )
            self.session_token = opened.json()["data"]["sessionToken"]
        request.headers["Authorization"] = f"Bearer {self.session_token}"
        yield request
