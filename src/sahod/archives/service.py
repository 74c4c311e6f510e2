"""Archives: an upload checked and stored with its job in one transaction, the analysis's
outcome recorded, a revoke that deletes the files' bytes and the archive's data points.

Services never commit: the request, or the task boundary in ``sahod.archives.tasks``,
does. The analysis itself (``analyze``) runs outside any transaction: it may take a
minute, and no row stays locked while it does.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from sahod.archives import lifecycle, repository
from sahod.archives.models import Archive
from sahod.archives.repository import ArchiveFilter
from sahod.archives.schemas import (
    ARCHIVE_ID_PREFIX,
    FILE_TYPES,
    FILE_TYPES_BY_ID,
    ArchiveStatus,
    FileTypeSpec,
    UploadedFile,
)
from sahod.config import Settings
from sahod.datapoints import service as datapoints
from sahod.datapoints.kinds import DataPointKind
from sahod.documents import DocumentAnalysis, DocumentFile, FileRefused, KnownPerson
from sahod.documents.sniff import check_file, decode_base64
from sahod.errors import InvalidParameters, MissingResource
from sahod.events.service import emit
from sahod.files import service as files
from sahod.files.models import StoredFile
from sahod.kit.clock import iso_z
from sahod.kit.crypto import Sealer
from sahod.kit.ids import new_id
from sahod.kit.jobs import defer
from sahod.kit.pagination import PageRequest
from sahod.tasks import lifecycle as tasks_lifecycle
from sahod.tasks import repository as tasks_repository
from sahod.tasks.schemas import TaskOutcome
from sahod.tenants.schemas import TenantContext
from sahod.users import repository as users_repository
from sahod.users import service as users_service
from sahod.users.schemas import UserCreate

log = logging.getLogger(__name__)

ANALYZE = "archives.analyze"
"""The job that reads an archive's files once they are committed."""

EXPIRE_BATCH = 100
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\]")
_EXTENSIONS = {"PDF": "pdf", "PNG": "png", "JPEG": "jpg", "TIFF": "tif"}


@dataclass(frozen=True, slots=True)
class ArchiveView:
    archive: Archive
    files: list[StoredFile]


def file_types(
    base_url: str,
    *,
    type_filter: str | None = None,
    active: bool | None = None,
    enabled: bool | None = None,
    ocr: bool | None = None,
) -> list[dict[str, Any]]:
    """The contract's FileType items Sahod reads (all active and enabled)."""
    items = []
    for spec in FILE_TYPES:
        if type_filter is not None and spec.type != type_filter:
            continue
        if active is False or enabled is False or (ocr is not None and spec.ocr != ocr):
            continue
        items.append(file_type_out(spec, base_url))
    return items


def file_type_out(spec: FileTypeSpec, base_url: str) -> dict[str, Any]:
    return {
        "logoUrl": f"{base_url}/static/file-types/{spec.type}.svg",
        "type": spec.type,
        "typeLabel": spec.label,
        "active": True,
        "enabled": True,
        "ocr": spec.ocr,
        "supported": list(spec.supported),
    }


def _checked_file(index: int, upload: UploadedFile, declared_type: str | None) -> DocumentFile:
    """Decoded and judged by its bytes; a refusal is a 400 naming the file."""
    label = upload.name or f"rawFiles[{index}]"
    try:
        data = decode_base64(label, upload.content_base64)
        real = check_file(label, upload.extension_type, data)
    except FileRefused as refused:
        raise InvalidParameters(
            f"rawFiles[{index}] ({refused.file_name}) {refused.reason}"
        ) from None
    name = _safe_name(upload.name) or (
        f"{(declared_type or 'document').lower()}-{index + 1}.{_EXTENSIONS[real]}"
    )
    return DocumentFile(name=name, format=real, data=data)


def _safe_name(name: str | None) -> str | None:
    if name is None:
        return None
    cleaned = _UNSAFE_NAME.sub("_", name).strip()
    return cleaned[:255] or None


