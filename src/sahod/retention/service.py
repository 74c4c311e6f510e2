"""The retention rules, applied in the caller's transaction (the task commits)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from sahod.accounts import repository as accounts_repository
from sahod.accounts import service as accounts_service
from sahod.archives import service as archives_service
from sahod.config import Settings
from sahod.exports import service as exports_service
from sahod.files import service as files_service
from sahod.retention import repository

EXPIRE_BATCH = 200


async def forget_failed_credentials(session: AsyncSession, now: datetime, window: timedelta) -> int:
    """A password the portal rejected is of no use to keep: credentials of accounts that
    ended in ERROR go once ``window`` has passed (a reauthorization brings new ones)."""
    return await repository.delete_error_credentials(session, now - window)


async def revoke_expired_batch(
    session: AsyncSession,
    extras: dict[str, Any],
    settings: Settings,
    now: datetime,
    retention: timedelta,
    batch: int = EXPIRE_BATCH,
) -> int:
    """Revoke, as the user's own revoke would (data, credentials and exports' files
    deleted, DISCONNECTED, ACCOUNT_DISCONNECTED), up to ``batch`` accounts kept past
    ``retention`` after their connection whose tenant has no Continuous Data Sync; how
    many."""
    expired = await repository.expired_accounts(session, now - retention, batch)
    for tenant_id, account_id in expired:
        account = await accounts_repository.get_account(session, tenant_id, account_id)
        if account is not None:
            await accounts_service.revoke(session, account, now, extras=extras, settings=settings)
    return len(expired)


async def revoke_expired_archives(
    session: AsyncSession, extras: dict[str, Any], settings: Settings, now: datetime
) -> int:
    """Revoke, as a tenant's revoke would (files' bytes and data points deleted, REVOKED,
    ARCHIVE_REVOKED), a batch of archives whose ARCHIVE_RETENTION_DAYS have passed since
    their upload; how many."""
    return await archives_service.revoke_expired_batch(session, extras, settings, now)


async def delete_revoked_accounts_exports(
    session: AsyncSession, extras: dict[str, Any], settings: Settings, now: datetime
) -> int:
    """Delete the files of a batch of exports whose account was revoked; how many. A
    revoke deletes them itself: this catches an export generated while its account was
    being revoked (and files of accounts revoked before revokes did)."""
    return await exports_service.delete_revoked_accounts_exports(session, extras, settings, now)


async def delete_expired_files(
    session: AsyncSession, extras: dict[str, Any], settings: Settings, now: datetime
) -> int:
    """Delete the bytes of a batch of other stored files past their expiry (exports); an
    archive's files go with their archive, above. How many."""
    expired = await files_service.expired_files(session, now)
    return await files_service.delete_files(session, extras, settings, expired, now)
