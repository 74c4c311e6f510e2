"""Delivery: the fan-out of events into deliveries, each attempt, and resending.

An event becomes one delivery per matching active webhook, in the transaction that wrote
the event, and that transaction wakes each such webhook up (a procrastinate job, added
only when none is already waiting): an event is delivered exactly when its change
commits. Deliveries are sent in batches of one webhook (``claim_batch``, the HTTP
requests, ``record_batch``; see ``sahod.webhooks.tasks``); a failure reschedules the
delivery on the retry schedule, with a wake-up of its webhook for then.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from sahod.config import Settings
from sahod.datapoints import repository as datapoints_repository
from sahod.datapoints.kinds import DataPointKind
from sahod.datapoints.service import wire_item
from sahod.db import DriverConnection, driver_connection_of
from sahod.errors import InvalidParameters, MissingResource
from sahod.kit import jobs
from sahod.kit.crypto import Sealer
from sahod.kit.ids import DELIVERY, new_id
from sahod.kit.pagination import PageRequest, encode_cursor
from sahod.tenants.schemas import TenantContext, TenantMode
from sahod.webhooks import repository
from sahod.webhooks.models import WebhookAttempt, WebhookDelivery
from sahod.webhooks.schemas import (
    PAYLOAD_EVENTS,
    AttemptOut,
    DeliveryOut,
    DeliveryStatus,
    EventType,
)
from sahod.webhooks.sender import Outcome
from sahod.webhooks.signing import Signer
from sahod.webhooks.subscriptions import active_webhook, owned_webhook, sealing_context

DELIVER_TASK = repository.DELIVER_TASK
RETRY_WAKE_WINDOW = timedelta(seconds=1)
"""Retries of one webhook due within this of each other share a wake-up (at the latest of
them): a receiver that is down costs a job per second of retries, not one per delivery."""
FRESH_WAKE_UP = timedelta(seconds=0.1)
"""A waiting wake-up due for longer than this is not relied on to drain a new delivery
(see ``repository.wake``): the longest a missed notification holds a webhook up while
events keep coming."""
ATTEMPT = "att"
PAYLOAD_ITEMS = 300
"""At most this many data points of each kind ride in a TASK_FINISHED body."""

PENDING = DeliveryStatus.PENDING.value
SUCCEEDED = DeliveryStatus.SUCCEEDED.value
FAILED = DeliveryStatus.FAILED.value

_random = secrets.SystemRandom()


async def fan_out(
    session: AsyncSession, tenant_id: str, envelope: dict[str, Any], written_at: datetime
) -> int:
    """One delivery per active webhook of the tenant that wants the event, each webhook
    woken up (``fan_out_many`` of one event)."""
    return await fan_out_many(session, tenant_id, [envelope], written_at)


async def fan_out_many(
    session: AsyncSession,
    tenant_id: str,
    envelopes: Sequence[dict[str, Any]],
    written_at: datetime,
) -> int:
    """Events of one change, in their order: one delivery per event and active webhook of
    the tenant that wants it, then each such webhook woken up; how many deliveries.

    One subscribers query, one insert and one wake-up statement, however many events (a
    linked account's sync emits seven): the deliveries are those, and in the order, of the
    events fanned out one by one. ``envelope``: an event's webhook body (``id``, ``type``,
    ``data``…), as the events package writes it; webhooks knows nothing else of events.
    """
    if not envelopes:
        return 0
    event_types = list(dict.fromkeys(str(envelope["type"]) for envelope in envelopes))
    subscribers = await repository.subscribers(session, tenant_id, event_types)
    if not subscribers:
        return 0
    deliveries: list[dict[str, Any]] = []
    for envelope in envelopes:
        event_id, event_type = str(envelope["id"]), str(envelope["type"])
        wanting = [s for s in subscribers if s.wants(event_type)]
        if not wanting:
            continue
        body = orjson.dumps(envelope)
        data = envelope.get("data") or {}
        wants_payload = event_type in PAYLOAD_EVENTS and bool(data.get("taskId"))
        deliveries.extend(
            _new_delivery(
                tenant_id,
                subscriber.id,
                event_id,
                event_type,
                body,
                wants_payload and subscriber.include_payload,
                written_at,
            )
            for subscriber in wanting
        )
    if deliveries:
        await _add_and_wake(session, tenant_id, deliveries)
    return len(deliveries)


def _new_delivery(
    tenant_id: str,
    webhook_id: str,
    event_id: str,
    event_type: str,
    body: bytes,
    needs_payload: bool,
    written_at: datetime,
) -> dict[str, Any]:
    return {
        "id": new_id(DELIVERY),
        "tenant_id": tenant_id,
        "webhook_id": webhook_id,
        "event_id": event_id,
        "event_type": event_type,
        "body": body,
        "needs_payload": needs_payload,
        "status": PENDING,
        "attempt_count": 0,
        "schedule_step": 0,
        "generation": 1,
        "next_attempt_at": written_at,
        "created_at": written_at,
        "updated_at": written_at,
    }


async def _add_and_wake(
    session: AsyncSession, tenant_id: str, deliveries: list[dict[str, Any]]
) -> None:
    await repository.add_deliveries(session, deliveries)
    await _wake_now(session, tenant_id, list(dict.fromkeys(d["webhook_id"] for d in deliveries)))


async def _wake_now(session: AsyncSession, tenant_id: str, webhook_ids: list[str]) -> None:
    """In the caller's transaction: each webhook drained once it commits, by a wake-up
    already waiting or by a new one."""
    await repository.wake(
        await driver_connection_of(session),
        tenant_id,
        [(webhook_id, None) for webhook_id in webhook_ids],
        queue=jobs.DEFAULT_QUEUE,
        window=RETRY_WAKE_WINDOW,
        fresh=FRESH_WAKE_UP,
    )


def retry_wake_ups(due: Sequence[datetime], window: timedelta) -> list[datetime]:
    """When to wake a webhook up for retries due at these times: each wake-up covers the
    retries due within ``window`` before it, and none is due later than its wake-up."""
    wake_ups: list[datetime] = []
    group_start: datetime | None = None
    for at in sorted(due):
        if group_start is not None and at - group_start <= window:
            wake_ups[-1] = at
        else:
            group_start = at
            wake_ups.append(at)
    return wake_ups


async def send_to_one(
    session: AsyncSession,
    tenant: TenantContext,
    webhook_id: str,
    envelope: dict[str, Any],
    written_at: datetime,
) -> str:
    """The event to this webhook only, whatever it subscribes to (the developer portal's
    "send test event"); the delivery's id. The webhook must be active."""
    await active_webhook(session, tenant, webhook_id)
    delivery = _new_delivery(
        tenant.id,
        webhook_id,
        str(envelope["id"]),
        str(envelope["type"]),
        orjson.dumps(envelope),
        False,
        written_at,
    )
    await _add_and_wake(session, tenant.id, [delivery])
    return str(delivery["id"])


