"""The Users Explorer's reads: one user's accounts and every data point, through the
accounts' and data points' services (scoped by the member's tenant), and the CV view
made from them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from sahod.accounts import service as accounts_service
from sahod.config import Settings
from sahod.datapoints import service as datapoints_service
from sahod.datapoints.kinds import DataPointKind
from sahod.datapoints.repository import DataPointFilter
from sahod.db import driver_connection_of
from sahod.errors import MissingResource
from sahod.kit.pagination import JsonPage, PageRequest, decode_cursor
from sahod.portal.cv import AGENCY_NAMES, CurriculumVitae, curriculum_vitae
from sahod.providers.catalog import PROVIDERS
from sahod.tenants.schemas import TenantContext
from sahod.users import service as users_service
from sahod.users.schemas import UserOut

ITEMS_PER_KIND = 1500
"""A page of every kind at the API's largest size; a user with more (decades of monthly
contributions) is read in a few pages, up to this many items a kind."""


@dataclass(frozen=True, slots=True)
class UserRecords:
    user: UserOut
    accounts: list[dict[str, Any]]
    data: dict[str, list[dict[str, Any]]]
    """The wire items of each data-point kind, by its path (``incomes``, …)."""
    names: dict[str, str]
    """Each provider's agency name, by provider id."""
    cv: CurriculumVitae


async def _all_json(
    read: Callable[[PageRequest], Awaitable[JsonPage]], limit: int
) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    page = PageRequest(size=150, after_seq=None)
    while len(items) < limit:
        found = await read(page)
        if found.items_json:
            items.extend(orjson.loads(b"[" + found.items_json.encode() + b"]"))
        if found.next_cursor is None:
            break
        page = PageRequest(size=150, after_seq=decode_cursor(found.next_cursor))
    return items


async def user_records(session: AsyncSession, tenant: TenantContext, user_id: str) -> UserRecords:
    user = await users_service.get_user(session, tenant, user_id)
    # The API's reads are written for the driver's connection; this page's is the session's.
    connection = await driver_connection_of(session)
    accounts = await _all_json(
        lambda page: accounts_service.list_accounts(
            connection, tenant, page, user_id=user.id, created_from=None, created_before=None
        ),
        ITEMS_PER_KIND,
    )
    data: dict[str, list[dict[str, Any]]] = {}
    for kind in DataPointKind:
        data[kind.path] = await _all_json(
            lambda page, kind=kind: datapoints_service.list_datapoints(  # type: ignore[misc]
                connection, tenant, kind, page, DataPointFilter(user_id=user.id)
            ),
            ITEMS_PER_KIND,
        )
    names = {p.id: AGENCY_NAMES.get(p.id, p.name) for p in PROVIDERS}
    return UserRecords(user, accounts, data, names, curriculum_vitae(data, names))


async def revoke_users_account(
    session: AsyncSession,
    tenant: TenantContext,
    user_id: str,
    account_id: str,
    now: datetime,
    *,
    extras: dict[str, Any],
    settings: Settings,
) -> None:
    """As ``DELETE /v1/accounts/{id}``, for an account of the user whose page it is."""
    account = await accounts_service.get_account(session, tenant, account_id)
    if account.user_id != user_id:
        raise MissingResource(f"There is no account {account_id} of user {user_id}.")
    await accounts_service.revoke(session, account, now, extras=extras, settings=settings)
