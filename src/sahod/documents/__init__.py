"""Reading the documents people upload (issue 13): what a file really is, what it says,
and whether it adds up. No database here: the archives domain stores files and results;
this package turns bytes into the contract's classification, analysis and validation.

The types below are the contract between the two. The archives domain calls
``sahod.documents.sniff.check_file`` while a request is open (raises ``FileRefused``) and
``sahod.documents.analysis.analyze_in_child`` from its job (never raises for what a file
contains: a bad file ends as ``ERROR``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from sahod.datapoints.records import FetchedRecord

FileFormat = Literal["PDF", "PNG", "JPEG", "TIFF"]
"""The contract's ``fileExtensionType`` / ``RawFile.format`` values Sahod accepts."""

DocumentType = Literal[
    "PAYSLIP", "TAX_DOCUMENT", "EMPLOYMENT_CERTIFICATE", "CLEARANCE_NBI", "OTHERS"
]

ArchiveStatus = Literal["ANALYZED", "UNSUPPORTED", "ERROR"]

MAX_FILE_BYTES = 15 * 1024 * 1024
"""Smile's archive limit per file."""


class FileRefused(Exception):
    """A file that must not be stored: the API answers 400 naming the file and the reason."""

    def __init__(self, file_name: str, reason: str) -> None:
        super().__init__(f"{file_name}: {reason}")
        self.file_name = file_name
        self.reason = reason


@dataclass(frozen=True)
class DocumentFile:
    name: str
    format: FileFormat
    data: bytes


@dataclass(frozen=True)
class KnownPerson:
    """Who the user is according to their connected accounts (for identity validation)."""

    full_names: tuple[str, ...] = ()
    birth_dates: tuple[str, ...] = ()
    """ISO dates."""


@dataclass(frozen=True)
class DocumentAnalysis:
    """The outcome of analysing one archive's files; every dict is the contract's wire JSON."""

    status: ArchiveStatus
    file_type: DocumentType
    error_code: str | None = None
    """One of the contract's ``Archive.state.errorCode`` values, or None."""
    error_message: str | None = None
    classification: dict[str, object] | None = None
    """``ArchiveClassification``."""
    analysis: dict[str, object] | None = None
    """``ArchiveAnalysis`` of the classified type."""
    extraction: dict[str, object] | None = None
    """``ArchiveExtraction``."""
    validation: dict[str, object] | None = None
    """``ArchiveValidation``."""
    records: tuple[FetchedRecord, ...] = field(default=())
    """The ``INCOMES`` / ``EMPLOYMENTS`` items the document supports (payload as the
    contract's item, without id and metadata; ``reference`` stable for the archive)."""


__all__ = [
    "MAX_FILE_BYTES",
    "ArchiveStatus",
    "DocumentAnalysis",
    "DocumentFile",
    "DocumentType",
    "FileFormat",
    "FileRefused",
    "KnownPerson",
]