# ---------------------------------------------------------------------------------------
# Batches: claim (a transaction), the requests (no transaction open), record (another)
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Batch:
    """Claimed deliveries of one webhook, and everything their requests need, committed
    before the first request starts."""

    receiver: repository.Receiver
    items: list[repository.Due]
    signer: Signer
    """Signs with the current secret, then the previous one while its grace period lasts."""
    production: bool


def lease_seconds(settings: Settings, size: int, concurrency: int, queued_ahead: int = 0) -> float:
    """How long a claim keeps its webhook from every other drain: long enough for the
    ``queued_ahead`` requests before its batch and all the batch's own to time out, one
    round of ``concurrency`` after another, and one more timeout for the recording."""
    rounds = -(-(queued_ahead + size) // max(1, concurrency))
    return (rounds + 1) * settings.webhook_timeout_seconds


@dataclass(slots=True)
class DrainLease:
    """One drain's hold on its webhook: the token its claims lease the webhook with, and
    the last delivery claimed (the next claim starts after it, while that one is out)."""

    token: str = field(default_factory=lambda: secrets.token_hex(16))
    after_seq: int = 0
    held: bool = False


async def webhook_of(session: AsyncSession, tenant_id: str, delivery_id: str) -> str | None:
    return await repository.webhook_of_delivery(session, tenant_id, delivery_id)


async def claim_batch(
    connection: DriverConnection,
    sealer: Sealer,
    tenant_id: str,
    webhook_id: str,
    now: datetime,
    settings: Settings,
    *,
    size: int,
    concurrency: int,
    queued_ahead: int = 0,
    lease: DrainLease | None = None,
) -> Batch | None:
    """Up to ``size`` due deliveries of the webhook, past the last one ``lease`` claimed,
    with the webhook leased to it (see ``repository.claim``), in one statement (an
    autocommit connection commits the lease with it); None when there is nothing to send
    (nothing due, another drain holds the webhook, or the webhook is gone or inactive: its
    waiting deliveries then fail). ``queued_ahead``: requests of this worker that go
    before these (the lease covers them). No ``lease``: a drain of this one claim. Bodies
    still waiting for their data points: ``with_payloads``."""
    lease = lease or DrainLease()
    lease_until = now + timedelta(seconds=lease_seconds(settings, size, concurrency, queued_ahead))
    claimed = await repository.claim(
        connection,
        tenant_id,
        webhook_id,
        now,
        lease_until,
        size,
        token=lease.token,
        after=lease.after_seq,
    )
    lease.held = lease.held or claimed.leased
    receiver, items = claimed.receiver, claimed.items
    if receiver is None or not items:
        return None
    lease.after_seq = items[-1].seq
    signer = _signer(
        sealer,
        webhook_id,
        receiver.secret_sealed,
        receiver.previous_secret_sealed,
        receiver.previous_secret_until,
        now,
    )
    return Batch(
        receiver=receiver,
        items=items,
        signer=signer,
        production=receiver.mode == TenantMode.PRODUCTION.value,
    )


async def release(
    connection: DriverConnection, tenant_id: str, webhook_id: str, lease: DrainLease
) -> None:
    """Lets the webhook go once the drain's batches are all recorded: the next drain need
    not wait for the lease to run out."""
    if lease.held:
        await repository.release(connection, tenant_id, webhook_id, lease.token)
        lease.held = False


def _signer(
    sealer: Sealer,
    webhook_id: str,
    secret_sealed: bytes,
    previous_sealed: bytes | None,
    previous_until: datetime | None,
    now: datetime,
) -> Signer:
    """The webhook's signer: its secret, and the previous one while its grace period lasts."""
    context = sealing_context(webhook_id)
    keys = [sealer.open(secret_sealed, context).decode()]
    if previous_sealed is not None and previous_until is not None and previous_until > now:
        keys.append(sealer.open(previous_sealed, context).decode())
    return Signer(keys)


def needs_payloads(batch: Batch) -> bool:
    return any(item.needs_payload for item in batch.items)


async def with_payloads(session: AsyncSession, batch: Batch) -> Batch:
    """The batch with every body complete: a TASK_FINISHED body gets its task's data points
    at the first attempt, then keeps them (every retry sends the same bytes)."""
    tenant_id = batch.receiver.tenant_id
    items = list(batch.items)
    for index, item in enumerate(items):
        if item.needs_payload:
            body = await repository.store_body(
                session, tenant_id, item.id, await _with_payload(session, tenant_id, item.body)
            )
            items[index] = replace(item, body=body, needs_payload=False)
    return replace(batch, items=items)


async def _with_payload(session: AsyncSession, tenant_id: str, body: bytes) -> bytes:
    """The body with the task's data points: each kind the task added or changed, under its
    lower-case path, as a list page ``{nextCursor, items}`` of at most 300 items."""
    envelope = orjson.loads(body)
    data = envelope.get("data") or {}
    task_id = data.get("taskId")
    if not isinstance(task_id, str):
        return body
    rows = await datapoints_repository.task_datapoints(
        session, tenant_id, task_id, PAYLOAD_ITEMS + 1
    )
    pages: dict[str, list[Any]] = {}
    for row in rows:
        pages.setdefault(row.kind, []).append(row)
    listed = data.get("datapoints") or data.get("dataPoints") or []
    for kind in DataPointKind:
        found = pages.get(kind.value, [])
        if not found and kind.value not in listed:
            continue
        kept = found[:PAYLOAD_ITEMS]
        # More than a page: the rest continue on GET /v1/<kind>?sourceId=… with this cursor
        # (newest first, as every list).
        more = len(found) > PAYLOAD_ITEMS
        data[kind.path] = {
            "nextCursor": encode_cursor(kept[-1].seq) if more else None,
            "items": [wire_item(row) for row in kept],
        }
    envelope["data"] = data
    return orjson.dumps(envelope)


def retry_delay(settings: Settings, step: int, retry_after: float | None) -> float | None:
    """Seconds until the next attempt, or None when the schedule has run out."""
    schedule = settings.webhook_retry_schedule
    if step >= len(schedule):
        return None
    jitter = settings.webhook_retry_jitter
    delay = schedule[step] * (1 + _random.uniform(-jitter, jitter))
    if retry_after is not None:
        delay = max(delay, min(retry_after, settings.webhook_retry_after_max_seconds))
    return max(0.0, delay)


@dataclass(frozen=True, slots=True)
class Sent:
    """One request of a batch, as it went."""

    item: repository.Due
    attempted_at: datetime
    outcome: Outcome


def records_alone(batch: Batch, sent: Sequence[Sent]) -> bool:
    """Whether the batch's outcomes leave its webhook as it is (the usual case: a healthy
    webhook with no 410 and not every request failed): then ``record_outcomes_alone``
    records them, with no transaction around, and otherwise ``record_batch``."""
    failed = [s for s in sent if not s.outcome.succeeded]
    return (
        batch.receiver.failing_since is None
        and not any(s.outcome.status_code == 410 for s in failed)
        and not (failed and len(failed) == len(sent))
    )


async def record_outcomes_alone(
    connection: DriverConnection,
    batch: Batch,
    sent: Sequence[Sent],
    now: datetime,
    settings: Settings,
) -> int:
    """Stores the attempts of a batch that leaves its webhook as it is (see
    ``records_alone``) in one statement, a transaction of its own on an autocommit
    connection, and then the wake-ups of its retries; returns how many failed.

    Should the process die between the two, the retries are still due and the sweep
    sends them: no promise rests on the wake-up committing with the outcomes.
    """
    tenant_id, webhook_id = batch.receiver.tenant_id, batch.receiver.webhook_id
    outcomes = _outcomes(sent, None, now, settings)
    rescheduled = await repository.record_outcomes(connection, tenant_id, now, outcomes)
    await _wake_for_retries(connection, tenant_id, webhook_id, rescheduled)
    return sum(1 for s in sent if not s.outcome.succeeded)


async def record_batch(
    session: AsyncSession, batch: Batch, sent: Sequence[Sent], now: datetime, settings: Settings
) -> int:
    """Store every attempt of the batch and decide what follows each: done, a retry, or
    giving up. Returns how many failed.

    The webhook first (healthy again, failing, or disabled), then all deliveries and
    attempts in one statement, then (when disabled) the webhook's other waiting deliveries:
    the order every writer of both uses, so recording and a change or deletion of the
    webhook cannot deadlock. A delivery redelivered while its request was out is counted,
    and its attempt kept, but its state belongs to the redelivery.
    """
    tenant_id, webhook_id = batch.receiver.tenant_id, batch.receiver.webhook_id
    failed = [s for s in sent if not s.outcome.succeeded]
    disabled: str | None = None
    if any(s.outcome.status_code == 410 for s in failed):
        await repository.disable_webhook(session, tenant_id, webhook_id, "GONE", now)
        disabled = "it answered 410 Gone"
    elif failed and len(failed) == len(sent):
        failing_since = await repository.note_failure(session, tenant_id, webhook_id, now)
        if failing_since is None:
            return len(failed)  # the webhook was deleted while the requests were out
        if now - failing_since >= timedelta(seconds=settings.webhook_disable_after_seconds):
            since = failing_since.isoformat().replace("+00:00", "Z")
            await repository.disable_webhook(session, tenant_id, webhook_id, "FAILING", now)
            disabled = f"no successful delivery since {since}"
    elif batch.receiver.failing_since is not None:
        # A healthy webhook (the usual case) is not rewritten on every batch.
        await repository.note_success(session, tenant_id, webhook_id)

    connection = await driver_connection_of(session)
    outcomes = _outcomes(sent, disabled, now, settings)
    rescheduled = await repository.record_outcomes(connection, tenant_id, now, outcomes)
    await _wake_for_retries(connection, tenant_id, webhook_id, rescheduled)
    if disabled is not None:
        await repository.give_up_pending(
            session, tenant_id, webhook_id, f"the webhook was disabled: {disabled}", now
        )
    return len(failed)


def _outcomes(
    sent: Sequence[Sent], disabled: str | None, now: datetime, settings: Settings
) -> list[dict[str, Any]]:
    """What ``repository.record_outcomes`` takes: each delivery's next state (done, a retry
    on the schedule, or given up when ``disabled`` says why) and its attempt."""
    outcomes: list[dict[str, Any]] = []
    for one in sent:
        outcome, item = one.outcome, one.item
        status, next_at = SUCCEEDED, None
        if not outcome.succeeded:
            delay = (
                None
                if disabled
                else retry_delay(settings, item.schedule_step, outcome.retry_after_seconds)
            )
            status = FAILED if delay is None else PENDING
            next_at = None if delay is None else now + timedelta(seconds=delay)
        # Given up because the webhook was disabled: the delivery says why.
        gave_up = disabled is not None and not outcome.succeeded
        outcomes.append(
            {
                "id": item.id,
                "generation": item.generation,
                "status": status,
                "next_at": next_at,
                "error": outcome.error,
                "last_error": f"the webhook was disabled: {disabled}" if gave_up else outcome.error,
                "retrying": next_at is not None,
                "attempt_id": new_id(ATTEMPT),
                "attempted_at": one.attempted_at,
                "status_code": outcome.status_code,
                "duration_ms": outcome.duration_ms,
                "succeeded": outcome.succeeded,
                "response": outcome.response,
            }
        )
    return outcomes


async def _wake_for_retries(
    connection: DriverConnection,
    tenant_id: str,
    webhook_id: str,
    rescheduled: Sequence[tuple[str, int, datetime]],
) -> None:
    """The wake-ups for the retries: each claims whatever of the webhook is due by then."""
    if not rescheduled:
        return
    wake_ups = retry_wake_ups([at for _, _, at in rescheduled], RETRY_WAKE_WINDOW)
    await repository.wake(
        connection,
        tenant_id,
        [(webhook_id, at) for at in wake_ups],
        queue=jobs.DEFAULT_QUEUE,
        window=RETRY_WAKE_WINDOW,
        fresh=FRESH_WAKE_UP,
    )


async def due_webhooks(session: AsyncSession, now: datetime, limit: int) -> list[tuple[str, str]]:
    """(tenant, webhook) pairs with a delivery due: retries whose job was lost, and
    batches whose worker died (their lease ran out)."""
    return await repository.due_webhooks(session, now, limit)


# ---------------------------------------------------------------------------------------
# Deliveries, as the tenant sees them; resending
# ---------------------------------------------------------------------------------------


def delivery_out(delivery: WebhookDelivery, attempts: Sequence[WebhookAttempt]) -> DeliveryOut:
    return DeliveryOut(
        id=delivery.id,
        webhook_id=delivery.webhook_id,
        event_id=delivery.event_id,
        event_type=delivery.event_type,
        status=DeliveryStatus(delivery.status),
        attempt_count=delivery.attempt_count,
        next_attempt_at=delivery.next_attempt_at,
        last_error=delivery.last_error,
        created_at=delivery.created_at,
        updated_at=delivery.updated_at,
        attempts=[
            AttemptOut(
                id=a.id,
                attempted_at=a.attempted_at,
                status_code=a.status_code,
                duration_ms=a.duration_ms,
                succeeded=a.succeeded,
                error=a.error,
                response=a.response,
            )
            for a in attempts
        ],
    )


async def list_deliveries(
    session: AsyncSession,
    tenant: TenantContext,
    webhook_id: str,
    page: PageRequest,
    *,
    status: DeliveryStatus | None,
    event_type: EventType | None,
) -> tuple[Sequence[WebhookDelivery], dict[str, list[WebhookAttempt]]]:
    await owned_webhook(session, tenant, webhook_id)
    rows = await repository.list_deliveries(
        session,
        tenant.id,
        webhook_id,
        page,
        status=status.value if status else None,
        event_type=event_type.value if event_type else None,
    )
    attempts = await repository.attempts_of(session, tenant.id, [d.id for d in rows])
    return rows, attempts


async def get_delivery(
    session: AsyncSession, tenant: TenantContext, webhook_id: str, delivery_id: str
) -> DeliveryOut:
    await owned_webhook(session, tenant, webhook_id)
    delivery = await repository.get_delivery(session, tenant.id, webhook_id, delivery_id)
    if delivery is None:
        raise MissingResource(f"There is no delivery {delivery_id} of webhook {webhook_id}.")
    attempts = await repository.attempts_of(session, tenant.id, [delivery.id])
    return delivery_out(delivery, attempts.get(delivery.id, []))


async def deliveries_of_events(
    session: AsyncSession, tenant: TenantContext, event_ids: Sequence[str]
) -> dict[str, list[DeliveryOut]]:
    """Where each delivery of these events stands, with its attempts, by event id."""
    rows = await repository.deliveries_of_events(session, tenant.id, event_ids)
    attempts = await repository.attempts_of(session, tenant.id, [d.id for d in rows])
    found: dict[str, list[DeliveryOut]] = {}
    for row in rows:
        found.setdefault(row.event_id, []).append(delivery_out(row, attempts.get(row.id, [])))
    return found


@dataclass(frozen=True, slots=True)
class DeliveryDetail:
    """A delivery as the developer portal shows it: the exact body, and the signing
    headers each attempt carried."""

    delivery: DeliveryOut
    body: str
    body_pending: bool
    """The task's data points are added at the first attempt: the body may still grow."""
    headers: dict[str, dict[str, str]]
    """Attempt id → its signing headers (recomputed with the secrets that sign now)."""


async def delivery_detail(
    session: AsyncSession,
    tenant: TenantContext,
    webhook_id: str,
    delivery_id: str,
    sealer: Sealer,
    now: datetime,
) -> DeliveryDetail:
    webhook = await owned_webhook(session, tenant, webhook_id)
    delivery = await repository.get_delivery(session, tenant.id, webhook_id, delivery_id)
    if delivery is None:
        raise MissingResource(f"There is no delivery {delivery_id} of webhook {webhook_id}.")
    attempts = (await repository.attempts_of(session, tenant.id, [delivery.id])).get(
        delivery.id, []
    )
    signer = _signer(
        sealer,
        webhook_id,
        webhook.secret_sealed,
        webhook.previous_secret_sealed,
        webhook.previous_secret_until,
        now,
    )
    headers = {
        a.id: signer.headers(delivery.body, delivery.event_id, int(a.attempted_at.timestamp()))
        for a in attempts
    }
    return DeliveryDetail(
        delivery=delivery_out(delivery, attempts),
        body=delivery.body.decode("utf-8", errors="replace"),
        body_pending=delivery.needs_payload,
        headers=headers,
    )


def _restart(delivery: WebhookDelivery, now: datetime) -> None:
    """Send again now, with a fresh retry schedule (an attempt already out does not decide
    what follows: its generation is an older one). The caller wakes the webhook up."""
    delivery.status = PENDING
    delivery.schedule_step = 0
    delivery.generation += 1
    delivery.next_attempt_at = now
    delivery.updated_at = now


async def redeliver(
    session: AsyncSession,
    tenant: TenantContext,
    webhook_id: str,
    delivery_id: str,
    now: datetime,
) -> DeliveryOut:
    await active_webhook(session, tenant, webhook_id)
    delivery = await repository.get_delivery(
        session, tenant.id, webhook_id, delivery_id, for_update=True
    )
    if delivery is None:
        raise MissingResource(f"There is no delivery {delivery_id} of webhook {webhook_id}.")
    _restart(delivery, now)
    await _wake_now(session, tenant.id, [webhook_id])
    await session.flush()
    attempts = await repository.attempts_of(session, tenant.id, [delivery.id])
    return delivery_out(delivery, attempts.get(delivery.id, []))


async def recover(
    session: AsyncSession,
    tenant: TenantContext,
    webhook_id: str,
    since: datetime,
    now: datetime,
) -> int:
    """Send again every delivery since ``since`` that has not succeeded (failed, or still
    waiting for a retry: those are brought forward)."""
    if since > now:
        raise InvalidParameters("since must not be in the future")
    await active_webhook(session, tenant, webhook_id)
    deliveries = await repository.unfinished_deliveries_since(session, tenant.id, webhook_id, since)
    for delivery in deliveries:
        _restart(delivery, now)
    if deliveries:
        await _wake_now(session, tenant.id, [webhook_id])
    await session.flush()
    return len(deliveries)
