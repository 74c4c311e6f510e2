from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Computed,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from sahod.accounts.schemas import ConnectionStatus, MonitorStatus
from sahod.db import Base, str_enum
from sahod.providers.base import ErrorCode


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    # Unique by construction (an identity); no index of its own: every read is tenant-scoped
    # and uses a (tenant_id, …, seq) index, and a lone seq index only tempts the planner.
    seq: Mapped[int] = mapped_column(BigInteger, Identity())
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    provider_id: Mapped[str] = mapped_column(String(40))
    login_name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    connection_status: Mapped[ConnectionStatus] = mapped_column(str_enum(ConnectionStatus, 20))
    error_code: Mapped[ErrorCode | None] = mapped_column(str_enum(ErrorCode, 40))
    error_message: Mapped[str | None] = mapped_column(Text)
    connection_updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    monitor_status: Mapped[MonitorStatus] = mapped_column(str_enum(MonitorStatus, 24))
    # Null until the monitor status first changes, as the Accounts seed shows.
    monitor_updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Sealed (AES-GCM, context = account id): the portal's cookies and remembered device, or
    # while a one-time code is awaited, what the connector needs to submit it.
    portal_state: Mapped[bytes | None] = mapped_column(LargeBinary)
    # A one-time code the user submitted, sealed, until the worker hands it to the portal.
    pending_mfa_code: Mapped[bytes | None] = mapped_column(LargeBinary)
    mfa_deadline: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Continuous Data Sync: the day of the month it syncs on (that of its first connection,
    # Philippine time), when it next does, and when its tenant last asked for a refresh.
    sync_day: Mapped[int | None] = mapped_column(SmallInteger)
    next_sync_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sync_requested_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The finished wire item (service.account_wire's JSON), kept by PostgreSQL on every
    # transition (a function of migration 0011): the list hands it out as it is.
    wire_json: Mapped[str] = mapped_column(
        Text,
        Computed(
            "sahod_account_wire(id, created_at, provider_id, user_id, connection_status,"
            " error_code, error_message, connection_updated_at, monitor_status,"
            " monitor_updated_at)",
            persisted=True,
        ),
        deferred=True,
    )

    __table_args__ = (
        Index("ix_accounts_tenant_seq", "tenant_id", "seq"),
        Index("ix_accounts_tenant_user_seq", "tenant_id", "user_id", "seq"),
        Index("ix_accounts_tenant_created", "tenant_id", "created_at"),
        # The CDS scan's index: only accounts that can sync are in it, so finding one day's
        # due accounts costs the same per account among a million as among a thousand.
        Index(
            "ix_accounts_due_sync",
            "next_sync_at",
            postgresql_where=text("connection_status = 'CONNECTED' AND monitor_status = 'ACTIVE'"),
        ),
    )


class AccountCredentials(Base):
    """The user's portal username and password, sealed; deleted with the revoke."""

    __tablename__ = "account_credentials"

    account_id: Mapped[str] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
