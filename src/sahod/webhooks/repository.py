"""Every query of webhooks, deliveries and attempts.

Each tenant-facing query starts from one of the tenant-scoped base statements below
(``_webhooks``, ``_deliveries``, ``_attempts``, ``_update``, ``_delete``), so a query
without its tenant filter cannot be written by accident. The worker's queries that span
tenants say so in their names and docstrings.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Delete,
    Row,
    Select,
    Table,
    Update,
    bindparam,
    case,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from sahod.kit.pagination import PageRequest, keyset
from sahod.tenants.models import Tenant
from sahod.webhooks.models import Webhook, WebhookAttempt, WebhookDelivery
from sahod.webhooks.schemas import ALL_EVENTS


@dataclass(frozen=True, slots=True)
class Subscriber:
    """What fan-out needs of a subscription."""

    id: str
    include_payload: bool


_Scoped = type[Webhook] | type[WebhookDelivery] | type[WebhookAttempt]


def _webhooks(tenant_id: str) -> Select[Webhook]:
    """The tenant's webhooks; ``.with_only_columns`` narrows it to some columns."""
    return select(Webhook).where(Webhook.tenant_id == tenant_id)


def _deliveries(tenant_id: str) -> Select[WebhookDelivery]:
    """The tenant's deliveries; ``.with_only_columns`` narrows it to some columns."""
    return select(WebhookDelivery).where(WebhookDelivery.tenant_id == tenant_id)


def _attempts(tenant_id: str) -> Select[WebhookAttempt]:
    return select(WebhookAttempt).where(WebhookAttempt.tenant_id == tenant_id)


def _update(model: _Scoped, tenant_id: str) -> Update:
    return update(model).where(model.tenant_id == tenant_id)


def _delete(model: _Scoped, tenant_id: str) -> Delete:
    return delete(model).where(model.tenant_id == tenant_id)


async def add_webhook(session: AsyncSession, webhook: Webhook) -> None:
    session.add(webhook)
    await session.flush()


async def get_webhook(
    session: AsyncSession, tenant_id: str, webhook_id: str, *, for_update: bool = False
) -> Webhook | None:
    statement = _webhooks(tenant_id).where(Webhook.id == webhook_id)
    if for_update:
        # NO KEY UPDATE: the lock an update needs, without holding up the inserts of
        # deliveries (their foreign key takes a KEY SHARE lock on the webhook).
        statement = statement.with_for_update(key_share=True)
    return (await session.execute(statement)).scalar_one_or_none()


async def list_webhooks(
    session: AsyncSession, tenant_id: str, page: PageRequest
) -> Sequence[Webhook]:
    statement = _webhooks(tenant_id)
    return (await session.execute(keyset(statement, Webhook.seq, page))).scalars().all()


async def delete_webhook(session: AsyncSession, tenant_id: str, webhook_id: str) -> bool:
    result = await session.execute(
        _delete(Webhook, tenant_id).where(Webhook.id == webhook_id).returning(Webhook.id)
    )
    return result.first() is not None


async def subscribers(session: AsyncSession, tenant_id: str, event_type: str) -> list[Subscriber]:
    """The tenant's active webhooks that want this event type."""
    rows = await session.execute(
        _webhooks(tenant_id)
        .with_only_columns(Webhook.id, Webhook.include_payload)
        .where(
            Webhook.active.is_(True),
            Webhook.event_types.overlap([event_type, ALL_EVENTS]),
        )
    )
    return [Subscriber(id=row.id, include_payload=row.include_payload) for row in rows]


async def add_deliveries(session: AsyncSession, deliveries: Iterable[WebhookDelivery]) -> None:
    session.add_all(list(deliveries))
    await session.flush()


# What one attempt needs of a delivery, its webhook and its tenant.
_CLAIM_COLUMNS: tuple[Any, ...] = (
    WebhookDelivery.generation,
    WebhookDelivery.status,
    WebhookDelivery.body,
    WebhookDelivery.needs_payload,
    WebhookDelivery.event_id,
    Webhook.id.label("webhook_id"),
    Webhook.url,
    Webhook.active,
    Webhook.secret_sealed,
    Webhook.previous_secret_sealed,
    Webhook.previous_secret_until,
    Webhook.failing_since,
    Tenant.mode,
)


# Built once: every attempt runs it, and building a statement costs more than running it.
_CLAIM = (
    select(*_CLAIM_COLUMNS)
    .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
    .join(Tenant, Tenant.id == WebhookDelivery.tenant_id)
    .where(
        WebhookDelivery.tenant_id == bindparam("tenant_id"),
        WebhookDelivery.id == bindparam("delivery_id"),
    )
)


