"""Every query of archives. Tenant-facing ones start from ``_archives(tenant_id)``;
``expired_archives_across_tenants`` spans tenants on purpose (the retention sweep is the
operator's)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from sahod.archives.models import Archive
from sahod.archives.schemas import ArchiveStatus
from sahod.kit.pagination import PageRequest, keyset


def _archives(tenant_id: str) -> Select[Any]:
    return select(Archive).where(Archive.tenant_id == tenant_id)


@dataclass(frozen=True, slots=True)
class ArchiveFilter:
    user_id: str | None = None
    file_type: str | None = None
    created_from: datetime | None = None
    created_before: datetime | None = None


async def add_archive(session: AsyncSession, archive: Archive) -> None:
    session.add(archive)
    await session.flush()


async def get_archive(session: AsyncSession, tenant_id: str, archive_id: str) -> Archive | None:
    found: Archive | None = (
        await session.execute(_archives(tenant_id).where(Archive.id == archive_id))
    ).scalar_one_or_none()
    return found


async def lock_archive(session: AsyncSession, tenant_id: str, archive_id: str) -> Archive | None:
    found: Archive | None = (
        await session.execute(
            _archives(tenant_id)
            .where(Archive.id == archive_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()
    return found


async def list_archives(
    session: AsyncSession, tenant_id: str, page: PageRequest, wanted: ArchiveFilter
) -> Sequence[Archive]:
    statement = _archives(tenant_id)
    if wanted.user_id is not None:
        statement = statement.where(Archive.user_id == wanted.user_id)
    if wanted.file_type is not None:
        statement = statement.where(Archive.type == wanted.file_type)
    if wanted.created_from is not None:
        statement = statement.where(Archive.created_at >= wanted.created_from)
    if wanted.created_before is not None:
        statement = statement.where(Archive.created_at < wanted.created_before)
    return list((await session.execute(keyset(statement, Archive.seq, page))).scalars())


async def user_archives(session: AsyncSession, tenant_id: str, user_id: str) -> list[Archive]:
    """A user's archives not revoked, newest first (the widget's list; a person uploads a
    handful of documents, so it is not paged)."""
    rows = await session.execute(
        _archives(tenant_id)
        .where(Archive.user_id == user_id, Archive.status != ArchiveStatus.REVOKED)
        .order_by(Archive.seq.desc())
        .limit(100)
    )
    return list(rows.scalars())


async def expired_archives_across_tenants(
    session: AsyncSession, before: datetime, batch: int
) -> list[Archive]:
    """Up to ``batch`` archives past their expiry and not revoked, locked, skipping those
    a running job holds (the next sweep takes them)."""
    rows = await session.execute(
        select(Archive)
        .where(Archive.status != ArchiveStatus.REVOKED, Archive.expires_at <= before)
        .order_by(Archive.expires_at)
        .limit(batch)
        .with_for_update(skip_locked=True)
    )
    return list(rows.scalars())
