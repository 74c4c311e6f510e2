"""An archive's state changes, each a named transition that sets every field that goes
with it: STARTED → ANALYZED | UNSUPPORTED | ERROR, and any state → REVOKED."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sahod.archives.models import Archive
from sahod.archives.schemas import UNCLASSIFIED_TYPE, ArchiveStatus
from sahod.errors import InvalidParameters

SYSTEM_ERROR = "SYSTEM_ERROR"


class TransitionRefused(InvalidParameters):
    pass


def start(
    *,
    archive_id: str,
    tenant_id: str,
    user_id: str,
    provider_id: str,
    declared_type: str | None,
    now: datetime,
    expires_at: datetime,
) -> Archive:
    return Archive(
        id=archive_id,
        tenant_id=tenant_id,
        user_id=user_id,
        provider_id=provider_id,
        type=declared_type or UNCLASSIFIED_TYPE,
        declared_type=declared_type,
        status=ArchiveStatus.STARTED.value,
        error_code=None,
        error_message=None,
        state_updated_at=now,
        created_at=now,
        expires_at=expires_at,
    )


def _analysed(archive: Archive) -> None:
    if archive.status != ArchiveStatus.STARTED:
        raise TransitionRefused(f"archive {archive.id} is {archive.status}, not STARTED")


def finish(
    archive: Archive,
    status: ArchiveStatus,
    now: datetime,
    *,
    file_type: str,
    error_code: str | None,
    error_message: str | None,
    classification: dict[str, Any] | None,
    analysis: dict[str, Any] | None,
    extraction: dict[str, Any] | None,
    validation: dict[str, Any] | None,
) -> None:
    """The analysis's outcome: ANALYZED, UNSUPPORTED or ERROR, with what it found."""
    _analysed(archive)
    if status not in (ArchiveStatus.ANALYZED, ArchiveStatus.UNSUPPORTED, ArchiveStatus.ERROR):
        raise TransitionRefused(f"an analysis cannot end in {status}")
    archive.status = status.value
    archive.error_code = error_code
    archive.error_message = error_message
    archive.state_updated_at = now
    if archive.declared_type is None:
        archive.type = file_type
    archive.classification = classification
    archive.analysis = analysis
    archive.extraction = extraction
    archive.validation = validation


def fail(archive: Archive, now: datetime, message: str) -> None:
    """The analysis itself broke (not the document): ERROR SYSTEM_ERROR."""
    finish(
        archive,
        ArchiveStatus.ERROR,
        now,
        file_type=archive.type,
        error_code=SYSTEM_ERROR,
        error_message=message,
        classification=None,
        analysis=None,
        extraction=None,
        validation=None,
    )


def revoke(archive: Archive, now: datetime) -> bool:
    """REVOKED; False when it already was (a second revoke changes nothing)."""
    if archive.status == ArchiveStatus.REVOKED:
        return False
    archive.status = ArchiveStatus.REVOKED.value
    archive.state_updated_at = now
    return True
