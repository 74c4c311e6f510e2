from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from sahod.db import Base


class Webhook(Base):
    """A tenant's subscription: where to send which events, and the secret that signs them."""

    __tablename__ = "webhooks"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    # Unique by construction (an identity); no index of its own: every read is tenant-scoped
    # and uses a (tenant_id, …, seq) index, and a lone seq index only tempts the planner.
    seq: Mapped[int] = mapped_column(BigInteger, Identity())
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(500))
    event_types: Mapped[list[str]] = mapped_column(ARRAY(String(40)))
    active: Mapped[bool] = mapped_column(Boolean)
    include_payload: Mapped[bool] = mapped_column(Boolean, default=False)
    # The secret is sealed (AES-GCM, bound to the webhook id), never stored in clear: the
    # worker needs it back to sign, so it cannot be a one-way hash like an API secret.
    secret_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    # What GET shows of the secret (its last characters), so that listing never unseals.
    secret_hint: Mapped[str] = mapped_column(String(16))
    # After a rotation the old secret signs too, until this instant.
    previous_secret_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    previous_secret_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The first failure since the last success: a webhook failing for days is disabled.
    failing_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Why the webhook is inactive when Sahod turned it off: GONE (410) or FAILING.
    disabled_reason: Mapped[str | None] = mapped_column(String(16))
    # The drain sending the webhook's deliveries now, and until when its lease runs (then
    # another may take over: its worker died). One row written per claim of a batch, where
    # a lease on each delivery wrote fifty; in no index, so the write is a HOT update.
    drain_token: Mapped[str | None] = mapped_column(String(32))
    drain_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_webhooks_tenant_seq", "tenant_id", "seq"),)


class WebhookDelivery(Base):
    """One event for one subscription: the body it is sent with, and where it stands."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, Identity())
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    webhook_id: Mapped[str] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    event_type: Mapped[str] = mapped_column(String(40))
    # The exact bytes every attempt sends (and signs), stored once: a retry or a redelivery
    # is byte-identical. Written with the event; with includePayload, the first attempt
    # adds the task's data points to it (built at delivery time, then kept).
    body: Mapped[bytes] = mapped_column(LargeBinary)
    needs_payload: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16))  # PENDING | SUCCEEDED | FAILED
    attempt_count: Mapped[int] = mapped_column(Integer, default=0)
    # Which wait of the retry schedule comes after the next failure; a redelivery resets it.
    schedule_step: Mapped[int] = mapped_column(SmallInteger, default=0)
    # Each job carries the generation it was deferred for; a job of an older generation (a
    # retry overtaken by a redelivery) finds a newer one here and does nothing.
    generation: Mapped[int] = mapped_column(Integer, default=1)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("ix_webhook_deliveries_webhook_seq", "webhook_id", "seq"),
        Index("ix_webhook_deliveries_webhook_status_seq", "webhook_id", "status", "seq"),
        Index("ix_webhook_deliveries_webhook_type_seq", "webhook_id", "event_type", "seq"),
        Index("ix_webhook_deliveries_event", "event_id"),
        # The claim's index: only the waiting deliveries, so a claim walks those, not every
        # delivery the webhook ever had (the planner took the webhook's whole history,
        # oldest first, once most of it had succeeded).
        Index(
            "ix_webhook_deliveries_pending",
            "webhook_id",
            "seq",
            postgresql_where=text("status = 'PENDING'"),
        ),
        # Room on each page for a row's next version: the recording of an attempt then
        # writes it beside the old one, not at the end of the table (measured: a batch's
        # recording took 2.5 to 3.5 times as long in pages filled to the brim).
        {"postgresql_with": {"fillfactor": 70}},
    )


class WebhookAttempt(Base):
    """One HTTP request of a delivery, as it went."""

    __tablename__ = "webhook_attempts"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, Identity())
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    delivery_id: Mapped[str] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE")
    )
    attempted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status_code: Mapped[int | None] = mapped_column(SmallInteger)
    duration_ms: Mapped[int] = mapped_column(Integer)
    succeeded: Mapped[bool] = mapped_column(Boolean)
    error: Mapped[str | None] = mapped_column(Text)
    # The first 2 KB of the receiver's answer, to tell a tenant why their endpoint refused.
    response: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_webhook_attempts_delivery_seq", "delivery_id", "seq"),)
