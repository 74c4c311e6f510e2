from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from starlette.responses import Response

from sahod.errors import InvalidParameters
from sahod.kit.crypto import Sealer
from sahod.kit.deps import AppClock, AppSettings, Page, Session
from sahod.kit.envelope import EmptyEnvelope, Envelope, ListData, envelope, list_envelope
from sahod.kit.pagination import page_of
from sahod.tenants.endpoints import Tenant
from sahod.webhooks import delivery, subscriptions
from sahod.webhooks.schemas import (
    ALL_EVENTS,
    DeliveryOut,
    DeliveryStatus,
    EventType,
    RecoverOut,
    WebhookCreate,
    WebhookOut,
    WebhookUpdate,
)

router = APIRouter(tags=["Webhooks"])


def app_sealer(request: Request) -> Sealer:
    sealer: Sealer = request.app.state.runtime.sealer
    return sealer


AppSealer = Annotated[Sealer, Depends(app_sealer)]
DeliveryId = Annotated[str, Path(alias="deliveryId", max_length=200)]


@router.post("/webhooks", response_model=Envelope[WebhookOut])
async def create_webhook(
    request: Request,
    tenant: Tenant,
    session: Session,
    clock: AppClock,
    settings: AppSettings,
    sealer: AppSealer,
    body: WebhookCreate,
) -> Response:
    """Create a webhook endpoint.

    Every event of the listed types (or `ALL_EVENTS`) is POSTed to `url` as
    `{id, version, type, createdAt, data}`, signed with `secret` twice: `Smile-Signature`
    (hex HMAC-SHA512 of the body) and the Standard Webhooks headers `webhook-id`,
    `webhook-timestamp` and `webhook-signature`. A 2xx within 15 s is a success; anything
    else is retried for about a day (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, with
    jitter; `Retry-After` is honoured on 429 and 503). A `410 Gone` disables the webhook,
    and so do five days of failures without a success.

    The secret is stored sealed and shown in full only in this response.
    Production tenants need an `https://` URL on a public address.
    """
    created = await subscriptions.create_webhook(
        session, tenant, body, clock.now(), sealer, settings
    )
    return envelope(request, created)


@router.get("/webhooks", response_model=Envelope[ListData[WebhookOut]])
async def list_webhooks(request: Request, tenant: Tenant, session: Session, page: Page) -> Response:
    """List the webhook endpoints, newest first (secrets masked)."""
    rows = await subscriptions.list_webhooks(session, tenant, page)
    result = page_of(rows, page, lambda webhook: webhook.seq)
    return list_envelope(
        request, [subscriptions.webhook_out(w) for w in result.items], result.next_cursor
    )


@router.get("/webhooks/{id}", response_model=Envelope[WebhookOut])
async def get_webhook(request: Request, tenant: Tenant, session: Session, id: str) -> Response:
    """Get a webhook endpoint (secret masked)."""
    return envelope(request, await subscriptions.get_webhook(session, tenant, id))


@router.patch("/webhooks/{id}", response_model=Envelope[WebhookOut])
async def update_webhook(
    request: Request,
    tenant: Tenant,
    session: Session,
    clock: AppClock,
    settings: AppSettings,
    sealer: AppSealer,
    id: str,
    body: WebhookUpdate,
) -> Response:
    """Change a webhook endpoint: only the fields sent change (beyond the Smile contract).

    `active: false` stops deliveries (those waiting for a retry fail); `active: true`
    re-enables, also a webhook Sahod disabled. A new `secret` starts a rotation: for a
    grace period (24 h by default) `webhook-signature` carries a signature with the new
    secret and one with the old, space-separated; `Smile-Signature` uses the new one.
    """
    updated = await subscriptions.update_webhook(
        session, tenant, id, body, clock.now(), sealer, settings
    )
    return envelope(request, updated)


@router.delete("/webhooks/{id}", response_model=EmptyEnvelope)
async def delete_webhook(request: Request, tenant: Tenant, session: Session, id: str) -> Response:
    """Delete a webhook endpoint, with its delivery history. Nothing more is sent to it."""
    await subscriptions.delete_webhook(session, tenant, id)
    return envelope(request)


@router.get("/webhooks/{id}/deliveries", response_model=Envelope[ListData[DeliveryOut]])
async def list_deliveries(
    request: Request,
    tenant: Tenant,
    session: Session,
    page: Page,
    id: str,
    status: Annotated[
        DeliveryStatus | None,
        Query(description="Only deliveries in this state: PENDING, SUCCEEDED or FAILED."),
    ] = None,
    event_type: Annotated[
        EventType | None, Query(alias="eventType", description="Only events of this type.")
    ] = None,
) -> Response:
    """List a webhook's deliveries, newest first, each with every attempt: its time, HTTP
    status, duration, error and the first 2 KB of the answer (beyond the Smile contract)."""
    rows, attempts = await delivery.list_deliveries(
        session,
        tenant,
        id,
        page,
        status=status,
        event_type=None if event_type == ALL_EVENTS else event_type,
    )
    result = page_of(rows, page, lambda row: row.seq)
    items = [delivery.delivery_out(d, attempts.get(d.id, [])) for d in result.items]
    return list_envelope(request, items, result.next_cursor)


@router.get("/webhooks/{id}/deliveries/{deliveryId}", response_model=Envelope[DeliveryOut])
async def get_delivery(
    request: Request, tenant: Tenant, session: Session, id: str, delivery_id: DeliveryId
) -> Response:
    """Get one delivery of a webhook, with every attempt (beyond the Smile contract)."""
    return envelope(request, await delivery.get_delivery(session, tenant, id, delivery_id))


@router.post(
    "/webhooks/{id}/deliveries/{deliveryId}/redeliver", response_model=Envelope[DeliveryOut]
)
async def redeliver(
    request: Request,
    tenant: Tenant,
    session: Session,
    clock: AppClock,
    id: str,
    delivery_id: DeliveryId,
) -> Response:
    """Send one delivery again now, with the same body (byte for byte) and a fresh retry
    schedule (beyond the Smile contract). The webhook must be active."""
    resent = await delivery.redeliver(session, tenant, id, delivery_id, clock.now())
    return envelope(request, resent)


def _instant(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidParameters(
            "since must be an ISO 8601 date or date-time, such as 2026-11-02T00:00:00Z"
        ) from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


@router.post("/webhooks/{id}/recover", response_model=Envelope[RecoverOut])
async def recover(
    request: Request,
    tenant: Tenant,
    session: Session,
    clock: AppClock,
    id: str,
    since: Annotated[
        str,
        Query(
            min_length=1,
            max_length=40,
            description="ISO 8601 date-time (UTC when no offset is given): deliveries "
            "created from then on are resent.",
        ),
    ],
) -> Response:
    """Resend every delivery created since `since` that has not succeeded: those that
    failed, and those still waiting for a retry (brought forward). For a receiver that is
    back after an outage (beyond the Smile contract). The webhook must be active."""
    count = await delivery.recover(session, tenant, id, _instant(since), clock.now())
    return envelope(request, RecoverOut(resent=count))
