"""Delivery: the fan-out of events into deliveries, each attempt, and resending.

An event becomes one delivery per matching active webhook, in the transaction that wrote
the event, each with a procrastinate job deferred in that same transaction: an event is
delivered exactly when its change commits. A job runs one attempt (``claim``, the HTTP
request, ``record``); a failure defers the next job on the retry schedule.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from sahod.config import Settings
from sahod.datapoints import repository as datapoints_repository
from sahod.datapoints.kinds import DataPointKind
from sahod.datapoints.service import wire_item
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
from sahod.webhooks.subscriptions import active_webhook, owned_webhook, sealing_context

DELIVER_TASK = "sahod.webhooks.deliver"
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
    """One delivery, and its job, per active webhook of the tenant that wants the event.

    ``envelope`` is the event's webhook body (``id``, ``type``, ``data``…), as the events
    package writes it; webhooks knows nothing else of events.
    """
    event_id, event_type = str(envelope["id"]), str(envelope["type"])
    subscribers = await repository.subscribers(session, tenant_id, event_type)
    if not subscribers:
        return 0
    body = orjson.dumps(envelope)
    data = envelope.get("data") or {}
    wants_payload = event_type in PAYLOAD_EVENTS and bool(data.get("taskId"))
    deliveries = [
        WebhookDelivery(
            id=new_id(DELIVERY),
            tenant_id=tenant_id,
            webhook_id=subscriber.id,
            event_id=event_id,
            event_type=event_type,
            body=body,
            needs_payload=wants_payload and subscriber.include_payload,
            status=PENDING,
            attempt_count=0,
            schedule_step=0,
            generation=1,
            next_attempt_at=written_at,
            created_at=written_at,
            updated_at=written_at,
        )
        for subscriber in subscribers
    ]
    await repository.add_deliveries(session, deliveries)
    # All first attempts in one statement, in the event's transaction.
    await jobs.defer_many(
        session,
        DELIVER_TASK,
        [
            (
                None,
                None,
                {"delivery_id": d.id, "tenant_id": d.tenant_id, "generation": d.generation},
            )
            for d in deliveries
        ],
    )
    return len(deliveries)


async def _defer_attempt(
    session: AsyncSession, delivery: WebhookDelivery, *, at: datetime | None
) -> None:
    await jobs.defer(
        session,
        DELIVER_TASK,
        schedule_at=at,
        delivery_id=delivery.id,
        tenant_id=delivery.tenant_id,
        generation=delivery.generation,
    )


# ---------------------------------------------------------------------------------------
# One attempt: claim (a transaction), the request (no transaction open), record (another)
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Claim:
    """Everything the HTTP request needs, read and committed before it starts."""

    delivery_id: str
    tenant_id: str
    webhook_id: str
    generation: int
    url: str
    body: bytes
    message_id: str
    secrets: list[str]
    """The current secret, then the previous one while its grace period lasts."""
    production: bool
    webhook_failing: bool = False
    """The webhook had failed since its last success, when the attempt began."""


async def claim(
    session: AsyncSession,
    sealer: Sealer,
    tenant_id: str,
    delivery_id: str,
    generation: int,
    now: datetime,
) -> Claim | None:
    """The attempt a job should make, or None when there is none to make."""
    row = await repository.claim_row(session, tenant_id, delivery_id)
    if row is None:
        return None  # the webhook was deleted, and its deliveries with it
    if row.generation != generation or row.status != PENDING:
        return None  # a redelivery took over, or this one already ended
    if not row.active:
        await repository.end_delivery(
            session, tenant_id, delivery_id, generation, FAILED, "the webhook is not active", now
        )
        return None
    body: bytes = row.body
    if row.needs_payload:
        # Built once, at the first attempt, then kept: every retry sends the same bytes.
        body = await repository.store_body(
            session, tenant_id, delivery_id, await _with_payload(session, tenant_id, body)
        )
    context = sealing_context(row.webhook_id)
    keys = [sealer.open(row.secret_sealed, context).decode()]
    if (
        row.previous_secret_sealed is not None
        and row.previous_secret_until is not None
        and row.previous_secret_until > now
    ):
        keys.append(sealer.open(row.previous_secret_sealed, context).decode())
    return Claim(
        delivery_id=delivery_id,
        tenant_id=tenant_id,
        webhook_id=row.webhook_id,
        generation=generation,
        url=row.url,
        body=body,
        message_id=row.event_id,
        secrets=keys,
        production=row.mode == TenantMode.PRODUCTION.value,
        webhook_failing=row.failing_since is not None,
    )


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


async def record(
    session: AsyncSession,
    claimed: Claim,
    outcome: Outcome,
    attempted_at: datetime,
    now: datetime,
    settings: Settings,
) -> None:
    """Store the attempt, and decide what follows: done, a retry, or giving up.

    Locks in the order every writer of both uses (the webhook, then its deliveries), so a
    delivery being recorded and a webhook being changed or deleted cannot deadlock.
    """
    tenant_id, webhook_id = claimed.tenant_id, claimed.webhook_id
    attempt = {
        "id": new_id(ATTEMPT),
        "tenant_id": tenant_id,
        "delivery_id": claimed.delivery_id,
        "attempted_at": attempted_at,
        "status_code": outcome.status_code,
        "duration_ms": outcome.duration_ms,
        "succeeded": outcome.succeeded,
        "error": outcome.error,
        "response": outcome.response,
    }
    if outcome.succeeded:
        # The common case, in one statement: this runs for every delivery. A healthy
        # webhook is not touched; one that was failing when the attempt began is marked
        # healthy again (a failure recorded during this very request may stay marked,
        # until the next success: it only brings forward a disabling after days of them).
        if claimed.webhook_failing:
            await repository.note_success(session, tenant_id, webhook_id)
        await repository.succeed(
            session, tenant_id, claimed.delivery_id, claimed.generation, now, attempt
        )
        return
    disabled = False
    if outcome.status_code == 410:
        await _disable(session, tenant_id, webhook_id, "GONE", "it answered 410 Gone", now)
        disabled = True
    else:
        failing_since = await repository.note_failure(session, tenant_id, webhook_id, now)
        if failing_since is None:
            return  # the webhook was deleted while the request was out
        if now - failing_since >= timedelta(seconds=settings.webhook_disable_after_seconds):
            since = failing_since.isoformat().replace("+00:00", "Z")
            detail = f"no successful delivery since {since}"
            await _disable(session, tenant_id, webhook_id, "FAILING", detail, now)
            disabled = True
    delivery = await repository.locked_delivery(session, tenant_id, claimed.delivery_id)
    if delivery is None:
        return  # deleted while the request was out
    await repository.add_attempt(session, attempt)
    delivery.attempt_count += 1
    delivery.updated_at = now
    # A redelivery during the request owns the delivery's state from now on.
    if delivery.generation != claimed.generation or delivery.status != PENDING:
        return
    delivery.last_error = outcome.error
    delay = (
        None
        if disabled
        else retry_delay(settings, delivery.schedule_step, outcome.retry_after_seconds)
    )
    if delay is None:
        delivery.status = FAILED
        delivery.next_attempt_at = None
        return
    delivery.schedule_step += 1
    delivery.generation += 1
    delivery.next_attempt_at = now + timedelta(seconds=delay)
    await _defer_attempt(session, delivery, at=delivery.next_attempt_at)


async def _disable(
    session: AsyncSession, tenant_id: str, webhook_id: str, reason: str, detail: str, now: datetime
) -> None:
    await repository.disable_webhook(session, tenant_id, webhook_id, reason, now)
    await repository.give_up_pending(
        session, tenant_id, webhook_id, f"the webhook was disabled: {detail}", now
    )


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


async def _restart(session: AsyncSession, delivery: WebhookDelivery, now: datetime) -> None:
    """Send again now, with a fresh retry schedule; a job already queued becomes stale."""
    delivery.status = PENDING
    delivery.schedule_step = 0
    delivery.generation += 1
    delivery.next_attempt_at = now
    delivery.updated_at = now
    await _defer_attempt(session, delivery, at=None)


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
    await _restart(session, delivery, now)
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
        await _restart(session, delivery, now)
    await session.flush()
    return len(deliveries)
