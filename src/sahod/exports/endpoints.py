from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from starlette.responses import Response

from sahod.exports import service
from sahod.exports.schemas import AccountExportGenerate, AccountExportOut
from sahod.kit.deps import AppClock, AppSettings, Session
from sahod.kit.envelope import Envelope, envelope
from sahod.tenants.endpoints import Tenant

router = APIRouter(tags=["Accounts"])


@router.post(
    "/accounts/{id}/exports/generate",
    response_model=Envelope[AccountExportOut],
    operation_id="generate-account-export",
)
async def generate_account_export(
    request: Request,
    tenant: Tenant,
    session: Session,
    clock: AppClock,
    settings: AppSettings,
    account_id: Annotated[str, Path(alias="id", max_length=200)],
    body: AccountExportGenerate,
) -> Response:
    """Generate an export of one account: `PDF`, a report to print (the person, employers,
    a chart of monthly contributions, loans and balances, estimated income, and where each
    figure came from), or `CSV`, every data point of the account, one row each.

    `downloadUrl` is a signed link (no API key needed) that works until the file is
    deleted, 60 days after it was made (`SAHOD_ARCHIVE_RETENTION_DAYS`); `md5` is the
    file's MD5. An unknown account, or another tenant's, is `404 MISSING_RESOURCE`.
    """
    runtime = request.app.state.runtime
    export = await service.generate_export(
        session,
        runtime.extras,
        settings,
        runtime.sealer,
        tenant=tenant,
        account_id=account_id,
        extension=body.export_extension_type,
        now=clock.now(),
    )
    return envelope(request, export)
