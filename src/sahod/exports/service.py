"""Generating an account's export: gather its data points, render the file, store it as a
file owned by the export (kept as long as archives are, SAHOD_ARCHIVE_RETENTION_DAYS), and
answer the contract's AccountExport with a signed link that works until the file expires."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from anyio import to_thread
from sqlalchemy.ext.asyncio import AsyncSession

from sahod.accounts import service as accounts
from sahod.config import Settings
from sahod.exports import repository
from sahod.exports.render_csv import render_csv
from sahod.exports.render_pdf import render_pdf
from sahod.exports.report import AccountReport, build_report
from sahod.exports.schemas import AccountExportOut, ExportExtensionType
from sahod.files import service as files
from sahod.kit.clock import iso_z
from sahod.kit.crypto import Sealer
from sahod.kit.ids import new_id
from sahod.providers.catalog import PROVIDERS_BY_ID
from sahod.tenants.schemas import TenantContext

EXPORT = "export"
REVOKED_BATCH = 100
_EXTENSIONS = {ExportExtensionType.PDF: "pdf", ExportExtensionType.CSV: "csv"}


async def account_report(
    session: AsyncSession, tenant: TenantContext, account_id: str, now: datetime
) -> AccountReport:
    """The account (404 unless it is this tenant's) and every data point it holds."""
    account = await accounts.get_account(session, tenant, account_id)
    provider = PROVIDERS_BY_ID.get(account.provider_id)
    rows = await repository.account_datapoints(session, tenant.id, account.id)
    return build_report(
        account_id=account.id,
        user_id=account.user_id,
        provider_id=account.provider_id,
        provider_name=provider.name if provider else account.provider_id,
        provider_long_name=provider.long_name if provider else account.provider_id,
        connected_at=account.created_at,
        generated_at=now,
        rows=rows,
    )


def render(report: AccountReport, extension: ExportExtensionType) -> bytes:
    if extension is ExportExtensionType.PDF:
        return render_pdf(report)
    return render_csv(report)


async def generate_export(
    session: AsyncSession,
    extras: dict[str, Any],
    settings: Settings,
    sealer: Sealer,
    *,
    tenant: TenantContext,
    account_id: str,
    extension: ExportExtensionType,
    now: datetime,
) -> AccountExportOut:
    report = await account_report(session, tenant, account_id, now)
    # Rendering is CPU work: off the event loop, so other requests are not held up.
    data = await to_thread.run_sync(render, report, extension)
    export_id = new_id(EXPORT)
    expires_at = now + timedelta(days=settings.archive_retention_days)
    [stored] = await files.store_files(
        session,
        extras,
        settings,
        tenant_id=tenant.id,
        # Owned by the account, so the file goes when the account is revoked.
        owner_id=report.account_id,
        files=[
            files.NewFile(
                name=f"{report.account_id}-{export_id}.{_EXTENSIONS[extension]}",
                format=extension.value,
                data=data,
            )
        ],
        now=now,
        expires_at=expires_at,
    )
    ttl = int((expires_at - now).total_seconds())
    return AccountExportOut(
        id=export_id,
        created_at=iso_z(now),
        account_id=report.account_id,
        export_extension_type=extension,
        md5=stored.md5,
        download_url=files.signed_url(settings, sealer, stored, now, ttl_seconds=ttl),
    )


async def delete_revoked_accounts_exports(
    session: AsyncSession, extras: dict[str, Any], settings: Settings, now: datetime
) -> int:
    """Deletes the bytes of a batch of exports whose account was revoked since: the
    contract's downloadUrl stops working "after account revoked". How many."""
    rows = await repository.revoked_accounts_export_files_across_tenants(session, REVOKED_BATCH)
    return await files.delete_files(session, extras, settings, rows, now)
