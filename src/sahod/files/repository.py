"""Every query of stored files and their bytes.

Tenant-facing queries start from ``_files(tenant_id)``. ``expired_files_across_tenants``
spans tenants on purpose: the retention sweep is the operator's; what it then deletes is
scoped by tenant.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sahod.files.models import FileBlob, StoredFile


def _files(tenant_id: str) -> Select[Any]:
    return select(StoredFile).where(StoredFile.tenant_id == tenant_id)


async def add_file(session: AsyncSession, row: StoredFile) -> None:
    session.add(row)
    await session.flush()


async def get_file(session: AsyncSession, tenant_id: str, file_id: str) -> StoredFile | None:
    found: StoredFile | None = (
        await session.execute(_files(tenant_id).where(StoredFile.id == file_id))
    ).scalar_one_or_none()
    return found


async def files_of_owners(
    session: AsyncSession, tenant_id: str, owner_ids: Sequence[str]
) -> list[StoredFile]:
    """The files of each owner, in their upload order."""
    if not owner_ids:
        return []
    rows = await session.execute(
        _files(tenant_id)
        .where(StoredFile.owner_id.in_(owner_ids))
        .order_by(StoredFile.owner_id, StoredFile.position)
    )
    return list(rows.scalars())


async def mark_deleted(
    session: AsyncSession, tenant_id: str, file_ids: Sequence[str], now: datetime
) -> None:
    await session.execute(
        update(StoredFile)
        .where(StoredFile.tenant_id == tenant_id, StoredFile.id.in_(file_ids))
        .values(deleted_at=now)
        .execution_options(synchronize_session=False)
    )


async def expired_files_across_tenants(
    session: AsyncSession, now: datetime, batch: int
) -> list[StoredFile]:
    """Up to ``batch`` files whose expiry has passed and whose bytes are still kept,
    locked, skipping those another sweep holds."""
    rows = await session.execute(
        select(StoredFile)
        .where(
            StoredFile.deleted_at.is_(None),
            StoredFile.expires_at.is_not(None),
            StoredFile.expires_at <= now,
        )
        .order_by(StoredFile.expires_at)
        .limit(batch)
        .with_for_update(skip_locked=True)
    )
    return list(rows.scalars())


# The PostgreSQL store's bytes. A blob is reached only through its file's id, which the
# caller found with a tenant-scoped query first.

_ADD_BLOB = insert(FileBlob)


async def put_blob(session: AsyncSession, file_id: str, data: bytes) -> None:
    await session.execute(_ADD_BLOB, [{"file_id": file_id, "data": data}])


async def get_blob(session: AsyncSession, file_id: str) -> bytes | None:
    found: bytes | None = (
        await session.execute(select(FileBlob.data).where(FileBlob.file_id == file_id))
    ).scalar_one_or_none()
    return found


async def delete_blobs(session: AsyncSession, file_ids: Sequence[str]) -> None:
    if file_ids:
        await session.execute(delete(FileBlob).where(FileBlob.file_id.in_(file_ids)))
