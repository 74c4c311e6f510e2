from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from sahod.accounts import lifecycle, repository
from sahod.accounts.events import account_event
from sahod.accounts.models import Account, AccountCredentials
from sahod.accounts.sealed import seal_credentials
from sahod.config import Settings
from sahod.datapoints import repository as datapoints_repository
from sahod.db import DriverConnection
from sahod.errors import MissingResource
from sahod.events.service import emit
from sahod.files import service as files
from sahod.kit.clock import iso_z
from sahod.kit.crypto import Sealer
from sahod.kit.pagination import JsonPage, PageRequest
from sahod.providers.base import Credentials
from sahod.tasks import lifecycle as tasks_lifecycle
from sahod.tenants.schemas import TenantContext


def account_wire(row: Row[Any] | Account) -> dict[str, Any]:
    """The contract's Account object (schemas.AccountOut), built as a plain dict: the
    list endpoint renders up to 150 at a time and validating each would triple its cost."""
    return {
        "id": row.id,
        "createdAt": iso_z(row.created_at),
        "providerId": row.provider_id,
        "userId": row.user_id,
        "connectionStatus": row.connection_status,
        "connection": {
            "status": row.connection_status,
            "errorCode": row.error_code,
            "errorMessage": row.error_message,
            "updatedAt": iso_z(row.connection_updated_at),
        },
        "monitorStatus": row.monitor_status,
        "monitor": {"status": row.monitor_status, "updatedAt": iso_z(row.monitor_updated_at)},
    }


async def get_account_json(
    connection: DriverConnection, tenant: TenantContext, account_id: str
) -> str:
    """``account_wire``'s JSON, as PostgreSQL keeps it."""
    found = await repository.get_account_json(connection, tenant.id, account_id)
    if found is None:
        raise MissingResource(f"There is no account {account_id}.")
    return found


async def get_account(session: AsyncSession, tenant: TenantContext, account_id: str) -> Account:
    account = await repository.get_account(session, tenant.id, account_id)
    if account is None:
        raise MissingResource(f"There is no account {account_id}.")
    return account


async def list_accounts(
    connection: DriverConnection,
    tenant: TenantContext,
    page: PageRequest,
    *,
    user_id: str | None,
    created_from: datetime | None,
    created_before: datetime | None,
) -> JsonPage:
    return await repository.list_accounts(
        connection,
        tenant.id,
        page,
        user_id=user_id,
        created_from=created_from,
        created_before=created_before,
    )


# --- The write side: revoke, monitoring, credentials ----------------------------------
# Linking, one-time codes and re-authorization also queue the pipeline: sync.service.


async def revoke(
    session: AsyncSession,
    account: Account,
    now: datetime,
    *,
    extras: dict[str, Any],
    settings: Settings,
) -> None:
    """The user's data and credentials go, and the bytes of the account's exports, in one
    transaction with the status change (``extras``/``settings``: the runtime's file
    stores), so an export's downloadUrl stops working with the revoke, as the contract
    says, not at the next retention sweep.

    The row lock orders this against any running job: a job that writes after this commit
    finds the account DISCONNECTED and writes nothing.
    """
    locked = await repository.lock_account(session, account.tenant_id, account.id)
    if locked is None or not lifecycle.DISCONNECT.allows(locked):
        return  # revoked already: revoking again changes nothing
    await datapoints_repository.delete_account_datapoints(session, locked.tenant_id, locked.id)
    await repository.delete_credentials(session, locked.tenant_id, locked.id)
    # An account's files are its exports (sahod.exports stores them owned by the account).
    # PostgreSQL's blobs go in this transaction; an S3 store deletes its objects now, before
    # the commit (a rollback after that leaves rows whose bytes are gone: the download
    # answers 404, which a revoke wanted anyway).
    exports = await files.files_of(session, locked.tenant_id, [locked.id])
    await files.delete_files(session, extras, settings, exports[locked.id], now)
    lifecycle.disconnect(locked, now)
    await tasks_lifecycle.cancel_open_tasks(session, locked.tenant_id, locked.id, now)
    await emit(session, locked.tenant_id, "ACCOUNT_DISCONNECTED", account_event(locked), now)


async def disable_monitor(session: AsyncSession, account: Account, now: datetime) -> None:
    locked = await repository.lock_account(session, account.tenant_id, account.id)
    if locked is not None:
        lifecycle.disable_monitor(locked, now)


async def store_credentials(
    session: AsyncSession, account: Account, credentials: Credentials, sealer: Sealer, now: datetime
) -> None:
    """The account's portal credentials, sealed: added, or replacing those it had."""
    sealed = seal_credentials(sealer, account.id, credentials)
    stored = await repository.get_credentials(session, account.tenant_id, account.id)
    if stored is None:
        await repository.add_credentials(
            session,
            AccountCredentials(
                account_id=account.id,
                tenant_id=account.tenant_id,
                sealed=sealed,
                created_at=now,
                updated_at=now,
            ),
        )
    else:
        stored.sealed = sealed
        stored.updated_at = now