async def claim_row(session: AsyncSession, tenant_id: str, delivery_id: str) -> Row[Any] | None:
    """Everything one attempt needs, in one read.

    Columns rather than ORM objects, and no lock: this runs for every attempt, and a
    redelivery racing it is caught by the generation check (and by ``store_body``).
    """
    params = {"tenant_id": tenant_id, "delivery_id": delivery_id}
    return (await session.execute(_CLAIM, params)).first()


async def store_body(session: AsyncSession, tenant_id: str, delivery_id: str, body: bytes) -> bytes:
    """Keeps ``body`` as the delivery's body unless another attempt stored one first; either
    way, returns the body every attempt sends."""
    stored = (
        await session.execute(
            _update(WebhookDelivery, tenant_id)
            .where(WebhookDelivery.id == delivery_id, WebhookDelivery.needs_payload.is_(True))
            .values(body=body, needs_payload=False)
            .returning(WebhookDelivery.body)
        )
    ).scalar_one_or_none()
    if stored is not None:
        return bytes(stored)
    kept = (
        await session.execute(
            _deliveries(tenant_id)
            .with_only_columns(WebhookDelivery.body)
            .where(WebhookDelivery.id == delivery_id)
        )
    ).scalar_one()
    return bytes(kept)


async def end_delivery(
    session: AsyncSession,
    tenant_id: str,
    delivery_id: str,
    generation: int,
    status: str,
    error: str | None,
    now: datetime,
) -> None:
    await session.execute(
        _update(WebhookDelivery, tenant_id)
        .where(
            WebhookDelivery.id == delivery_id,
            WebhookDelivery.generation == generation,
            WebhookDelivery.status == "PENDING",
        )
        .values(status=status, last_error=error, next_attempt_at=None, updated_at=now)
    )


def _succeed_statement() -> Any:
    # Parameters are named apart from every column: a parameter named like a column of an
    # UPDATE would be added to its SET clause.
    current = (WebhookDelivery.generation == bindparam("p_generation")) & (
        WebhookDelivery.status == "PENDING"
    )
    done = (
        update(WebhookDelivery)
        .where(
            WebhookDelivery.tenant_id == bindparam("p_tenant_id"),
            WebhookDelivery.id == bindparam("p_delivery_id"),
        )
        .values(
            attempt_count=WebhookDelivery.attempt_count + 1,
            updated_at=bindparam("p_now"),
            status=case((current, "SUCCEEDED"), else_=WebhookDelivery.status),
            last_error=case((current, None), else_=WebhookDelivery.last_error),
            next_attempt_at=case((current, None), else_=WebhookDelivery.next_attempt_at),
        )
        .returning(WebhookDelivery.id)
        .cte("done")
    )
    # The table, not the mapped class: an ORM insert would read the parameters as rows.
    table = WebhookAttempt.__table__
    assert isinstance(table, Table)
    names = [c.name for c in table.c if c.name not in ("seq", "delivery_id")]
    row = select(*(bindparam(f"a_{n}", type_=table.c[n].type) for n in names), done.c.id)
    return insert(table).from_select([*names, "delivery_id"], row).returning(table.c.id)


# WITH done AS (UPDATE the delivery … RETURNING id) INSERT INTO webhook_attempts SELECT …
_SUCCEED = _succeed_statement()


async def succeed(
    session: AsyncSession,
    tenant_id: str,
    delivery_id: str,
    generation: int,
    now: datetime,
    attempt: dict[str, Any],
) -> bool:
    """Records a successful attempt in one statement (this runs for every delivery): the
    attempt row, and the delivery counted and SUCCEEDED, unless a redelivery took it over
    meanwhile. False when the delivery is gone (its webhook was deleted)."""
    params = {f"a_{name}": value for name, value in attempt.items() if name != "delivery_id"}
    params |= {
        "p_tenant_id": tenant_id,
        "p_delivery_id": delivery_id,
        "p_generation": generation,
        "p_now": now,
    }
    return (await session.execute(_SUCCEED, params)).first() is not None


async def locked_delivery(
    session: AsyncSession, tenant_id: str, delivery_id: str
) -> WebhookDelivery | None:
    return (
        await session.execute(
            _deliveries(tenant_id).where(WebhookDelivery.id == delivery_id).with_for_update()
        )
    ).scalar_one_or_none()


