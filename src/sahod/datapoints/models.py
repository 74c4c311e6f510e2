from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Computed,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from sahod.db import Base


class DataPoint(Base):
    """One record of one kind, read from one account, or from one archive (an uploaded
    document: ``source_type`` ARCHIVE, ``archive_id`` set, ``account_id`` null).

    All kinds share one table: they are read the same way (by tenant, kind, user or
    source, date, newest first), and the kind's own fields live in ``payload`` exactly
    as the contract shapes them.
    """

    __tablename__ = "datapoints"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    # Unique by construction (an identity); no index of its own: every read is tenant-scoped
    # and uses a (tenant_id, …, seq) index, and a lone seq index only tempts the planner.
    seq: Mapped[int] = mapped_column(BigInteger, Identity())
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    account_id: Mapped[str | None] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    archive_id: Mapped[str | None] = mapped_column(ForeignKey("archives.id", ondelete="CASCADE"))
    source_type: Mapped[str] = mapped_column(
        String(16), default="ACCOUNT", server_default="ACCOUNT"
    )
    provider_id: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(16))
    reference: Mapped[str] = mapped_column(String(200))
    # The date the contract's startDate/endDate (or startMonth/endMonth) filters compare.
    effective_date: Mapped[date | None] = mapped_column(Date)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    # The source's creation time (the account's, or the archive's): metadata.createdAt.
    account_created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The task that last added or changed this record (webhooks' includePayload reads it).
    last_task_id: Mapped[str | None] = mapped_column(String(40))
    # The finished wire item (service.wire_item's JSON), kept by PostgreSQL on every write
    # (a function of migrations 0011 and 0012): the lists hand it out without touching
    # each item.
    wire_json: Mapped[str] = mapped_column(
        Text,
        Computed(
            "sahod_datapoint_wire_v2(id, payload, account_created_at, created_at,"
            " source_type, account_id, archive_id, provider_id, user_id)",
            persisted=True,
        ),
        deferred=True,
    )

    __table_args__ = (
        # The upsert key: running the same sync twice stores nothing twice.
        UniqueConstraint("account_id", "kind", "reference", name="uq_datapoints_source_record"),
        UniqueConstraint("archive_id", "kind", "reference", name="uq_datapoints_archive_record"),
        CheckConstraint("(account_id IS NULL) <> (archive_id IS NULL)", name="one_source"),
        Index("ix_datapoints_tenant_kind_seq", "tenant_id", "kind", "seq"),
        Index("ix_datapoints_tenant_kind_user_seq", "tenant_id", "kind", "user_id", "seq"),
        Index("ix_datapoints_tenant_kind_account_seq", "tenant_id", "kind", "account_id", "seq"),
        Index(
            "ix_datapoints_tenant_kind_archive_seq",
            "tenant_id",
            "kind",
            "archive_id",
            "seq",
            postgresql_where="archive_id IS NOT NULL",
        ),
        Index("ix_datapoints_last_task", "last_task_id", "kind"),
    )