async def create_archive(
    session: AsyncSession,
    extras: dict[str, Any],
    settings: Settings,
    *,
    tenant: TenantContext,
    user_id: str | None,
    provider_id: str,
    declared_type: str | None,
    uploads: Sequence[UploadedFile],
    now: datetime,
) -> ArchiveView:
    """Files checked and stored, the archive STARTED with its ANALYZE_ARCHIVE task,
    ARCHIVE_STARTED, TASK_STARTED and the analysis job: one transaction. Without
    ``user_id`` a user is created (USER_CREATED) for it."""
    if declared_type is not None and declared_type not in FILE_TYPES_BY_ID:
        known = ", ".join(FILE_TYPES_BY_ID)
        raise InvalidParameters(f"fileType {declared_type!r} is not one of {known}")
    if not uploads:
        raise InvalidParameters("rawFiles must hold at least one file")
    if len(uploads) > settings.archive_max_files:
        raise InvalidParameters(f"rawFiles may hold at most {settings.archive_max_files} files")
    if user_id is not None and not await users_repository.user_exists(session, tenant.id, user_id):
        raise MissingResource(f"There is no user {user_id}.")
    checked: list[tuple[DocumentFile, str | None]] = []
    for index, upload in enumerate(uploads):
        # pypdf and Pillow are CPU work on up to 15 MB: off the event loop.
        document = await asyncio.to_thread(_checked_file, index, upload, declared_type)
        checked.append((document, upload.sub_type))
    if user_id is None:
        created = await users_service.create_user(
            session, tenant, UserCreate(), now, timedelta(seconds=settings.token_ttl_seconds)
        )
        user_id = created.user.id
    expires_at = now + timedelta(days=settings.archive_retention_days)
    archive = lifecycle.start(
        archive_id=new_id(ARCHIVE_ID_PREFIX),
        tenant_id=tenant.id,
        user_id=user_id,
        provider_id=provider_id,
        declared_type=declared_type,
        now=now,
        expires_at=expires_at,
    )
    await repository.add_archive(session, archive)
    stored = await files.store_files(
        session,
        extras,
        settings,
        tenant_id=tenant.id,
        owner_id=archive.id,
        files=[
            files.NewFile(name=doc.name, format=doc.format, data=doc.data, sub_type=sub_type)
            for doc, sub_type in checked
        ],
        now=now,
        expires_at=expires_at,
    )
    await emit(session, tenant.id, "ARCHIVE_STARTED", archive_event(archive), now)
    await tasks_lifecycle.start_archive_task(session, archive, now)
    await defer(session, ANALYZE, lock=archive.id, tenant_id=tenant.id, archive_id=archive.id)
    return ArchiveView(archive=archive, files=stored)


def archive_event(archive: Archive, **extra: Any) -> dict[str, Any]:
    """The archive events' data, shaped like the account events' (``account_event``)."""
    return {
        "userId": archive.user_id,
        "archiveId": archive.id,
        "type": archive.type,
        "status": archive.status,
        **extra,
        "providers": [archive.provider_id],
    }


async def _views(
    session: AsyncSession, tenant_id: str, archives: Sequence[Archive]
) -> list[ArchiveView]:
    grouped = await files.files_of(session, tenant_id, [a.id for a in archives])
    return [ArchiveView(archive=a, files=grouped[a.id]) for a in archives]


async def get_archive(session: AsyncSession, tenant_id: str, archive_id: str) -> ArchiveView:
    archive = await repository.get_archive(session, tenant_id, archive_id)
    if archive is None:
        raise MissingResource(f"There is no archive {archive_id}.")
    return (await _views(session, tenant_id, [archive]))[0]


async def list_archives(
    session: AsyncSession, tenant: TenantContext, page: PageRequest, wanted: ArchiveFilter
) -> list[ArchiveView]:
    if wanted.file_type is not None and wanted.file_type not in FILE_TYPES_BY_ID:
        known = ", ".join(FILE_TYPES_BY_ID)
        raise InvalidParameters(f"fileType {wanted.file_type!r} is not one of {known}")
    if (
        wanted.created_from is not None
        and wanted.created_before is not None
        and wanted.created_from >= wanted.created_before
    ):
        raise InvalidParameters("the start of the range must not be after its end")
    rows = await repository.list_archives(session, tenant.id, page, wanted)
    return await _views(session, tenant.id, rows)


