"""The widget's side: a user's token, their accounts, and nothing of anyone else's."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from sahod.accounts import repository as accounts_repository
from sahod.accounts.models import Account
from sahod.accounts.schemas import ConnectionStatus
from sahod.accounts.sealed import open_state
from sahod.accounts.service import account_wire
from sahod.errors import InvalidToken, MissingResource
from sahod.kit.crypto import Sealer, hash_secret
from sahod.link.schemas import LinkContext
from sahod.tasks import repository as tasks_repository
from sahod.users import repository as users_repository

EXPIRED_MESSAGE = "The token has expired; ask for a new one (POST /v1/tokens)."


async def authenticate(session: AsyncSession, token: str, now: datetime) -> LinkContext:
    found = await users_repository.find_token(session, hash_secret(token))
    if found is None:
        raise InvalidToken("The token is not valid.")
    if found.expires_at <= now:
        raise InvalidToken(EXPIRED_MESSAGE)
    return LinkContext(
        tenant_id=found.tenant_id,
        user_id=found.user_id,
        mode=found.mode,
        expires_at=found.expires_at,
    )


async def own_account(session: AsyncSession, context: LinkContext, account_id: str) -> Account:
    account = await accounts_repository.get_account(session, context.tenant_id, account_id)
    if account is None or account.user_id != context.user_id:
        raise MissingResource(f"There is no account {account_id}.")
    return account


async def own_accounts(session: AsyncSession, context: LinkContext) -> Sequence[Account]:
    return await accounts_repository.list_user_accounts(session, context.tenant_id, context.user_id)


async def widget_view(session: AsyncSession, account: Account, sealer: Sealer) -> dict[str, Any]:
    """The account as the widget follows it: where a code was sent while one is awaited,
    and whether the first sync is still running."""
    view = account_wire(account)
    view["mfa"] = None
    if account.connection_status == ConnectionStatus.AWAITING_MFA:
        prompt = open_state(sealer, account.id, account.portal_state).get("mfa")
        view["mfa"] = prompt
    view["syncing"] = (
        account.connection_status == ConnectionStatus.CONNECTED
        and await tasks_repository.open_task_id(session, account.tenant_id, account.id) is not None
    )
    return view
