from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from sahod.archives import service
from sahod.archives.repository import ArchiveFilter
from sahod.archives.schemas import (
    FILE_TYPES_BY_ID,
    TENANT_PROVIDED,
    ArchiveCreate,
    ArchiveOut,
    FileTypeOut,
    UploadOut,
)
from sahod.archives.service import ArchiveView
from sahod.config import Settings
from sahod.errors import MissingResource
from sahod.kit.crypto import Sealer
from sahod.kit.dates import EndDate, StartDate, check_range, day_after, day_start
from sahod.kit.deps import AppClock, AppSettings, Page, Session
from sahod.kit.envelope import EmptyEnvelope, Envelope, ListData, envelope, list_envelope
from sahod.kit.pagination import page_of, position_page
from sahod.tenants.endpoints import Tenant

router = APIRouter()
logos_router = APIRouter(include_in_schema=False)
"""Outside ``/v1``: the file types' pictures are files the widget loads."""

UserId = Annotated[
    str | None, Query(alias="userId", max_length=200, description="Only this user's archives.")
]
FileTypeFilter = Annotated[
    str | None,
    Query(alias="fileType", max_length=40, description="Only archives of this file type."),
]


def _filter(
    user_id: str | None, file_type: str | None, start: StartDate, end: EndDate
) -> ArchiveFilter:
    check_range(start, end)
    return ArchiveFilter(
        user_id=user_id,
        file_type=file_type,
        created_from=day_start(start) if start else None,
        created_before=day_after(end) if end else None,
    )


Shape = Callable[[ArchiveView, Settings, Sealer, datetime], dict[str, Any]]
"""``service.archive_out`` or the deprecated ``service.upload_out``."""


def _shown(
    request: Request, clock: AppClock, settings: AppSettings, view: ArchiveView, shape: Shape
) -> dict[str, Any]:
    return shape(view, settings, request.app.state.runtime.sealer, clock.now())


def _listed(
    request: Request,
    clock: AppClock,
    settings: AppSettings,
    page: Page,
    views: list[ArchiveView],
    shape: Shape,
) -> Response:
    result = page_of(views, page, lambda view: view.archive.seq)
    now, sealer = clock.now(), request.app.state.runtime.sealer
    items = [shape(view, settings, sealer, now) for view in result.items]
    return list_envelope(request, items, result.next_cursor)


@router.post("/archives", tags=["Archives"], response_model=Envelope[ArchiveOut])
async def create_archive(
    request: Request,
    tenant: Tenant,
    session: Session,
    clock: AppClock,
    settings: AppSettings,
    body: ArchiveCreate,
) -> Response:
    """Upload documents (payslips, BIR Form 2316, certificates of employment…) for a user.

    Each file's bytes must be the `fileExtensionType` it claims (PDF, PNG, JPG/JPEG or
    TIFF), at most 15 MB, at most 50 pages or 50 megapixels, not encrypted, not broken and
    not also another kind of file; otherwise the answer is `400` naming the file and the
    reason, and nothing is stored. Without `userId` a user is created (`USER_CREATED`).

    The archive starts `STARTED` (`ARCHIVE_STARTED`); its analysis runs as a job and ends
    `ANALYZED` (`ARCHIVE_ANALYZED`; incomes and employments read from it appear with
    `metadata.sourceType: ARCHIVE`), `UNSUPPORTED` or `ERROR` (`ARCHIVE_FAILED`).
    `rawFiles[].url` are signed download links that expire. Archives are deleted 60 days
    after upload. `rawFiles` may also be sent as `files`.
    """
    runtime = request.app.state.runtime
    now = clock.now()
    view = await service.create_archive(
        session,
        runtime.extras,
        settings,
        tenant=tenant,
        user_id=body.user_id,
        provider_id=TENANT_PROVIDED,
        declared_type=body.file_type,
        uploads=[raw.uploaded() for raw in body.raw_files],
        now=now,
    )
    return envelope(request, service.archive_out(view, settings, runtime.sealer, now))


@router.get("/archives", tags=["Archives"], response_model=Envelope[ListData[ArchiveOut]])
async def list_archives(
    request: Request,
    tenant: Tenant,
    session: Session,
    clock: AppClock,
    settings: AppSettings,
    page: Page,
    user_id: UserId = None,
    file_type: FileTypeFilter = None,
    start_date: StartDate = None,
    end_date: EndDate = None,
) -> Response:
    """List archives, newest first; `startDate`/`endDate` compare the upload date (UTC)."""
    wanted = _filter(user_id, file_type, start_date, end_date)
    views = await service.list_archives(session, tenant, page, wanted)
    return _listed(request, clock, settings, page, views, service.archive_out)


