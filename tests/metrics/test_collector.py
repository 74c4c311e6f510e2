"""The figures read from the database at scrape time."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from sahod.kit.clock import ManualClock
from sahod.metrics import repository
from sahod.metrics.collector import DatabaseCollector, scrape_engine
from sahod.providers.base import ErrorCode
from sahod.tasks.schemas import TaskOutcome
from tests.conftest import TenantClient
from tests.e2e.server import free_port
from tests.factories import make_account, make_task, make_user


async def _read(db_connection: AsyncConnection, read: Any, *args: Any) -> Any:
    def run(connection: Connection) -> Any:
        return read(connection, *args)

    return await db_connection.run_sync(run)


async def test_cds_accounts_due_and_late(
    db_connection: AsyncConnection, session: AsyncSession, tenant: TenantClient, clock: ManualClock
) -> None:
    now = clock.now()
    late_before = now - timedelta(minutes=15)
    before = await _read(db_connection, repository.cds_due, now, late_before)
    user = await make_user(session, tenant.tenant_id, now - timedelta(days=40))
    for due_since in (timedelta(minutes=1), timedelta(hours=2), timedelta(days=1)):
        account = await make_account(session, user, now - timedelta(days=40))
        account.next_sync_at = now - due_since
    not_yet = await make_account(session, user, now - timedelta(days=40))
    not_yet.next_sync_at = now + timedelta(days=3)
    disabled = await make_account(
        session, user, now - timedelta(days=40), monitor="CUSTOMER_DISABLED"
    )
    disabled.next_sync_at = now - timedelta(days=2)
    await session.flush()

    due, late = await _read(db_connection, repository.cds_due, now, late_before)
    assert (due - before[0], late - before[1]) == (3, 2)


async def test_sign_ins_by_provider_outcome_and_error(
    db_connection: AsyncConnection, session: AsyncSession, tenant: TenantClient, clock: ManualClock
) -> None:
    def counted(rows: list[tuple[str, str, str, str | None, int]]) -> dict[tuple[Any, ...], int]:
        return {row[:4]: row[4] for row in rows}

    before = counted(await _read(db_connection, repository.finished_tasks))
    user = await make_user(session, tenant.tenant_id, clock.now())
    account = await make_account(session, user, clock.now(), provider_id="gsis")
    for _ in range(2):
        await make_task(session, account, clock.now())
    failed = await make_task(session, account, clock.now())
    failed.outcome = TaskOutcome.FAILED
    failed.error_code = ErrorCode.ACCOUNT_LOCKED
    await session.flush()

    after = counted(await _read(db_connection, repository.finished_tasks))

    def moved(key: tuple[Any, ...]) -> int:
        return after.get(key, 0) - before.get(key, 0)

    assert moved(("gsis", "LINK_ACCOUNT", "SUCCEEDED", None)) == 2
    assert moved(("gsis", "LINK_ACCOUNT", "FAILED", "ACCOUNT_LOCKED")) == 1


def _scrape(collector: DatabaseCollector) -> str:
    registry = CollectorRegistry()
    registry.register(collector)
    return generate_latest(registry).decode()


def test_the_scrape_reads_the_database(database_url: str) -> None:
    engine = scrape_engine(database_url)
    try:
        text = _scrape(DatabaseCollector(engine, cds_late_after=timedelta(minutes=15)))
    finally:
        engine.dispose()
    assert "sahod_database_up 1.0" in text
    for family in ("sahod_sign_ins_total", "sahod_cds_accounts_due", "sahod_jobs_queued"):
        assert f"# TYPE {family.removesuffix('_total')}" in text


def test_the_scrape_answers_while_the_database_is_away() -> None:
    engine = scrape_engine(f"postgresql://postgres@127.0.0.1:{free_port()}/postgres")
    try:
        text = _scrape(DatabaseCollector(engine, cds_late_after=timedelta(minutes=15)))
    finally:
        engine.dispose()
    assert "sahod_database_up 0.0" in text
    assert "sahod_sign_ins" not in text