async def user_archives(session: AsyncSession, tenant_id: str, user_id: str) -> list[ArchiveView]:
    return await _views(
        session, tenant_id, await repository.user_archives(session, tenant_id, user_id)
    )


async def revoke_archive(
    session: AsyncSession,
    extras: dict[str, Any],
    settings: Settings,
    tenant_id: str,
    archive_id: str,
    now: datetime,
    *,
    user_id: str | None = None,
) -> ArchiveView:
    """REVOKED: the files' bytes deleted from their store, the archive's data points
    deleted, its analysis task CANCELLED if still running, ARCHIVE_REVOKED. ``user_id``:
    only that user's archive (the widget's)."""
    archive = await repository.lock_archive(session, tenant_id, archive_id)
    if archive is None or (user_id is not None and archive.user_id != user_id):
        raise MissingResource(f"There is no archive {archive_id}.")
    return await _revoke_locked(session, extras, settings, archive, now)


async def _revoke_locked(
    session: AsyncSession,
    extras: dict[str, Any],
    settings: Settings,
    archive: Archive,
    now: datetime,
) -> ArchiveView:
    view = (await _views(session, archive.tenant_id, [archive]))[0]
    if lifecycle.revoke(archive, now):
        await files.delete_files(session, extras, settings, view.files, now)
        await datapoints.delete_archive_records(session, archive.tenant_id, archive.id)
        await tasks_lifecycle.cancel_archive_task(session, archive.tenant_id, archive.id, now)
        await emit(session, archive.tenant_id, "ARCHIVE_REVOKED", archive_event(archive), now)
    return view


async def revoke_expired_batch(
    session: AsyncSession, extras: dict[str, Any], settings: Settings, now: datetime
) -> int:
    """Revoke (files deleted, ARCHIVE_REVOKED) up to a batch of archives whose retention
    has passed; how many."""
    expired = await repository.expired_archives_across_tenants(session, now, EXPIRE_BATCH)
    for archive in expired:
        await _revoke_locked(session, extras, settings, archive, now)
    return len(expired)


# --- the analysis job's steps (sahod.archives.tasks runs them) -------------------------


@dataclass(frozen=True, slots=True)
class AnalysisInput:
    archive_id: str
    declared_type: str
    files: tuple[DocumentFile, ...]
    person: KnownPerson


async def analysis_input(
    session: AsyncSession,
    extras: dict[str, Any],
    settings: Settings,
    tenant_id: str,
    archive_id: str,
) -> AnalysisInput | None:
    """What the reader needs, or None when there is nothing to analyse (revoked, or
    analysed already by an earlier run of the job)."""
    archive = await repository.get_archive(session, tenant_id, archive_id)
    if archive is None or archive.status != ArchiveStatus.STARTED:
        return None
    documents = []
    for row in (await files.files_of(session, tenant_id, [archive_id]))[archive_id]:
        data = await files.read_bytes(session, extras, settings, row)
        if data is not None:
            documents.append(DocumentFile(name=row.name, format=row.format, data=data))  # type: ignore[arg-type]
    identities = await datapoints.user_payloads(
        session, tenant_id, archive.user_id, DataPointKind.IDENTITIES
    )
    person = KnownPerson(
        full_names=tuple(
            dict.fromkeys(str(p["fullName"]) for p in identities if p.get("fullName"))
        ),
        birth_dates=tuple(dict.fromkeys(str(p["dob"]) for p in identities if p.get("dob"))),
    )
    return AnalysisInput(
        archive_id=archive_id,
        declared_type=archive.declared_type or archive.type,
        files=tuple(documents),
        person=person,
    )


