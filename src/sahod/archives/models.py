from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, ForeignKey, Identity, Index, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from sahod.db import Base


class Archive(Base):
    """One upload of one or more files of a user; its files are ``stored_files`` rows whose
    owner is the archive."""

    __tablename__ = "archives"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, Identity())
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    provider_id: Mapped[str] = mapped_column(String(40))
    """``tenant-provided`` (the API) or ``user-provided`` (the widget)."""
    type: Mapped[str] = mapped_column(String(40))
    """The declared FileTypeId; OTHERS until classified when none was declared."""
    declared_type: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(16))
    error_code: Mapped[str | None] = mapped_column(String(40))
    error_message: Mapped[str | None] = mapped_column(Text)
    state_updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    classification: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    analysis: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    extraction: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    validation: Mapped[dict[str, Any] | None] = mapped_column(JSONB)

    __table_args__ = (
        Index("ix_archives_tenant_seq", "tenant_id", "seq"),
        Index("ix_archives_tenant_user_seq", "tenant_id", "user_id", "seq"),
        Index(
            "ix_archives_expires_at",
            "expires_at",
            postgresql_where="status <> 'REVOKED'",
        ),
    )
