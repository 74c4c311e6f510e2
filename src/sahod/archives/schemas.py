"""The archives' wire shapes: requests (the API's and the widget's), and the file types."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AliasChoices, Field

from sahod.kit.envelope import WireModel
from sahod.kit.ids import ARCHIVE

TENANT_PROVIDED = "tenant-provided"
USER_PROVIDED = "user-provided"
ARCHIVE_ID_PREFIX = ARCHIVE
"""Smile's archive ids look like ``u-17bbf364…`` (a task's ``sourceId`` is told by it)."""


class ArchiveStatus(StrEnum):
    STARTED = "STARTED"
    ANALYZED = "ANALYZED"
    UNSUPPORTED = "UNSUPPORTED"
    ERROR = "ERROR"
    REVOKED = "REVOKED"


@dataclass(frozen=True, slots=True)
class FileTypeSpec:
    type: str
    label: str
    supported: tuple[str, ...]
    """The data points an analysed document of this type becomes."""
    ocr: bool = True


FILE_TYPES: tuple[FileTypeSpec, ...] = (
    FileTypeSpec("PAYSLIP", "Payslip", ("INCOMES", "EMPLOYMENTS")),
    FileTypeSpec("TAX_DOCUMENT", "BIR Form 2316 (Certificate of Compensation)", ("INCOMES",)),
    FileTypeSpec("EMPLOYMENT_CERTIFICATE", "Certificate of Employment", ("EMPLOYMENTS",)),
    FileTypeSpec("CLEARANCE_NBI", "NBI Clearance", ("NONE",)),
    FileTypeSpec("OTHERS", "Other documents", ("NONE",)),
)
FILE_TYPES_BY_ID = {spec.type: spec for spec in FILE_TYPES}
UNCLASSIFIED_TYPE = "OTHERS"
"""An archive's ``type`` when none was declared, until its analysis classifies it."""

FileTypeId = Annotated[
    str, Field(max_length=40, description="A file type from `GET /v1/fileTypes`, e.g. PAYSLIP.")
]


class FileObject(WireModel):
    """One file of ``POST /v1/archives``: the contract's FileObject."""

    file_subtype: str | None = Field(default=None, max_length=40)
    file_name: str | None = Field(default=None, max_length=255)
    file_extension_type: str = Field(max_length=10, description="PDF, PNG, JPG, JPEG or TIFF.")
    file_content: str = Field(description="The file's bytes, base64-encoded (15 MB at most).")

    def uploaded(self) -> UploadedFile:
        return UploadedFile(
            name=self.file_name,
            extension_type=self.file_extension_type,
            content_base64=self.file_content,
            sub_type=self.file_subtype,
        )


class ArchiveCreate(WireModel):
    """The contract's ArchiveCreateRequest. Its schema requires a ``files`` property it
    does not define beside ``rawFiles``; both names are accepted, meaning the same."""

    user_id: str | None = Field(default=None, max_length=200)
    file_type: FileTypeId | None = None
    raw_files: list[FileObject] = Field(
        min_length=1,
        validation_alias=AliasChoices("rawFiles", "files", "raw_files"),
        serialization_alias="rawFiles",
    )


class LinkRawFile(WireModel):
    """One file of the widget's upload."""

    name: str | None = Field(default=None, max_length=255)
    file_extension_type: str = Field(max_length=10)
    data: str = Field(description="The file's bytes, base64-encoded (15 MB at most).")
    sub_type: str | None = Field(default=None, max_length=40)

    def uploaded(self) -> UploadedFile:
        return UploadedFile(
            name=self.name,
            extension_type=self.file_extension_type,
            content_base64=self.data,
            sub_type=self.sub_type,
        )


class LinkArchiveCreate(WireModel):
    type: FileTypeId
    raw_files: list[LinkRawFile] = Field(min_length=1)


@dataclass(frozen=True, slots=True)
class UploadedFile:
    """A file as the service receives it, from either request shape."""

    name: str | None
    extension_type: str
    content_base64: str
    sub_type: str | None


# Response shapes for the OpenAPI document; the handlers build the wire dicts themselves
# (tests validate them against the contract's Archive, Upload and FileType schemas).


class RawFileOut(WireModel):
    id: str
    created_at: str
    name: str
    sub_type: str | None
    size: int = Field(description="Kilobytes, rounded up.")
    format: str
    url: str = Field(description="A signed download link; it expires.")


class ArchiveState(WireModel):
    status: ArchiveStatus
    error_code: str | None
    error_message: str | None
    updated_at: str


class UploadOut(WireModel):
    id: str
    created_at: str
    provider_id: str
    user_id: str
    type: str
    state: ArchiveState
    raw_files: list[RawFileOut]


class ArchiveOut(UploadOut):
    classification: dict[str, Any] | None = None
    analysis: dict[str, Any] | None = None
    extraction: dict[str, Any] | None = None
    validation: dict[str, Any] | None = None


class FileTypeOut(WireModel):
    logo_url: str
    type: str
    type_label: str
    active: bool
    enabled: bool
    ocr: bool
    supported: list[str]


class LinkArchiveOut(WireModel):
    archive: ArchiveOut
    upload: UploadOut
