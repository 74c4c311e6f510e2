from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Body, Query, Request
from starlette.responses import Response

from sahod.kit.dates import EndDate, StartDate, check_range, day_after, day_start
from sahod.kit.deps import AppClock, AppSettings, Page, Session
from sahod.kit.envelope import EmptyEnvelope, Envelope, ListData, envelope, list_envelope
from sahod.kit.pagination import page_of
from sahod.tenants.endpoints import Tenant
from sahod.users import service
from sahod.users.schemas import TokenOut, UserCreate, UserOut, UserWithToken

router = APIRouter(tags=["Users"])
tokens_router = APIRouter(tags=["Tokens"])
# A user's accounts, revoked at once: here, since users is the package above accounts.
user_accounts_router = APIRouter(tags=["Accounts"])


@router.post("/users", status_code=201, response_model=Envelope[UserWithToken])
async def create_user(
    request: Request,
    tenant: Tenant,
    session: Session,
    clock: AppClock,
    settings: AppSettings,
    body: Annotated[UserCreate | None, Body()] = None,
) -> Response:
    """Create a user, and a widget token for them (valid 5 hours).

    Fires `USER_CREATED`.
    """
    created = await service.create_user(
        session,
        tenant,
        body or UserCreate(),
        clock.now(),
        timedelta(seconds=settings.token_ttl_seconds),
    )
    return envelope(request, created, status_code=201)


@router.get("/users", response_model=Envelope[ListData[UserOut]])
async def list_users(
    request: Request,
    tenant: Tenant,
    session: Session,
    page: Page,
    start_date: StartDate = None,
    end_date: EndDate = None,
) -> Response:
    """List the users, newest first, optionally only those created between two dates."""
    check_range(start_date, end_date)
    rows = await service.list_users(
        session,
        tenant,
        page,
        day_start(start_date) if start_date else None,
        day_after(end_date) if end_date else None,
    )
    result = page_of(rows, page, lambda row: row.user.seq)
    return list_envelope(request, [service.user_out(r) for r in result.items], result.next_cursor)


@router.get("/users/{id}", response_model=Envelope[UserOut])
async def get_user(request: Request, tenant: Tenant, session: Session, id: str) -> Response:
    """Retrieve one user."""
    return envelope(request, await service.get_user(session, tenant, id))


@tokens_router.post("/tokens", status_code=201, response_model=Envelope[TokenOut])
async def create_token(
    request: Request,
    tenant: Tenant,
    session: Session,
    clock: AppClock,
    settings: AppSettings,
    user_id: Annotated[str, Query(alias="userId", min_length=1, max_length=200)],
) -> Response:
    """Issue a fresh widget token for a user (valid 5 hours)."""
    token = await service.issue_token(
        session, tenant, user_id, clock.now(), timedelta(seconds=settings.token_ttl_seconds)
    )
    return envelope(request, token, status_code=201)


@user_accounts_router.delete("/accounts", response_model=EmptyEnvelope)
async def revoke_user_accounts(
    request: Request,
    tenant: Tenant,
    session: Session,
    clock: AppClock,
    settings: AppSettings,
    user_id: Annotated[str, Query(alias="userId", min_length=1, max_length=200)],
) -> Response:
    """Revoke every account of a user (the Accounts document's `DELETE /accounts`), as
    `DELETE /accounts/{id}` does each."""
    count = await service.revoke_user_accounts(
        session,
        tenant,
        user_id,
        clock.now(),
        extras=request.app.state.runtime.extras,
        settings=settings,
    )
    return envelope(request, None, message=f"{count} account(s) revoked")
