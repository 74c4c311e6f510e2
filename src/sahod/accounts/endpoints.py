from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from starlette.responses import Response

from sahod.accounts import service
from sahod.accounts.schemas import AccountOut, AccountPayloadOut
from sahod.datapoints import service as datapoints_service
from sahod.kit.dates import EndDate, StartDate, check_range, day_after, day_start
from sahod.kit.deps import AppClock, AppSettings, Page, ReadConnection, Session, UserIdFilter
from sahod.kit.envelope import (
    EmptyEnvelope,
    Envelope,
    ListData,
    envelope,
    json_envelope,
    list_json_envelope,
)
from sahod.tenants.endpoints import ReadTenant, Tenant

router = APIRouter(tags=["Accounts"])


@router.get("/accounts", response_model=Envelope[ListData[AccountOut]])
async def list_accounts(
    request: Request,
    tenant: ReadTenant,
    connection: ReadConnection,
    page: Page,
    user_id: UserIdFilter = None,
    start_date: StartDate = None,
    end_date: EndDate = None,
) -> Response:
    """List the connected accounts, newest first; filter by user or by creation date."""
    check_range(start_date, end_date)
    accounts = await service.list_accounts(
        connection,
        tenant,
        page,
        user_id=user_id,
        created_from=day_start(start_date) if start_date else None,
        created_before=day_after(end_date) if end_date else None,
    )
    return list_json_envelope(request, accounts.items_json, accounts.next_cursor)


@router.get("/accounts/{id}", response_model=Envelope[AccountOut])
async def get_account(
    request: Request, tenant: ReadTenant, connection: ReadConnection, id: str
) -> Response:
    """Retrieve one account, with its connection and monitoring state."""
    return json_envelope(request, await service.get_account_json(connection, tenant, id))


@router.delete("/accounts/{id}", response_model=EmptyEnvelope)
async def revoke_account(
    request: Request,
    tenant: Tenant,
    session: Session,
    clock: AppClock,
    settings: AppSettings,
    id: str,
) -> Response:
    """Revoke an account: its data points, credentials and exports' files are deleted
    (an export's `downloadUrl` stops working), it becomes DISCONNECTED, its syncing stops,
    and `ACCOUNT_DISCONNECTED` fires."""
    account = await service.get_account(session, tenant, id)
    await service.revoke(
        session,
        account,
        clock.now(),
        extras=request.app.state.runtime.extras,
        settings=settings,
    )
    return envelope(request, None, message="Account access revoked")


@router.post("/accounts/{accountId}/disableMonitor", response_model=EmptyEnvelope)
async def disable_monitor(
    request: Request,
    tenant: Tenant,
    session: Session,
    clock: AppClock,
    account_id: Annotated[str, Path(alias="accountId")],
) -> Response:
    """Stop the monthly syncing of an account (monitor `CUSTOMER_DISABLED`)."""
    account = await service.get_account(session, tenant, account_id)
    await service.disable_monitor(session, account, clock.now())
    return envelope(request, None, message="Account monitoring disabled")


@router.get("/accounts/{id}/payload", response_model=Envelope[AccountPayloadOut])
async def get_payload(request: Request, tenant: Tenant, session: Session, id: str) -> Response:
    """Every data point of one account in one object, grouped by kind."""
    account = await service.get_account(session, tenant, id)
    grouped = await datapoints_service.account_payload(session, tenant.id, account.id)
    grouped["metadata"] = {
        "sourceId": account.id,
        "sourceType": "ACCOUNT",
        "userId": account.user_id,
        "providerId": account.provider_id,
    }
    return envelope(request, grouped)
