"""Webhook delivery tasks: batches of one webhook's due deliveries.

The delivery rows are the queue; jobs are wake-ups of a webhook. The event's transaction
adds one for each webhook it wrote deliveries for, unless one is already waiting (a burst
of events to one receiver costs a job per transaction at most, not one per delivery), and
a retry or a redelivery adds one for when it is due. A job that runs *drains* its
webhook: it leases the webhook (one drain at a time, across processes), claims up to
``BATCH_SIZE`` due deliveries at a time, each claim past the last and extending the lease,
sends them concurrently (at most
``SENDS_PER_RECEIVER`` at once, over the worker's kept-alive connections, each within the
timeout), and records every outcome in one statement, until nothing of the webhook is due;
the next batch is claimed, and the last one recorded, while one is being sent
(``BATCHES_OUT``). The claim, and the recording of a batch that leaves its webhook as it
is, are single statements on an autocommit connection: one round trip each.
A wake-up that finds nothing due (its deliveries were drained by another) just ends.

One webhook drains in one loop at a time: a job for a webhook already draining ends at
once (the loop takes its delivery; in this process it does not even claim), so a slow
receiver holds one worker slot and its own connections, never the deliveries of other
receivers, which other slots drain. A drain lets its webhook go when nothing is due, then
claims once more: a delivery whose job ended while the webhook was held is sent then.

Nothing is lost when a worker dies mid-batch: the claimed deliveries are still PENDING,
due again when the webhook's lease runs out, and ``sweep`` (every 10 s, once across workers)
drains every webhook with a due delivery, whether its job was lost or never ran. A batch
sent but not recorded is sent again: delivery is at least once, with the same bytes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import procrastinate
from sqlalchemy.ext.asyncio import AsyncEngine

from sahod.config import Settings
from sahod.db import DriverConnection, driver_connection_of, read_pool_of, session_scope
from sahod.kit.services import runtime_of
from sahod.webhooks import delivery, sender

if TYPE_CHECKING:
    from sahod.kit.services import AnyServices as Runtime

log = logging.getLogger(__name__)

SWEEP_TASK = "sahod.webhooks.sweep"
SENDS_PER_RECEIVER = 20
"""Requests in flight to one webhook from one worker process."""
BATCH_SIZE = 50
"""Deliveries per claim: two and a half rounds of requests, so that a claim and a recording
(a statement each) serve 50 deliveries, not 20. At most ``BATCHES_OUT * BATCH_SIZE`` are
sent twice when a worker is killed. 100 was not clearly faster here (the database is a
few per cent of the worker's time now, the rest aiohttp's own) and doubles the leases."""
BATCHES_OUT = 2
"""Batches of one webhook out at once in its drain loop, sharing its ``SENDS_PER_RECEIVER``:
the next batch is claimed, and the last one recorded, while one is being sent, so the
receiver is not left idle through the database's round trips. A batch's lease covers the
requests queued ahead of it (see ``delivery.lease_seconds``): four timeouts for the first
(a minute by default), six for the second, after which a killed worker's batches are sent
again."""
RECHECK_AFTER = 0.05
"""A webhook that a drain sent something to is drained once more this many seconds later.
An event's transaction relies on a wake-up already waiting (``delivery.FRESH_WAKE_UP``),
and procrastinate's worker can miss that wake-up's notification (it clears its flag after
a fetch that found nothing) and find it only at its next poll, seconds later: the events
relying on it would wait up to ``FRESH_WAKE_UP`` while events keep coming, and the last
ones of a stream until that poll. The second look sends them; it holds no worker slot,
comes again while it finds something, and costs two claims when it finds nothing."""
SWEPT_WEBHOOKS = 100
_DRAINING = "webhooks.draining"
_RECHECKS = "webhooks.rechecks"
_RECHECKS_RUNNING = "webhooks.rechecks.running"


@asynccontextmanager
async def _autocommit(runtime: Runtime) -> AsyncIterator[DriverConnection]:
    """A connection on which each statement is a transaction of its own: a claim, or the
    recording of a batch that leaves its webhook as it is, is one statement, and one round
    trip with no BEGIN or COMMIT around it. Where sessions are bound to one connection
    (not the worker's case), the statements run in a unit of work on it instead."""
    bind = runtime.session_factory.kw.get("bind")
    if isinstance(bind, AsyncEngine):
        async with read_pool_of(bind).connection() as connection:
            yield connection
    else:
        async with session_scope(runtime.session_factory) as session:
            yield await driver_connection_of(session)


async def _claim(
    runtime: Runtime,
    tenant_id: str,
    webhook_id: str,
    queued_ahead: int,
    lease: delivery.DrainLease,
) -> delivery.Batch | None:
    # No transaction stays open across the requests: a slow receiver must not hold a
    # connection or a row lock for up to the timeout.
    async with _autocommit(runtime) as connection:
        batch = await delivery.claim_batch(
            connection,
            runtime.sealer,
            tenant_id,
            webhook_id,
            runtime.clock.now(),
            runtime.settings,
            size=BATCH_SIZE,
            concurrency=SENDS_PER_RECEIVER,
            queued_ahead=queued_ahead,
            lease=lease,
        )
    if batch is not None and delivery.needs_payloads(batch):
        async with session_scope(runtime.session_factory) as session:
            batch = await delivery.with_payloads(session, batch)
    return batch


async def _send(
    runtime: Runtime, batch: delivery.Batch, gate: asyncio.Semaphore
) -> tuple[delivery.Batch, list[delivery.Sent]]:
    clock, settings = runtime.clock, runtime.settings
    client = sender.client_for(runtime, production=batch.production)

    items = batch.items
    sent: list[delivery.Sent | None] = [None] * len(items)
    taken = 0

    async def sending() -> None:
        # Up to SENDS_PER_RECEIVER senders take the batch's deliveries in turn, each
        # request within the gate: a task per sender, not one per delivery waiting on the
        # gate (measured with the requests left out: 6-7 against 10-13 us a delivery).
        nonlocal taken
        while taken < len(items):
            async with gate:
                if taken == len(items):
                    return
                index, item = taken, items[taken]
                taken += 1
                attempted_at = clock.now()
                headers = batch.signer.headers(
                    item.body, item.event_id, int(attempted_at.timestamp())
                )
                outcome = await sender.send(
                    client, batch.receiver.url, item.body, headers, settings
                )
                sent[index] = delivery.Sent(item=item, attempted_at=attempted_at, outcome=outcome)

    await asyncio.gather(*(sending() for _ in range(min(len(items), SENDS_PER_RECEIVER))))
    return batch, [one for one in sent if one is not None]


async def _record(runtime: Runtime, batch: delivery.Batch, sent: list[delivery.Sent]) -> None:
    clock, settings = runtime.clock, runtime.settings
    if delivery.records_alone(batch, sent):
        async with _autocommit(runtime) as connection:
            failed = await delivery.record_outcomes_alone(
                connection, batch, sent, clock.now(), settings
            )
    else:
        async with session_scope(runtime.session_factory) as session:
            failed = await delivery.record_batch(session, batch, sent, clock.now(), settings)
    if failed:
        errors = {str(s.outcome.error) for s in sent if not s.outcome.succeeded}
        log.info(
            "%d webhook deliveries to %s failed: %s",
            failed,
            batch.receiver.webhook_id,
            sorted(errors),
        )


async def _drain_pass(runtime: Runtime, tenant_id: str, webhook_id: str) -> bool:
    """Claim, send and record batches until none is due (up to ``BATCHES_OUT`` being sent
    at once, and as many being recorded); False when nothing of the webhook was due.

    A batch's recording does not hold up the next claim: both round trips overlap the
    requests of the batches still out, so the receiver is not left idle through them."""
    gate = asyncio.Semaphore(SENDS_PER_RECEIVER)
    sending: set[asyncio.Task[tuple[delivery.Batch, list[delivery.Sent]]]] = set()
    recording: set[asyncio.Task[None]] = set()

    async def settle(*, at_most: int) -> None:
        """Until at most ``at_most`` batches are being sent and as many recorded; a batch
        sent is recorded next. A failure of Sahod's own (the database) ends the job."""
        while len(sending) > at_most or len(recording) > at_most:
            done, _ = await asyncio.wait(
                [*sending, *recording], return_when=asyncio.FIRST_COMPLETED
            )
            for recorded in [task for task in recording if task in done]:
                recording.discard(recorded)
                recorded.result()
            for sent_out in [task for task in sending if task in done]:
                sending.discard(sent_out)
                batch, sent = sent_out.result()
                recording.add(asyncio.create_task(_record(runtime, batch, sent)))

    lease = delivery.DrainLease()
    claimed = False
    try:
        while True:
            batch = await _claim(runtime, tenant_id, webhook_id, len(sending) * BATCH_SIZE, lease)
            if batch is None:
                break
            claimed = True
            sending.add(asyncio.create_task(_send(runtime, batch, gate)))
            if len(batch.items) < BATCH_SIZE:
                # All that was due: what comes due meanwhile has a wake-up of its own, or is
                # what drain() claims once more after letting go.
                break
            await settle(at_most=BATCHES_OUT - 1)
        await settle(at_most=0)
        async with _autocommit(runtime) as connection:
            await delivery.release(connection, tenant_id, webhook_id, lease)
    finally:
        # After a failure, the batches still out are let go, and the webhook stays leased:
        # their deliveries are sent again once the lease runs out, as after a crash.
        for task in (*sending, *recording):
            task.cancel()
    return claimed


async def drain(runtime: Runtime, tenant_id: str, webhook_id: str) -> None:
    """Send the webhook's due deliveries, batch after batch, until none is due; then, when
    it sent any, look once more a little later (see ``RECHECK_AFTER``)."""
    draining = runtime.extras.setdefault(_DRAINING, set())
    assert isinstance(draining, set)
    key = (tenant_id, webhook_id)
    sent_any = False
    while True:
        if key in draining:
            return  # the loop already draining it takes this job's delivery too
        draining.add(key)
        try:
            sent_any = await _drain_pass(runtime, tenant_id, webhook_id) or sent_any
        finally:
            draining.discard(key)
        # Once more after letting go: a job that found the loop busy has just ended.
        if not await _drain_pass(runtime, tenant_id, webhook_id):
            break
        sent_any = True
    if sent_any:
        _recheck_later(runtime, key)


def _recheck_later(runtime: Runtime, key: tuple[str, str]) -> None:
    """One drain of the webhook ``RECHECK_AFTER`` from now, outside any job (it holds no
    worker slot), unless one is already coming."""
    rechecks = runtime.extras.setdefault(_RECHECKS, {})
    assert isinstance(rechecks, dict)
    if key in rechecks:
        return

    async def recheck() -> None:
        try:
            await asyncio.sleep(RECHECK_AFTER)
        finally:
            del rechecks[key]
        try:
            await drain(runtime, *key)
        except Exception:
            # The job of each delivery left, or else the sweep, still sends it.
            log.exception("the second look at webhook %s failed", key[1])

    task = asyncio.create_task(recheck())
    rechecks[key] = task
    # The key goes before the drain starts (so that drain can ask for the next look):
    # the loop keeps only weak references to tasks, so this set holds it until it ends.
    running = _second_looks(runtime)
    running.add(task)
    task.add_done_callback(running.discard)


def _second_looks(runtime: Runtime) -> set[asyncio.Task[None]]:
    """The second looks of this process waiting or running, held until each ends."""
    running = runtime.extras.setdefault(_RECHECKS_RUNNING, set())
    assert isinstance(running, set)
    return running


async def settle_second_looks(runtime: Runtime) -> None:
    """Returns once no second look of this process is waiting or running: for a caller that
    drains by hand and then uses the same database connection (a test whose sessions share
    one connection), where a second look would run beside it."""
    running = _second_looks(runtime)
    while running:
        await asyncio.gather(*running, return_exceptions=True)


async def deliver(
    context: procrastinate.JobContext,
    tenant_id: str,
    webhook_id: str | None = None,
    delivery_id: str | None = None,
    generation: int | None = None,
) -> None:
    """A wake-up of a webhook: drains it.

    ``delivery_id`` and ``generation``: a job queued before wake-ups were per webhook names
    a delivery, whose webhook is drained.
    """
    runtime = runtime_of(context)
    if webhook_id is None and delivery_id is not None:
        async with session_scope(runtime.session_factory) as session:
            webhook_id = await delivery.webhook_of(session, tenant_id, delivery_id)
    if webhook_id is None:
        return  # the webhook was deleted, and its deliveries with it
    await drain(runtime, tenant_id, webhook_id)


async def sweep(context: procrastinate.JobContext, timestamp: int) -> None:
    """Drains every webhook with a due delivery whose wake-up is gone (a lease that ran
    out after a worker died, a job lost with its process)."""
    runtime = runtime_of(context)
    async with session_scope(runtime.session_factory) as session:
        due = await delivery.due_webhooks(session, runtime.clock.now(), SWEPT_WEBHOOKS)
    await asyncio.gather(*(drain(runtime, tenant_id, webhook_id) for tenant_id, webhook_id in due))


def register(app: procrastinate.App, settings: Settings | None = None) -> None:
    """Add the webhook tasks to ``app``. Their settings are read from the runtime at each
    run, so ``settings`` is not needed here."""
    # Retries here are for Sahod's own failures (the database unreachable, a bug): a
    # receiver's failure is not an exception, it is recorded and rescheduled.
    app.task(
        name=delivery.DELIVER_TASK,
        pass_context=True,
        retry=procrastinate.RetryStrategy(max_attempts=5, exponential_wait=4),
    )(deliver)
    # Every 10 s: after a worker dies, its webhooks' deliveries have no wake-up job left
    # (the jobs that found its drain loop busy have ended), and the sweep is what resumes
    # them once their lease runs out.
    app.periodic(cron="* * * * * */10")(
        app.task(name=SWEEP_TASK, pass_context=True, queueing_lock=SWEEP_TASK)(sweep)
    )
