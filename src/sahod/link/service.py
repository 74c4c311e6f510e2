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
from sahod.kit.crypto import Sealer, hash_secret, new_secret
from sahod.kit.ids import TOKEN, new_id
from sahod.link.schemas import LinkContext
from sahod.tasks import repository as tasks_repository
from sahod.tenants.schemas import TenantContext, TenantMode
from sahod.users import repository as users_repository
from sahod.users.models import AccessToken

EXPIRED_MESSAGE = "The token has expired; ask for a new one (POST /v1/tokens)."
SPENT_MESSAGE = (
    "This link token has already opened a widget session; generate a new one for each "
    "launch of the widget (POST /v1/tokens)."
)
REVOKED_MESSAGE = "The user's accounts were revoked after this token was issued; ask for a new one."
LINK = "LINK"
SESSION = "SESSION"


async def authenticate(session: AsyncSession, token: str, now: datetime) -> LinkContext:
    found = await users_repository.find_token(session, hash_secret(token))
    if found is None:
        raise InvalidToken("The token is not valid.")
    if found.expires_at <= now:
        raise InvalidToken(EXPIRED_MESSAGE)
    if found.kind == LINK:
        if found.spent_at is not None:
            raise InvalidToken(SPENT_MESSAGE)
        if await _revoked_since(session, found.tenant_id, found.user_id, found.created_at):
            raise InvalidToken(REVOKED_MESSAGE)
    return LinkContext(
        tenant_id=found.tenant_id,
        user_id=found.user_id,
        mode=found.mode,
        expires_at=found.expires_at,
        token_id=found.id,
        kind=found.kind,
    )


async def _revoked_since(
    session: AsyncSession, tenant_id: str, user_id: str, issued_at: datetime
) -> bool:
    """Whether every account of the user has been revoked, the last after ``issued_at``."""
    accounts = await accounts_repository.list_user_accounts(session, tenant_id, user_id)
    return (
        bool(accounts)
        and all(a.connection_status == ConnectionStatus.DISCONNECTED.value for a in accounts)
        and max(a.connection_updated_at for a in accounts) > issued_at
    )


async def open_widget_session(
    session: AsyncSession, context: LinkContext, now: datetime
) -> tuple[str, LinkContext]:
    """Spends a link token for a widget session token (valid until the link token would
    have expired); the widget calls this once, when it opens."""
    if context.kind != LINK:
        raise InvalidToken("Send the link token (not a session token) to open a session.")
    if not await users_repository.spend_token(session, context.token_id, now):
        raise InvalidToken(SPENT_MESSAGE)
    secret = new_secret("wss")
    await users_repository.add_token(
        session,
        AccessToken(
            id=new_id(TOKEN),
            token_hash=hash_secret(secret),
            tenant_id=context.tenant_id,
            user_id=context.user_id,
            mode=context.mode,
            created_at=now,
            expires_at=context.expires_at,
            kind=SESSION,
        ),
    )
    return secret, context


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


def tenant_of(context: LinkContext) -> TenantContext:
    """The tenant the widget session acts for, as the tenant API would know it."""
    return TenantContext(id=context.tenant_id, mode=TenantMode(context.mode))
