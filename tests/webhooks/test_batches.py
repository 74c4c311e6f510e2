"""Deliveries in batches: a dead worker's batch comes back, a slow receiver holds up no one."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

import orjson
import pytest
from prometheus_client import REGISTRY
from sqlalchemy import text

from sahod.db import driver_connection_of, session_scope
from sahod.events.service import emit
from sahod.kit import jobs
from sahod.runtime import Runtime
from sahod.webhooks import delivery, repository
from sahod.webhooks.tasks import drain
from tests.webhooks.conftest import FAST, Env
from tests.webhooks.receiver import Receiver, Reply
from tests.webhooks.test_delivery import EnvFactory, all_in


async def claim_by_hand(
    runtime: Runtime, tenant_id: str, webhook_id: str, lease: delivery.DrainLease | None = None
) -> delivery.Batch | None:
    """A worker's claim of up to ten, played by the test (what it sends, if anything, is up
    to the test)."""
    async with session_scope(runtime.session_factory) as session:
        return await delivery.claim_batch(
            await driver_connection_of(session),
            runtime.sealer,
            tenant_id,
            webhook_id,
            runtime.clock.now(),
            runtime.settings,
            size=10,
            concurrency=10,
            lease=lease,
        )


async def test_a_batch_whose_worker_died_is_sent_again_once_its_lease_runs_out(
    delivery_runtime: Runtime,
) -> None:
    settings = delivery_runtime.settings.model_copy(update=FAST | {"webhook_timeout_seconds": 0.5})
    runtime = replace(delivery_runtime, settings=settings)
    env = Env(runtime=runtime, _clients=[])  # no worker: this test plays its parts
    async with Receiver() as receiver:
        tenant = await env.tenant()
        hook = await tenant.create_webhook(receiver.url, "s3cret-s3cret")
        await env.emit(tenant.id, "USER_CREATED", {"userId": "u-1"})
        batch = await claim_by_hand(runtime, tenant.id, hook["id"])
        assert batch is not None and len(batch.items) == 1
        # The worker dies here: the batch is claimed, never sent nor recorded.
        await drain(runtime, tenant.id, hook["id"])
        assert receiver.posts == []  # leased: no one else sends it meanwhile
        (waiting,) = await env.deliveries(hook["id"])
        assert waiting.status == "PENDING"
        await asyncio.sleep(delivery.lease_seconds(settings, 10, 10) + 0.2)
        await drain(runtime, tenant.id, hook["id"])
        (done,) = await env.settled(hook["id"], all_in("SUCCEEDED", 1))
        assert [post.json()["data"]["userId"] for post in receiver.posts] == ["u-1"]
        assert done.attempt_count == 1
    for client in env._clients:
        await client.aclose()


async def test_one_drain_at_a_time_holds_a_webhook_and_claims_past_what_it_has_out(
    delivery_runtime: Runtime,
) -> None:
    """The lease is the webhook's: while one drain holds it (in another worker, here played
    by hand), another claims nothing; the holder's next claim takes only what came after
    its batch still out; once it lets go, the next drain sends what is left."""
    runtime = delivery_runtime
    env = Env(runtime=runtime, _clients=[])  # no worker: this test plays its parts

    async def claim(lease: delivery.DrainLease) -> list[str]:
        batch = await claim_by_hand(runtime, tenant.id, hook["id"], lease)
        return (
            [] if batch is None else [orjson.loads(i.body)["data"]["userId"] for i in batch.items]
        )

    async with Receiver() as receiver:
        tenant = await env.tenant()
        hook = await tenant.create_webhook(receiver.url, "s3cret-s3cret")
        await env.emit(tenant.id, "USER_CREATED", {"userId": "u-1"})
        holder, other = delivery.DrainLease(), delivery.DrainLease()
        assert await claim(holder) == ["u-1"]
        await env.emit(tenant.id, "USER_CREATED", {"userId": "u-2"})
        assert await claim(other) == []
        await drain(runtime, tenant.id, hook["id"])  # this process's drain: held, too
        assert receiver.posts == []
        assert await claim(holder) == ["u-2"]  # not u-1 again: it is out
        assert await claim(holder) == []
        async with session_scope(runtime.session_factory) as session:
            await delivery.release(
                await driver_connection_of(session), tenant.id, hook["id"], holder
            )
        # The holder died before recording: both are sent again, in order, by the next drain.
        await drain(runtime, tenant.id, hook["id"])
        await env.settled(hook["id"], all_in("SUCCEEDED", 2))
        assert [post.json()["data"]["userId"] for post in receiver.posts] == ["u-1", "u-2"]
    for client in env._clients:
        await client.aclose()


@pytest.mark.slow
async def test_a_slow_receiver_does_not_hold_up_another(delivery_env: EnvFactory) -> None:
    async with (
        delivery_env(webhook_timeout_seconds=10.0) as env,
        Receiver(lambda _: Reply(200, delay=6.0)) as slow,
        Receiver() as fast,
    ):
        tenant = await env.tenant()
        slow_hook = await tenant.create_webhook(slow.url, "s3cret-s3cret")
        await env.emit(tenant.id, "USER_CREATED", {"userId": "first"})
        await asyncio.sleep(0.3)  # the slow receiver's batch is out
        fast_hook = await tenant.create_webhook(fast.url, "s3cret-s3cret")
        for n in range(20):
            await env.emit(tenant.id, "USER_CREATED", {"userId": f"u{n}"})
        await env.settled(fast_hook["id"], all_in("SUCCEEDED", 20), within=10)
        # All delivered while the slow receiver still sits on its first request.
        first, *_ = await env.deliveries(slow_hook["id"])
        assert first.status == "PENDING" and first.attempt_count == 0
        await env.settled(slow_hook["id"], all_in("SUCCEEDED", 21), within=40)


def deliver_jobs_run() -> float:
    """Delivery jobs this process's workers have run (the worker's own counter)."""
    found = REGISTRY.get_sample_value(
        "sahod_jobs_total", {"task": delivery.DELIVER_TASK, "outcome": "succeeded"}
    )
    return found or 0.0


async def emit_in_transactions(env: Env, tenant_id: str, transactions: int, each: int) -> None:
    for t in range(transactions):
        async with session_scope(env.runtime.session_factory) as session:
            for n in range(each):
                await emit(
                    session,
                    tenant_id,
                    "USER_CREATED",
                    {"userId": f"u{t}-{n}"},
                    env.runtime.clock.now(),
                )


async def waiting_wake_ups(env: Env, webhook_id: str) -> int:
    async with env.runtime.session_factory() as session:
        found = await session.execute(
            text(
                "SELECT count(*) FROM procrastinate_jobs WHERE task_name = :task"
                " AND status = 'todo' AND args->>'webhook_id' = :id"
            ),
            {"task": delivery.DELIVER_TASK, "id": webhook_id},
        )
        return int(found.scalar_one())


async def test_a_burst_to_one_webhook_wakes_it_a_handful_of_times_and_every_event_arrives(
    delivery_runtime: Runtime, delivery_env: EnvFactory
) -> None:
    idle = Env(runtime=delivery_runtime, _clients=[])  # no worker yet
    async with Receiver() as receiver:
        tenant = await idle.tenant()
        hook = await tenant.create_webhook(receiver.url, "s3cret-s3cret")
        # 500 events in ten transactions, nobody draining: one wake-up per transaction at
        # most (exactly one for the first), not one per delivery.
        await emit_in_transactions(idle, tenant.id, 1, 50)
        assert await waiting_wake_ups(idle, hook["id"]) == 1
        await emit_in_transactions(idle, tenant.id, 9, 50)
        assert await waiting_wake_ups(idle, hook["id"]) <= 10
        async with delivery_env() as env:
            await env.settled(hook["id"], all_in("SUCCEEDED", 500), within=60)
            # 500 more while the worker drains: at most a wake-up per transaction.
            before = deliver_jobs_run()
            await emit_in_transactions(env, tenant.id, 10, 50)
            found = await env.settled(hook["id"], all_in("SUCCEEDED", 1000), within=60)
            await asyncio.sleep(0.3)  # a wake-up that found the webhook drained has ended
            assert 1 <= deliver_jobs_run() - before <= 10
    assert all(d.attempt_count == 1 for d in found)
    assert len({post.event_id for post in receiver.posts}) == 1000
    for client in idle._clients:
        await client.aclose()


async def test_an_event_whose_wake_up_is_missed_right_after_a_drain_still_arrives_at_once(
    delivery_runtime: Runtime,
) -> None:
    """The worker can miss the notification of the wake-up an event relies on; the drain
    before it looks again shortly after, so the event does not wait for the next poll."""
    env = Env(runtime=delivery_runtime, _clients=[])  # no worker: nobody polls for jobs
    async with Receiver() as receiver:
        tenant = await env.tenant()
        hook = await tenant.create_webhook(receiver.url, "s3cret-s3cret")
        await env.emit(tenant.id, "USER_CREATED", {"userId": "u-1"})
        await drain(delivery_runtime, tenant.id, hook["id"])
        assert [post.json()["data"]["userId"] for post in receiver.posts] == ["u-1"]
        await env.emit(tenant.id, "USER_CREATED", {"userId": "u-2"})
        async with session_scope(delivery_runtime.session_factory) as session:
            # Its wake-up, never fetched: as good as missed.
            await session.execute(
                text("DELETE FROM procrastinate_jobs WHERE args->>'webhook_id' = :id"),
                {"id": hook["id"]},
            )
        posts = await receiver.wait_for(lambda p: len(p) == 2, within=2.0)
        assert [post.json()["data"]["userId"] for post in posts] == ["u-1", "u-2"]
    for client in env._clients:
        await client.aclose()


async def test_a_drain_retires_the_wake_ups_it_makes_redundant_and_keeps_a_later_retry(
    delivery_runtime: Runtime,
) -> None:
    """After an outage, the events' transactions have left one wake-up each: the drain that
    sends their deliveries takes them off the queue (so no job is fetched just to find the
    webhook drained), but not a wake-up for a retry that is not yet due."""
    env = Env(runtime=delivery_runtime, _clients=[])  # no worker: the wake-ups wait
    async with Receiver() as receiver:
        tenant = await env.tenant()
        hook = await tenant.create_webhook(receiver.url, "s3cret-s3cret")
        for _ in range(3):
            await emit_in_transactions(env, tenant.id, 1, 5)
            await asyncio.sleep(delivery.FRESH_WAKE_UP.total_seconds() + 0.05)
        assert await waiting_wake_ups(env, hook["id"]) == 3
        later = delivery_runtime.clock.now() + timedelta(minutes=5)
        async with session_scope(delivery_runtime.session_factory) as session:
            await repository.wake(
                await driver_connection_of(session),
                tenant.id,
                [(hook["id"], later)],
                queue=jobs.DEFAULT_QUEUE,
                window=delivery.RETRY_WAKE_WINDOW,
                fresh=delivery.FRESH_WAKE_UP,
            )
        await drain(delivery_runtime, tenant.id, hook["id"])
        assert len(receiver.posts) == 15
        assert await waiting_wake_ups(env, hook["id"]) == 1  # the retry's, for later
    for client in env._clients:
        await client.aclose()
