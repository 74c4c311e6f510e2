"""Continuous Data Sync's one endpoint: a tenant asks for a sync now."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from sahod.accounts import service as accounts_service
from sahod.cds import service
from sahod.kit.deps import AppClock, Session
from sahod.kit.envelope import EmptyEnvelope, envelope
from sahod.tenants.endpoints import Tenant

router = APIRouter(tags=["Accounts"])


@router.post("/accounts/{id}/sync", response_model=EmptyEnvelope, status_code=202)
async def request_sync(
    request: Request, tenant: Tenant, session: Session, clock: AppClock, id: str
) -> Response:
    """Beyond the contract: sync a connected account now rather than on its monthly day.

    Refused with 429 `REQUEST_LIMIT_EXCEEDED` if asked again within the hour. The outcome
    arrives as `ACCOUNT_SYNC_TASK_FINISHED`."""
    account = await accounts_service.get_account(session, tenant, id)
    await service.request_refresh(session, account, clock.now())
    return envelope(request, None, status_code=202, code="OK", message="Sync requested")