async def record_analysis(
    session: AsyncSession, tenant_id: str, outcome: DocumentAnalysis, archive_id: str, now: datetime
) -> Archive | None:
    """The reader's outcome on the archive, its records as data points, and the events;
    nothing when the archive was revoked (or analysed) meanwhile."""
    archive = await repository.lock_archive(session, tenant_id, archive_id)
    if archive is None or archive.status != ArchiveStatus.STARTED:
        return None
    status = ArchiveStatus(outcome.status)
    lifecycle.finish(
        archive,
        status,
        now,
        file_type=outcome.file_type,
        error_code=outcome.error_code,
        error_message=outcome.error_message,
        classification=outcome.classification,
        analysis=outcome.analysis,
        extraction=outcome.extraction,
        validation=outcome.validation,
    )
    task_id = await tasks_repository.open_archive_task_id(session, tenant_id, archive.id)
    added: dict[str, list[str]] = {}
    if status == ArchiveStatus.ANALYZED and outcome.records:
        source = datapoints.ArchiveSource(
            tenant_id=tenant_id,
            user_id=archive.user_id,
            archive_id=archive.id,
            provider_id=archive.provider_id,
            archive_created_at=archive.created_at,
            task_id=task_id,
        )
        added = await datapoints.store_archive_records(session, outcome.records, source, now)
    if status == ArchiveStatus.ANALYZED:
        await emit(session, tenant_id, "ARCHIVE_ANALYZED", archive_event(archive), now)
    else:
        await emit(
            session,
            tenant_id,
            "ARCHIVE_FAILED",
            archive_event(
                archive, errorCode=archive.error_code, errorMessage=archive.error_message
            ),
            now,
        )
    for kind in DataPointKind:
        ids = added.get(kind.value)
        if ids:
            await emit(
                session,
                tenant_id,
                kind.added_event,
                archive_event(archive, count=len(ids)),
                now,
            )
    if task_id is not None:
        await tasks_lifecycle.finish_task(
            session,
            tenant_id,
            task_id,
            TaskOutcome.SUCCEEDED if status == ArchiveStatus.ANALYZED else TaskOutcome.FAILED,
            now,
            datapoints=[kind.value for kind in DataPointKind if added.get(kind.value)],
            error_code=archive.error_code,
        )
    return archive


async def record_failure(
    session: AsyncSession, tenant_id: str, archive_id: str, message: str, now: datetime
) -> None:
    """The analysis broke (a bug, not the document): ERROR SYSTEM_ERROR, ARCHIVE_FAILED."""
    archive = await repository.lock_archive(session, tenant_id, archive_id)
    if archive is None or archive.status != ArchiveStatus.STARTED:
        return
    lifecycle.fail(archive, now, message)
    await emit(
        session,
        tenant_id,
        "ARCHIVE_FAILED",
        archive_event(archive, errorCode=archive.error_code, errorMessage=message),
        now,
    )
    task_id = await tasks_repository.open_archive_task_id(session, tenant_id, archive.id)
    if task_id is not None:
        await tasks_lifecycle.finish_task(
            session, tenant_id, task_id, TaskOutcome.FAILED, now, error_code=archive.error_code
        )


# --- the wire ---------------------------------------------------------------------------


def raw_file_out(
    row: StoredFile, settings: Settings, sealer: Sealer, now: datetime
) -> dict[str, Any]:
    return {
        "id": row.id,
        "createdAt": iso_z(row.created_at),
        "name": row.name,
        "subType": row.sub_type,
        "size": math.ceil(row.size / 1024),
        "format": row.format,
        "url": files.signed_url(settings, sealer, row, now),
    }


def upload_out(
    view: ArchiveView, settings: Settings, sealer: Sealer, now: datetime
) -> dict[str, Any]:
    """The deprecated Upload shape: the archive without what its analysis found."""
    archive = view.archive
    return {
        "id": archive.id,
        "createdAt": iso_z(archive.created_at),
        "providerId": archive.provider_id,
        "userId": archive.user_id,
        "type": archive.type,
        "state": {
            "status": archive.status,
            "errorCode": archive.error_code,
            "errorMessage": archive.error_message,
            "updatedAt": iso_z(archive.state_updated_at),
        },
        "rawFiles": [raw_file_out(row, settings, sealer, now) for row in view.files],
    }


def archive_out(
    view: ArchiveView, settings: Settings, sealer: Sealer, now: datetime
) -> dict[str, Any]:
    """The contract's Archive. The analysis's parts are left out until there are any (the
    contract types them as objects, not null)."""
    item = upload_out(view, settings, sealer, now)
    archive = view.archive
    for key, value in (
        ("classification", archive.classification),
        ("analysis", archive.analysis),
        ("extraction", archive.extraction),
        ("validation", archive.validation),
    ):
        if value is not None:
            item[key] = value
    return item
