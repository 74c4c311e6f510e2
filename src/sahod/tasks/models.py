from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Identity, Index, String
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from sahod.db import Base


class Task(Base):
    """One run of the pipeline for an account: LINK_ACCOUNT, then UPDATE_ACCOUNT each month."""

    __tablename__ = "tasks"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    # Unique by construction (an identity); no index of its own: every read is tenant-scoped
    # and uses a (tenant_id, …, seq) index, and a lone seq index only tempts the planner.
    seq: Mapped[int] = mapped_column(BigInteger, Identity())
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    provider_id: Mapped[str] = mapped_column(String(40))
    type: Mapped[str] = mapped_column(String(24))
    status: Mapped[str] = mapped_column(String(16))  # Started | Finished
    outcome: Mapped[str | None] = mapped_column(String(16))  # SUCCEEDED | FAILED
    error_code: Mapped[str | None] = mapped_column(String(40))
    datapoints: Mapped[list[str]] = mapped_column(ARRAY(String(16)), default=list)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("ix_tasks_tenant_seq", "tenant_id", "seq"),
        Index("ix_tasks_tenant_user_seq", "tenant_id", "user_id", "seq"),
        Index("ix_tasks_tenant_account_seq", "tenant_id", "account_id", "seq"),
    )
