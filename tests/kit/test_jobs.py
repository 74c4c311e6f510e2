"""Jobs enqueued in the caller's transaction: they exist exactly when it commits."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from sahod.kit.jobs import defer, defer_many
from sahod.runtime import Runtime


async def _jobs(session: AsyncSession, task_name: str) -> list[dict[str, object]]:
    rows = await session.execute(
        text(
            "SELECT lock, queueing_lock, args, scheduled_at FROM procrastinate_jobs "
            "WHERE task_name = :name ORDER BY id"
        ),
        {"name": task_name},
    )
    return [dict(row._mapping) for row in rows]


async def test_a_job_exists_only_if_its_transaction_commits(shared_runtime: Runtime) -> None:
    async with shared_runtime.session_factory() as session:
        await defer(session, "test.rolled_back", x=1)
        await session.rollback()
        assert await _jobs(session, "test.rolled_back") == []


async def test_defer_with_locks_and_arguments(session: AsyncSession) -> None:
    job_id = await defer(session, "test.locked", lock="a-1", account_id="a-1", n=2)
    assert isinstance(job_id, int)
    [job] = await _jobs(session, "test.locked")
    assert job["lock"] == "a-1" and job["args"] == {"account_id": "a-1", "n": 2}


async def test_a_queueing_lock_keeps_one_waiting_job_and_the_transaction_alive(
    session: AsyncSession,
) -> None:
    first = await defer(session, "test.queued", queueing_lock="sync:a-1", account_id="a-1")
    second = await defer(session, "test.queued", queueing_lock="sync:a-1", account_id="a-1")
    assert first is not None and second is None
    # The caller's transaction is still usable after the refused one.
    assert (await session.execute(text("SELECT 1"))).scalar_one() == 1
    assert len(await _jobs(session, "test.queued")) == 1


async def test_defer_many_queues_a_batch_and_skips_what_is_already_waiting(
    session: AsyncSession,
) -> None:
    await defer(session, "test.batch", queueing_lock="sync:a-2", account_id="a-2")
    queued = await defer_many(
        session,
        "test.batch",
        [(f"a-{n}", f"sync:a-{n}", {"account_id": f"a-{n}"}) for n in range(1, 5)],
    )
    assert queued == 3  # a-2 was waiting already
    waiting = sorted(str(job["queueing_lock"]) for job in await _jobs(session, "test.batch"))
    assert waiting == ["sync:a-1", "sync:a-2", "sync:a-3", "sync:a-4"]
    plain = await defer_many(session, "test.plain", [(None, None, {"n": n}) for n in range(3)])
    assert plain == 3
