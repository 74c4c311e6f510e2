"""Deliveries in batches: a dead worker's batch comes back, a slow receiver holds up no one."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from sahod.db import session_scope
from sahod.runtime import Runtime
from sahod.webhooks import delivery
from sahod.webhooks.tasks import drain
from tests.webhooks.conftest import FAST, Env
from tests.webhooks.receiver import Receiver, Reply
from tests.webhooks.test_delivery import EnvFactory, all_in


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
        async with session_scope(runtime.session_factory) as session:
            batch = await delivery.claim_batch(
                session,
                runtime.sealer,
                tenant.id,
                hook["id"],
                runtime.clock.now(),
                settings,
                size=10,
                concurrency=10,
            )
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
