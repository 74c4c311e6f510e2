"""The account changes that start the pipeline: each changes the account and queues the
job that carries on from it, in the caller's one transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from sahod.accounts import lifecycle
from sahod.accounts import repository as accounts_repository
from sahod.accounts import service as accounts_service
from sahod.accounts.events import account_event
from sahod.accounts.models import Account
from sahod.accounts.sealed import seal_code
from sahod.errors import InvalidParameters
from sahod.events.service import emit
from sahod.kit.crypto import Sealer
from sahod.kit.ids import ACCOUNT, new_id
from sahod.kit.jobs import defer
from sahod.providers.base import Credentials
from sahod.providers.catalog import PROVIDERS_BY_ID
from sahod.sync.pipeline import ADVANCE
from sahod.tasks import lifecycle as tasks_lifecycle
from sahod.tasks import repository as tasks_repository
from sahod.tasks.schemas import TaskType


async def _advance(session: AsyncSession, account: Account, task_id: str | None) -> None:
    await defer(
        session,
        ADVANCE,
        lock=account.id,
        tenant_id=account.tenant_id,
        account_id=account.id,
        task_id=task_id,
    )


async def link_account(
    session: AsyncSession,
    *,
    tenant_id: str,
    user_id: str,
    provider_id: str,
    credentials: Credentials,
    sealer: Sealer,
    now: datetime,
) -> Account:
    """A new account in PENDING, with its sealed credentials, its LINK_ACCOUNT task, the job
    that will log in, and ACCOUNT_CREATED: one transaction, so none exists without the rest."""
    provider = PROVIDERS_BY_ID.get(provider_id)
    if provider is None or not provider.enabled:
        raise InvalidParameters(f"providerId {provider_id!r} is not a provider of Sahod")
    account = lifecycle.create_pending(
        account_id=new_id(ACCOUNT),
        tenant_id=tenant_id,
        user_id=user_id,
        provider_id=provider_id,
        login_name=credentials.username,
        now=now,
    )
    await accounts_repository.add_account(session, account)
    await accounts_service.store_credentials(session, account, credentials, sealer, now)
    task = await tasks_lifecycle.start_task(session, account, TaskType.LINK_ACCOUNT, now)
    await emit(session, tenant_id, "ACCOUNT_CREATED", account_event(account), now)
    await _advance(session, account, task.id)
    return account


async def submit_mfa_code(
    session: AsyncSession, account: Account, code: str, sealer: Sealer
) -> Account:
    """Keep the code sealed until the worker hands it to the portal."""
    code = code.strip()
    if not code or len(code) > 20:
        raise InvalidParameters("code must be 1 to 20 characters")
    locked = await accounts_repository.lock_account(session, account.tenant_id, account.id)
    if locked is None:
        raise lifecycle.TransitionRefused(lifecycle.SUBMIT_CODE.refusal)
    lifecycle.submit_code(locked, seal_code(sealer, locked.id, code))
    task_id = await tasks_repository.open_task_id(session, locked.tenant_id, locked.id)
    await _advance(session, locked, task_id)
    return locked


async def reauthorize(
    session: AsyncSession,
    account: Account,
    credentials: Credentials,
    sealer: Sealer,
    now: datetime,
) -> Account:
    """The user signs in again (new password, unlocked account): same account, new
    credentials, and a sync that returns the monitor to ACTIVE once it connects."""
    locked = await accounts_repository.lock_account(session, account.tenant_id, account.id)
    if locked is None:
        raise lifecycle.TransitionRefused(lifecycle.REAUTHORIZE.refusal)
    lifecycle.reauthorize(locked, now, login_name=credentials.username)
    await accounts_service.store_credentials(session, locked, credentials, sealer, now)
    await tasks_lifecycle.cancel_open_tasks(session, locked.tenant_id, locked.id, now)
    task = await tasks_lifecycle.start_task(session, locked, TaskType.UPDATE_ACCOUNT, now)
    await _advance(session, locked, task.id)
    return locked
