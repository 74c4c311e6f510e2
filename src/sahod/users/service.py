from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from sahod.accounts import repository as accounts_repository
from sahod.accounts import service as accounts_service
from sahod.accounts.schemas import ConnectionStatus
from sahod.config import Settings
from sahod.errors import InvalidParameters, MissingResource
from sahod.events.service import emit
from sahod.kit.crypto import hash_secret, new_secret
from sahod.kit.ids import TOKEN, new_id, random_hex
from sahod.kit.pagination import PageRequest
from sahod.tenants.schemas import TenantContext
from sahod.users import repository
from sahod.users.models import AccessToken, User
from sahod.users.repository import UserRow
from sahod.users.schemas import TokenOut, UserCreate, UserOut, UserSession, UserWithToken


def user_out(row: UserRow) -> UserOut:
    statuses = set(row.account_statuses)
    if ConnectionStatus.CONNECTED in statuses:
        status = "COMPLETED"
    elif statuses and statuses == {ConnectionStatus.DISCONNECTED}:
        status = "REVOKED"
    else:
        status = "IN_PROGRESS"
    return UserOut(
        id=row.user.id,
        external_metadata=row.user.external_metadata,
        created_at=row.user.created_at,
        providers=row.providers,
        session=UserSession(user_id=row.user.id, status=status),
    )


async def issue_token(
    session: AsyncSession, tenant: TenantContext, user_id: str, now: datetime, ttl: timedelta
) -> TokenOut:
    if not await repository.user_exists(session, tenant.id, user_id):
        raise MissingResource(f"There is no user {user_id}.")
    access_token = new_secret("tok")
    token = AccessToken(
        id=new_id(TOKEN),
        token_hash=hash_secret(access_token),
        tenant_id=tenant.id,
        user_id=user_id,
        mode=tenant.mode.value,
        created_at=now,
        expires_at=now + ttl,
    )
    await repository.add_token(session, token)
    return TokenOut(
        id=token.id, expires_at=token.expires_at, mode=tenant.mode.value, access_token=access_token
    )


async def create_user(
    session: AsyncSession,
    tenant: TenantContext,
    request: UserCreate,
    now: datetime,
    token_ttl: timedelta,
) -> UserWithToken:
    user = User(
        id=f"{tenant.id}-{random_hex()}",
        tenant_id=tenant.id,
        external_metadata=request.external_metadata or {},
        created_at=now,
    )
    await repository.add_user(session, user)
    await emit(session, tenant.id, "USER_CREATED", {"userId": user.id}, now)
    token = await issue_token(session, tenant, user.id, now, token_ttl)
    return UserWithToken(
        user=user_out(UserRow(user=user, providers=[], account_statuses=[])), token=token
    )


async def get_user(session: AsyncSession, tenant: TenantContext, user_id: str) -> UserOut:
    row = await repository.get_user(session, tenant.id, user_id)
    if row is None:
        raise MissingResource(f"There is no user {user_id}.")
    return user_out(row)


async def list_users(
    session: AsyncSession,
    tenant: TenantContext,
    page: PageRequest,
    created_from: datetime | None,
    created_before: datetime | None,
) -> Sequence[UserRow]:
    return await repository.list_users(
        session, tenant.id, page, created_from=created_from, created_before=created_before
    )


async def search_users(
    session: AsyncSession, tenant: TenantContext, query: str, limit: int = 50
) -> list[UserOut]:
    """By user id or by any text value of the external metadata; the newest when the
    query is empty."""
    query = query.strip()
    if "\x00" in query:
        raise InvalidParameters("q must not contain NUL characters")
    if query:
        rows = await repository.search_users(session, tenant.id, query, limit)
    else:
        rows = await repository.list_users(
            session,
            tenant.id,
            PageRequest(size=limit, after_seq=None),
            created_from=None,
            created_before=None,
        )
    return [user_out(row) for row in rows[:limit]]


async def revoke_user_accounts(
    session: AsyncSession,
    tenant: TenantContext,
    user_id: str,
    now: datetime,
    *,
    extras: dict[str, Any],
    settings: Settings,
) -> int:
    if not await repository.user_exists(session, tenant.id, user_id):
        raise MissingResource(f"There is no user {user_id}.")
    accounts = await accounts_repository.lock_user_accounts(session, tenant.id, user_id)
    for account in accounts:
        await accounts_service.revoke(session, account, now, extras=extras, settings=settings)
    return len(accounts)
