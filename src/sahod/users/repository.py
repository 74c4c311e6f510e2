"""Every query of users and their access tokens.

Tenant-facing queries start from ``_users(tenant_id)``, so a query that forgets the
tenant cannot be written by accident; ``find_token`` is the one lookup across tenants
(a token names its tenant).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, cast, func, literal, or_, select, update
from sqlalchemy.dialects.postgresql import JSONPATH
from sqlalchemy.ext.asyncio import AsyncSession

from sahod.accounts.models import Account
from sahod.accounts.schemas import ConnectionStatus
from sahod.kit.pagination import PageRequest, keyset
from sahod.users.models import AccessToken, User


@dataclass(frozen=True, slots=True)
class UserRow:
    user: User
    providers: list[str]
    account_statuses: list[str]


def _users(tenant_id: str) -> Select[Any]:
    """The tenant's users, each with its providers and account statuses."""
    of_user = (Account.tenant_id == User.tenant_id, Account.user_id == User.id)
    active_providers = (
        select(func.array_agg(func.distinct(Account.provider_id)))
        .where(*of_user, Account.connection_status != ConnectionStatus.DISCONNECTED)
        .scalar_subquery()
    )
    statuses = (
        select(func.array_agg(func.distinct(Account.connection_status)))
        .where(*of_user)
        .scalar_subquery()
    )
    return select(User, active_providers, statuses).where(User.tenant_id == tenant_id)


def _row(row: Any) -> UserRow:
    return UserRow(user=row[0], providers=sorted(row[1] or []), account_statuses=row[2] or [])


async def add_user(session: AsyncSession, user: User) -> None:
    session.add(user)
    await session.flush()


async def get_user(session: AsyncSession, tenant_id: str, user_id: str) -> UserRow | None:
    row = (await session.execute(_users(tenant_id).where(User.id == user_id))).first()
    return None if row is None else _row(row)


async def user_exists(session: AsyncSession, tenant_id: str, user_id: str) -> bool:
    found = await session.execute(
        _users(tenant_id).with_only_columns(User.id).where(User.id == user_id)
    )
    return found.first() is not None


async def list_users(
    session: AsyncSession,
    tenant_id: str,
    page: PageRequest,
    *,
    created_from: datetime | None,
    created_before: datetime | None,
) -> Sequence[UserRow]:
    statement = _users(tenant_id)
    if created_from is not None:
        statement = statement.where(User.created_at >= created_from)
    if created_before is not None:
        statement = statement.where(User.created_at < created_before)
    rows = (await session.execute(keyset(statement, User.seq, page))).all()
    return [_row(row) for row in rows]


async def search_users(
    session: AsyncSession, tenant_id: str, query: str, limit: int
) -> Sequence[UserRow]:
    """Users whose id is ``query``, or with ``query`` as a text value anywhere in their
    external metadata (the developer portal's Users Explorer), newest first."""
    in_metadata = func.jsonb_path_exists(
        User.external_metadata,
        cast(literal("$.** ? (@ == $value)"), JSONPATH),
        func.jsonb_build_object("value", query),
    )
    statement = (
        _users(tenant_id)
        .where(or_(User.id == query, in_metadata))
        .order_by(User.seq.desc())
        .limit(limit)
    )
    return [_row(row) for row in (await session.execute(statement)).all()]


async def add_token(session: AsyncSession, token: AccessToken) -> None:
    session.add(token)
    await session.flush()


async def find_token(session: AsyncSession, token_hash: str) -> AccessToken | None:
    return (
        await session.execute(select(AccessToken).where(AccessToken.token_hash == token_hash))
    ).scalar_one_or_none()


async def spend_token(session: AsyncSession, token_id: str, now: datetime) -> bool:
    """Marks a link token spent; False when it already was (two tabs racing: one wins)."""
    spent = await session.execute(
        update(AccessToken)
        .where(AccessToken.id == token_id, AccessToken.spent_at.is_(None))
        .values(spent_at=now)
        .returning(AccessToken.id)
    )
    return spent.scalar_one_or_none() is not None
