from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from sahod.db import Base


class StoredFile(Base):
    """What is known of one file; its bytes live in the configured store (``store``)."""

    __tablename__ = "stored_files"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, Identity())
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    # The archive or export the file belongs to; files go with their owner.
    owner_id: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(255))
    format: Mapped[str] = mapped_column(String(8))
    sub_type: Mapped[str | None] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(BigInteger)
    """Bytes."""
    md5: Mapped[str] = mapped_column(String(32))
    store: Mapped[str] = mapped_column(String(16))
    """Which store holds the bytes (``postgres`` or ``s3``), so a change of setting does
    not lose the files stored before it."""
    position: Mapped[int] = mapped_column(Integer, default=0)
    """Its place among its owner's files."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    """Set when the bytes were deleted (revoke, retention): the row stays, as a record."""

    __table_args__ = (
        Index("ix_stored_files_tenant_owner", "tenant_id", "owner_id", "position"),
        Index(
            "ix_stored_files_expires_at",
            "expires_at",
            postgresql_where="deleted_at IS NULL AND expires_at IS NOT NULL",
        ),
    )


class FileBlob(Base):
    """The bytes of a file in the PostgreSQL store: a table of their own, so the hot rows
    (and their pages in the buffer cache) never carry megabytes of documents."""

    __tablename__ = "file_blobs"

    file_id: Mapped[str] = mapped_column(
        ForeignKey("stored_files.id", ondelete="CASCADE"), primary_key=True
    )
    data: Mapped[bytes] = mapped_column(LargeBinary)