@router.get("/archives/{id}", tags=["Archives"], response_model=Envelope[ArchiveOut])
async def get_archive(
    request: Request,
    tenant: Tenant,
    session: Session,
    clock: AppClock,
    settings: AppSettings,
    id: str,
) -> Response:
    """Get an archive, with what its analysis found once it has run."""
    view = await service.get_archive(session, tenant.id, id)
    return envelope(request, _shown(request, clock, settings, view, service.archive_out))


@router.delete("/archives/{id}", tags=["Archives"], response_model=EmptyEnvelope)
async def revoke_archive(
    request: Request,
    tenant: Tenant,
    session: Session,
    clock: AppClock,
    settings: AppSettings,
    id: str,
) -> Response:
    """Revoke an archive: its files are deleted (the bytes, from the store), and so are
    the incomes and employments read from it; it stays listed as `REVOKED`
    (`ARCHIVE_REVOKED`). Revoking it again changes nothing."""
    await service.revoke_archive(
        session, request.app.state.runtime.extras, settings, tenant.id, id, clock.now()
    )
    return envelope(request, message="Archive revoked")


@router.get(
    "/uploads", tags=["Uploads"], deprecated=True, response_model=Envelope[ListData[UploadOut]]
)
async def list_uploads(
    request: Request,
    tenant: Tenant,
    session: Session,
    clock: AppClock,
    settings: AppSettings,
    page: Page,
    user_id: UserId = None,
    start_date: StartDate = None,
    end_date: EndDate = None,
) -> Response:
    """The archives in the deprecated Upload shape (without what the analysis found)."""
    wanted = _filter(user_id, None, start_date, end_date)
    views = await service.list_archives(session, tenant, page, wanted)
    return _listed(request, clock, settings, page, views, service.upload_out)


@router.get("/uploads/{id}", tags=["Uploads"], deprecated=True, response_model=Envelope[UploadOut])
async def get_upload(
    request: Request,
    tenant: Tenant,
    session: Session,
    clock: AppClock,
    settings: AppSettings,
    id: str,
) -> Response:
    """An archive in the deprecated Upload shape."""
    view = await service.get_archive(session, tenant.id, id)
    return envelope(request, _shown(request, clock, settings, view, service.upload_out))


@router.get("/fileTypes", tags=["File Types"], response_model=Envelope[ListData[FileTypeOut]])
async def list_file_types(
    request: Request,
    _tenant: Tenant,
    settings: AppSettings,
    page: Page,
    type: Annotated[str | None, Query(max_length=40, description="Only this type.")] = None,
    active: Annotated[bool | None, Query(description="Only (in)active types.")] = None,
    enabled: Annotated[bool | None, Query(description="Only enabled (or disabled) types.")] = None,
    ocr: Annotated[bool | None, Query(description="Only types read with(out) OCR.")] = None,
) -> Response:
    """The document types an archive may declare (`fileType`), and the data points each
    becomes once analysed."""
    items = service.file_types(
        settings.resolved_public_url(), type_filter=type, active=active, enabled=enabled, ocr=ocr
    )
    result = position_page(items, page)
    return list_envelope(request, list(result.items), result.next_cursor)


_LOGO = """<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64">
<rect x="12" y="6" width="40" height="52" rx="4" fill="#fff" stroke="#1f4e79" stroke-width="3"/>
<path d="M20 20h24M20 28h24M20 36h16" stroke="#1f4e79" stroke-width="3"/>
<text x="32" y="52" font-family="sans-serif" font-size="9" text-anchor="middle"
fill="#1f4e79">{label}</text></svg>"""
_LOGO_LABELS = {
    "PAYSLIP": "PAY",
    "TAX_DOCUMENT": "2316",
    "EMPLOYMENT_CERTIFICATE": "COE",
    "CLEARANCE_NBI": "NBI",
    "OTHERS": "DOC",
}


@logos_router.api_route("/static/file-types/{file_type}.svg", methods=["GET", "HEAD"])
async def file_type_logo(file_type: str) -> Response:
    """A file type's picture (``logoUrl`` points here)."""
    if file_type not in FILE_TYPES_BY_ID:
        raise MissingResource(f"There is no file type {file_type}.")
    return Response(
        _LOGO.format(label=_LOGO_LABELS[file_type]),
        media_type="image/svg+xml",
        headers={"Cache-Control": "public, max-age=86400"},
    )
