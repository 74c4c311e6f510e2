from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from sahod.accounts import service
from sahod.accounts.schemas import AccountOut
from sahod.kit.dates import EndDate, StartDate, check_range, day_after, day_start
from sahod.kit.deps import Page, Session
from sahod.kit.envelope import Envelope, ListData, envelope, list_envelope
from sahod.kit.pagination import page_of
from sahod.tenants.endpoints import Tenant

router = APIRouter(tags=["Accounts"])

UserIdFilter = Annotated[
    str | None, Query(alias="userId", max_length=200, description="Only this user's items.")
]


@router.get("/accounts", response_model=Envelope[ListData[AccountOut]])
async def list_accounts(
    request: Request,
    tenant: Tenant,
    session: Session,
    page: Page,
    user_id: UserIdFilter = None,
    start_date: StartDate = None,
    end_date: EndDate = None,
) -> Response:
    """List the connected accounts, newest first; filter by user or by creation date."""
    check_range(start_date, end_date)
    accounts = await service.list_accounts(
        session,
        tenant,
        page,
        user_id=user_id,
        created_from=day_start(start_date) if start_date else None,
        created_before=day_after(end_date) if end_date else None,
    )
    result = page_of(accounts, page, lambda row: int(row.seq))
    return list_envelope(
        request, [service.account_wire(row) for row in result.items], result.next_cursor
    )


@router.get("/accounts/{id}", response_model=Envelope[AccountOut])
async def get_account(request: Request, tenant: Tenant, session: Session, id: str) -> Response:
    """Retrieve one account, with its connection and monitoring state."""
    return envelope(request, await service.get_account_wire(session, tenant, id))
