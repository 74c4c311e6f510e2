"""Subscriptions: a tenant's webhooks, their URLs and the secrets that sign for them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from sahod.config import Settings
from sahod.errors import InvalidParameters, MissingResource
from sahod.kit.crypto import Sealer
from sahod.kit.ids import WEBHOOK, new_id
from sahod.kit.pagination import PageRequest
from sahod.tenants.schemas import TenantContext, TenantMode
from sahod.webhooks import repository
from sahod.webhooks.guard import policy_for, url_problem
from sahod.webhooks.models import Webhook
from sahod.webhooks.schemas import EventType, WebhookCreate, WebhookOut, WebhookUpdate


def sealing_context(webhook_id: str) -> str:
    return f"webhook-secret:{webhook_id}"


def secret_hint(secret: str) -> str:
    """What is shown of a secret after the call that set it."""
    return "****" + secret[-4:] if len(secret) >= 16 else "****"


def webhook_out(webhook: Webhook, *, secret: str | None = None) -> WebhookOut:
    return WebhookOut(
        id=webhook.id,
        created_at=webhook.created_at,
        updated_at=webhook.updated_at,
        name=webhook.name,
        url=webhook.url,
        event_types=[EventType(value) for value in webhook.event_types],
        active=webhook.active,
        include_payload=webhook.include_payload,
        secret=secret if secret is not None else webhook.secret_hint,
        disabled_reason=webhook.disabled_reason,
    )


def _check_url(url: str, tenant: TenantContext, settings: Settings) -> None:
    production = tenant.mode is TenantMode.PRODUCTION
    policy = policy_for(settings, production=production)
    problem = url_problem(url, production=production, policy=policy)
    if problem is not None:
        raise InvalidParameters(problem)


async def create_webhook(
    session: AsyncSession,
    tenant: TenantContext,
    request: WebhookCreate,
    now: datetime,
    sealer: Sealer,
    settings: Settings,
) -> WebhookOut:
    _check_url(request.url, tenant, settings)
    webhook_id = new_id(WEBHOOK)
    webhook = Webhook(
        id=webhook_id,
        tenant_id=tenant.id,
        name=request.name,
        url=request.url,
        event_types=[t.value for t in request.event_types],
        active=request.active,
        include_payload=request.include_payload,
        secret_sealed=sealer.seal(request.secret.encode(), sealing_context(webhook_id)),
        secret_hint=secret_hint(request.secret),
        created_at=now,
        updated_at=now,
    )
    await repository.add_webhook(session, webhook)
    # The one response that shows the secret in full: the tenant has just chosen it.
    return webhook_out(webhook, secret=request.secret)


async def owned_webhook(
    session: AsyncSession, tenant: TenantContext, webhook_id: str, *, for_update: bool = False
) -> Webhook:
    webhook = await repository.get_webhook(session, tenant.id, webhook_id, for_update=for_update)
    if webhook is None:
        raise MissingResource(f"There is no webhook {webhook_id}.")
    return webhook


async def get_webhook(session: AsyncSession, tenant: TenantContext, webhook_id: str) -> WebhookOut:
    return webhook_out(await owned_webhook(session, tenant, webhook_id))


async def list_webhooks(
    session: AsyncSession, tenant: TenantContext, page: PageRequest
) -> Sequence[Webhook]:
    return await repository.list_webhooks(session, tenant.id, page)


async def update_webhook(
    session: AsyncSession,
    tenant: TenantContext,
    webhook_id: str,
    request: WebhookUpdate,
    now: datetime,
    sealer: Sealer,
    settings: Settings,
) -> WebhookOut:
    webhook = await owned_webhook(session, tenant, webhook_id, for_update=True)
    if request.name is not None:
        webhook.name = request.name
    if request.url is not None:
        _check_url(request.url, tenant, settings)
        webhook.url = request.url
    if request.event_types is not None:
        webhook.event_types = [t.value for t in request.event_types]
    if request.include_payload is not None:
        webhook.include_payload = request.include_payload
    if request.secret is not None:
        # A rotation: the old secret goes on signing (a second webhook-signature) for the
        # grace period, so a receiver can switch secrets without refusing a genuine event.
        webhook.previous_secret_sealed = webhook.secret_sealed
        webhook.previous_secret_until = now + timedelta(
            seconds=settings.webhook_secret_grace_seconds
        )
        webhook.secret_sealed = sealer.seal(request.secret.encode(), sealing_context(webhook.id))
        webhook.secret_hint = secret_hint(request.secret)
    if request.active is True:
        webhook.active = True
        webhook.disabled_reason = None
        webhook.failing_since = None
    elif request.active is False and webhook.active:
        webhook.active = False
        await repository.give_up_pending(
            session, tenant.id, webhook.id, "the webhook was turned off", now
        )
    webhook.updated_at = now
    await session.flush()
    return webhook_out(webhook)


async def delete_webhook(session: AsyncSession, tenant: TenantContext, webhook_id: str) -> None:
    # Its deliveries and attempts go with it (cascade); a job still queued for one of them
    # finds nothing and ends.
    if not await repository.delete_webhook(session, tenant.id, webhook_id):
        raise MissingResource(f"There is no webhook {webhook_id}.")


async def active_webhook(session: AsyncSession, tenant: TenantContext, webhook_id: str) -> Webhook:
    webhook = await owned_webhook(session, tenant, webhook_id)
    if not webhook.active:
        raise InvalidParameters(
            f"The webhook {webhook_id} is not active; set active to true before resending."
        )
    return webhook
