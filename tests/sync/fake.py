"""A connector with no portal behind it, for the pipeline's state tests (the outside
world is faked; the pipeline, its tasks and the database are the real ones), and a job
runner on procrastinate's in-memory connector that runs the tasks as a worker would."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any

import procrastinate
from procrastinate.testing import InMemoryConnector
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from sahod.config import Settings
from sahod.providers.base import (
    ConnectorError,
    Credentials,
    ErrorCode,
    FetchedRecord,
    LoginOutcome,
    MfaChallenge,
    PortalSession,
)
from sahod.runtime import TASK_REGISTRATIONS, Runtime

CODE = "123456"


@dataclass
class FakePortal:
    """How the one fake portal behaves; tests change it between steps."""

    asks_code: bool = False
    login_error: ConnectorError | None = None
    fetch_error: ConnectorError | None = None
    records: list[FetchedRecord] = field(default_factory=list)
    """What a fetch reads."""
    while_fetching: Callable[[], Awaitable[None]] | None = None
    """Something that happens elsewhere while the portal is read (a revoke, say)."""
    logins: int = 0
    fetches: int = 0


@dataclass
class FakeConnector:
    provider_id: str
    portal: FakePortal = field(default_factory=FakePortal)

    async def login(
        self, credentials: Credentials, *, remembered_device: str | None = None
    ) -> LoginOutcome:
        self.portal.logins += 1
        if self.portal.login_error is not None:
            raise self.portal.login_error
        if self.portal.asks_code and remembered_device is None:
            return MfaChallenge(self.provider_id, "sms", "+63 9** *** 4567", {"step": 1})
        return PortalSession(self.provider_id, {"sid": "s1"}, remembered_device)

    async def submit_mfa(self, pending_state: dict[str, object], code: str) -> PortalSession:
        if code != CODE:
            raise ConnectorError(ErrorCode.INVALID_MFA)
        return PortalSession(self.provider_id, {"sid": "s2"}, "device-1")

    async def fetch(self, session: PortalSession) -> list[FetchedRecord]:
        self.portal.fetches += 1
        if self.portal.while_fetching is not None:
            await self.portal.while_fetching()
        if self.portal.fetch_error is not None:
            raise self.portal.fetch_error
        return list(self.portal.records)

    async def aclose(self) -> None:
        return None


def with_fake_portal(runtime: Runtime, portal: FakePortal) -> Runtime:
    def factory(provider_id: str, settings: Settings, mode: str) -> FakeConnector:
        return FakeConnector(provider_id, portal)

    return replace(runtime, connector_factory=factory, connectors={})


async def run_jobs(session: AsyncSession, runtime: Runtime) -> list[str]:
    """Run the jobs the code under test queued (in the test's transaction) with the real
    tasks on procrastinate's in-memory queue, until none is due; their names, in order."""
    app = procrastinate.App(connector=InMemoryConnector())
    for register in TASK_REGISTRATIONS:
        register(app, runtime.settings)
    # Only what the test queued: no periodic scan or stalled-job check.
    app.periodic_registry.periodic_tasks.clear()
    ran: list[str] = []
    async with app.open_async():
        while True:
            rows = (
                await session.execute(
                    text(
                        "DELETE FROM procrastinate_jobs WHERE id IN (SELECT id FROM "
                        "procrastinate_jobs WHERE status = 'todo' AND (scheduled_at IS NULL "
                        "OR scheduled_at <= :now) ORDER BY id) RETURNING id, task_name, args"
                    ),
                    {"now": runtime.clock.now()},
                )
            ).all()
            await session.commit()
            if not rows:
                return ran
            for row in sorted(rows, key=lambda r: r.id):
                args: dict[str, Any] = dict(row.args)
                await app.configure_task(row.task_name).defer_async(**args)
                ran.append(row.task_name)
            await app.run_worker_async(
                wait=False,
                install_signal_handlers=False,
                concurrency=1,
                additional_context={"runtime": runtime},
            )
