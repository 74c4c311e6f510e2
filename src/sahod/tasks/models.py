from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, DateTime, ForeignKey, Identity, Index, String
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from sahod.db import Base, str_enum
from sahod.tasks.schemas import TaskOutcome, TaskStatus, TaskType


class Task(Base):
    """One run of the pipeline for an account (LINK_ACCOUNT, then UPDATE_ACCOUNT each
    month) or the analysis of an archive (ANALYZE_ARCHIVE): exactly one of ``account_id``
    and ``archive_id`` is set, as on data points."""

    __tablename__ = "tasks"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    # Unique by construction (an identity); no index of its own: every read is tenant-scoped
    # and uses a (tenant_id, …, seq) index, and a lone seq index only tempts the planner.
    seq: Mapped[int] = mapped_column(BigInteger, Identity())
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    account_id: Mapped[str | None] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    archive_id: Mapped[str | None] = mapped_column(ForeignKey("archives.id", ondelete="CASCADE"))
    provider_id: Mapped[str] = mapped_column(String(40))
    # The source's (account's or archive's) createdAt, copied in: the wire item shows it,
    # and reading it here keeps the tasks package free of those tables (as datapoints do).
    account_created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    type: Mapped[TaskType] = mapped_column(str_enum(TaskType, 24))
    status: Mapped[TaskStatus] = mapped_column(str_enum(TaskStatus, 16))
    outcome: Mapped[TaskOutcome | None] = mapped_column(str_enum(TaskOutcome, 16))
    # An account's ErrorCode or an archive's errorCode (INVALID_FIELD_FORMAT...): plain text,
    # read back as written (the same VARCHAR(40) the enum column was).
    error_code: Mapped[str | None] = mapped_column(String(40))
    datapoints: Mapped[list[str]] = mapped_column(ARRAY(String(16)), default=list)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # When the account this task signed in reached CONNECTED (None: it has not): provider
    # health's time to CONNECTED is read from here, one row per sign-in.
    connected_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("ix_tasks_tenant_seq", "tenant_id", "seq"),
        Index("ix_tasks_tenant_user_seq", "tenant_id", "user_id", "seq"),
        Index("ix_tasks_tenant_account_seq", "tenant_id", "account_id", "seq"),
        Index("ix_tasks_tenant_archive_seq", "tenant_id", "archive_id", "seq"),
        CheckConstraint("(account_id IS NULL) <> (archive_id IS NULL)", name="one_source"),
        # Provider health and metrics aggregate every tenant's outcomes of one provider
        # over a recent window (sahod.provider_health).
        Index("ix_tasks_provider_finished", "provider_id", "finished_at"),
    )