async def add_attempt(session: AsyncSession, attempt: dict[str, Any]) -> None:
    await session.execute(insert(WebhookAttempt).values(**attempt))


async def get_delivery(
    session: AsyncSession,
    tenant_id: str,
    webhook_id: str,
    delivery_id: str,
    *,
    for_update: bool = False,
) -> WebhookDelivery | None:
    statement = _deliveries(tenant_id).where(
        WebhookDelivery.webhook_id == webhook_id, WebhookDelivery.id == delivery_id
    )
    if for_update:
        statement = statement.with_for_update()
    return (await session.execute(statement)).scalar_one_or_none()


async def list_deliveries(
    session: AsyncSession,
    tenant_id: str,
    webhook_id: str,
    page: PageRequest,
    *,
    status: str | None,
    event_type: str | None,
) -> Sequence[WebhookDelivery]:
    statement = _deliveries(tenant_id).where(WebhookDelivery.webhook_id == webhook_id)
    if status is not None:
        statement = statement.where(WebhookDelivery.status == status)
    if event_type is not None:
        statement = statement.where(WebhookDelivery.event_type == event_type)
    return (await session.execute(keyset(statement, WebhookDelivery.seq, page))).scalars().all()


async def attempts_of(
    session: AsyncSession, tenant_id: str, delivery_ids: Sequence[str]
) -> dict[str, list[WebhookAttempt]]:
    if not delivery_ids:
        return {}
    rows = (
        await session.execute(
            _attempts(tenant_id)
            .where(WebhookAttempt.delivery_id.in_(delivery_ids))
            .order_by(WebhookAttempt.delivery_id, WebhookAttempt.seq)
        )
    ).scalars()
    found: dict[str, list[WebhookAttempt]] = {}
    for attempt in rows:
        found.setdefault(attempt.delivery_id, []).append(attempt)
    return found


async def unfinished_deliveries_since(
    session: AsyncSession, tenant_id: str, webhook_id: str, since: datetime
) -> Sequence[WebhookDelivery]:
    """Every delivery of the webhook since ``since`` that has not succeeded, locked."""
    return (
        (
            await session.execute(
                _deliveries(tenant_id)
                .where(
                    WebhookDelivery.webhook_id == webhook_id,
                    WebhookDelivery.status != "SUCCEEDED",
                    WebhookDelivery.created_at >= since,
                )
                .order_by(WebhookDelivery.seq)
                .with_for_update()
            )
        )
        .scalars()
        .all()
    )


async def note_success(session: AsyncSession, tenant_id: str, webhook_id: str) -> None:
    # Conditional: a healthy webhook (the usual case) is not rewritten on every delivery.
    await session.execute(
        _update(Webhook, tenant_id)
        .where(Webhook.id == webhook_id, Webhook.failing_since.is_not(None))
        .values(failing_since=None)
    )


async def note_failure(
    session: AsyncSession, tenant_id: str, webhook_id: str, now: datetime
) -> datetime | None:
    """Marks the webhook failing (if it was not already) and returns since when."""
    row = (
        await session.execute(
            _update(Webhook, tenant_id)
            .where(Webhook.id == webhook_id)
            .values(failing_since=func.coalesce(Webhook.failing_since, now))
            .returning(Webhook.failing_since)
        )
    ).first()
    return None if row is None else row[0]


async def disable_webhook(
    session: AsyncSession, tenant_id: str, webhook_id: str, reason: str, now: datetime
) -> None:
    await session.execute(
        _update(Webhook, tenant_id)
        .where(Webhook.id == webhook_id)
        .values(active=False, disabled_reason=reason, updated_at=now)
    )


async def give_up_pending(
    session: AsyncSession, tenant_id: str, webhook_id: str, reason: str, now: datetime
) -> None:
    """Every waiting delivery of a webhook just disabled fails now, not at its next retry
    (up to ten hours away); their jobs then find nothing to do.

    A delivery locked by a job in progress is skipped (its job sees the webhook inactive
    on its own): waiting for it could deadlock with that job, which locks the webhook.
    """
    waiting = (
        _deliveries(tenant_id)
        .with_only_columns(WebhookDelivery.id)
        .where(
            WebhookDelivery.webhook_id == webhook_id,
            WebhookDelivery.status == "PENDING",
        )
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    await session.execute(
        _update(WebhookDelivery, tenant_id)
        .where(WebhookDelivery.id.in_(waiting))
        .values(status="FAILED", last_error=reason, next_attempt_at=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )
