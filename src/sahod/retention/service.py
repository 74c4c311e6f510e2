"""The retention rules, applied in the caller's transaction (the task commits)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from sahod.accounts import repository as accounts_repository
from sahod.accounts import service as accounts_service
from sahod.retention import repository

EXPIRE_BATCH = 200


async def forget_failed_credentials(session: AsyncSession, now: datetime, window: timedelta) -> int:
    """A password the portal rejected is of no use to keep: credentials of accounts that
    ended in ERROR go once ``window`` has passed (a reauthorization brings new ones)."""
    return await repository.delete_error_credentials(session, now - window)


async def revoke_expired_batch(
    session: AsyncSession, now: datetime, retention: timedelta, batch: int = EXPIRE_BATCH
) -> int:
    """Revoke, as the user's own revoke would (data and credentials deleted, DISCONNECTED,
    ACCOUNT_DISCONNECTED), up to ``batch`` accounts kept past ``retention`` after their
    connection whose tenant has no Continuous Data Sync; how many."""
    expired = await repository.expired_accounts(session, now - retention, batch)
    for tenant_id, account_id in expired:
        account = await accounts_repository.get_account(session, tenant_id, account_id)
        if account is not None:
            await accounts_service.revoke(session, account, now)
    return len(expired)
