"""One archive's files in, its classification, analysis, validation and records out.

``analyze`` does the work in the calling process; ``analyze_in_child`` runs it in a fresh
child process with an address-space limit, a CPU-seconds limit and a wall-clock timeout,
and kills the child on overrun. Whatever a file contains (a decompression bomb, a PDF that
sends the parser into a loop, a crash in a C library) the worker only sees an archive in
``ERROR``.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import multiprocessing
import multiprocessing.connection
import multiprocessing.context
import signal
import sys
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass

from sahod.documents import (
    MAX_FILE_BYTES,
    DocumentAnalysis,
    DocumentFile,
    DocumentType,
    KnownPerson,
)
from sahod.documents.classify import classify
from sahod.documents.extract import MANDATORY, extract, read_payslip, records
from sahod.documents.reading import UnreadableDocument, read_document
from sahod.documents.validate import validate

log = logging.getLogger(__name__)

SUPPORTED: tuple[DocumentType, ...] = (
    "PAYSLIP",
    "TAX_DOCUMENT",
    "EMPLOYMENT_CERTIFICATE",
    "CLEARANCE_NBI",
)

MAX_TEXT_CHARS = 200_000
"""Text the extractor looks at: a payslip is a few thousand characters; a 20-page text dump
is not a document the extractor should spend the child's CPU on."""

_NAMES = {
    "PAYSLIP": "payslip",
    "TAX_DOCUMENT": "BIR Form 2316",
    "EMPLOYMENT_CERTIFICATE": "certificate of employment",
    "CLEARANCE_NBI": "NBI clearance",
}


def _declared(declared_type: str) -> DocumentType | None:
    for kind in SUPPORTED:
        if kind == declared_type:
            return kind
    return None


def analyze(
    files: Sequence[DocumentFile], person: KnownPerson, *, declared_type: str
) -> DocumentAnalysis:
    """Read, classify, extract and validate ``files`` as one document.

    The type is what the content says; the type the uploader declared decides only when
    the content names none (a payslip without its title still has a net pay).
    """
    declared = _declared(declared_type)
    too_big = [f.name for f in files if len(f.data) > MAX_FILE_BYTES]
    if too_big:
        # The upload refuses these; a file that got here anyway is not read at all.
        return DocumentAnalysis(
            status="UNSUPPORTED",
            file_type=declared or "OTHERS",
            error_code="INVALID_FIELD_FORMAT",
            error_message=f"{', '.join(too_big)}: larger than {MAX_FILE_BYTES // 2**20} MB.",
        )
    try:
        read = read_document(files)
    except UnreadableDocument as exc:
        return DocumentAnalysis(
            status="UNSUPPORTED",
            file_type=declared or "OTHERS",
            error_code=exc.error_code,
            error_message=f"The document cannot be read: {exc}.",
        )
    if sum(c.isalnum() for c in read.text) < 20:
        return DocumentAnalysis(
            status="UNSUPPORTED",
            file_type=declared or "OTHERS",
            error_code="MISSING_MANDATORY_FIELD",
            error_message="No text could be read from the document (a blank or unreadable image?).",
        )
    text = read.text[:MAX_TEXT_CHARS]
    file_type = classify(text)
    if file_type == "OTHERS" and declared is not None:
        attempt = extract(declared, text, ocr=read.method == "OCR")
        if all(key in attempt for key in MANDATORY[declared]):
            file_type = declared
    classification: dict[str, object] = {"fileType": file_type}
    if file_type == "OTHERS":
        return DocumentAnalysis(
            status="UNSUPPORTED",
            file_type="OTHERS",
            classification=classification,
            error_message="The document is not a payslip, a BIR Form 2316, a certificate of "
            "employment or an NBI clearance.",
        )
    ocr = read.method == "OCR"
    payslip = read_payslip(text, ocr=ocr) if file_type == "PAYSLIP" else None
    analysis = payslip.analysis if payslip is not None else extract(file_type, text, ocr=ocr)
    missing = [key for key in MANDATORY[file_type] if key not in analysis]
    extraction: dict[str, object] = {"fileType": file_type, "analysis": analysis}
    validation = validate(file_type, analysis, read, person, payslip=payslip)
    if missing:
        return DocumentAnalysis(
            status="ERROR",
            file_type=file_type,
            error_code="MISSING_MANDATORY_FIELD",
            error_message=f"The {_NAMES[file_type]} does not show {', '.join(missing)}"
            + (" (the photo may be too blurred to read)" if read.method == "OCR" else "")
            + ".",
            classification=classification,
            analysis=analysis,
            extraction=extraction,
            validation=validation,
        )
    return DocumentAnalysis(
        status="ANALYZED",
        file_type=file_type,
        classification=classification,
        analysis=analysis,
        extraction=extraction,
        validation=validation,
        records=records(
            file_type,
            analysis,
            basic=payslip.basic if payslip else None,
            frequency=payslip.frequency if payslip else None,
        ),
    )


# ---------------------------------------------------------------------------------------
# In a child process
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChildLimits:
    memory_bytes: int = 1536 * 1024 * 1024
    """Address space of the child (and of the tesseract it starts)."""
    cpu_seconds: int = 120
    """CPU time of the child; Tesseract runs in a grandchild with the same limit."""


DEFAULT_LIMITS = ChildLimits()


def _child(
    connection: multiprocessing.connection.Connection,
    files: Sequence[DocumentFile],
    person: KnownPerson,
    declared_type: str,
    limits: ChildLimits,
) -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 5))
    # No core files from a crashing parser: they would fill the worker's disk.
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    try:
        outcome: object = analyze(files, person, declared_type=declared_type)
    except MemoryError:
        outcome = ("SYSTEM_ERROR", "The document needs more memory than a reader may use.")
    except Exception as exc:
        log.warning("document analysis failed: %s", traceback.format_exc())
        outcome = ("SYSTEM_ERROR", f"The document could not be analysed ({type(exc).__name__}).")
    connection.send(outcome)
    connection.close()


_DEATHS = {
    int(signal.SIGXCPU): "it used more CPU time than a reader may",
    int(signal.SIGKILL): "the reader was stopped (out of memory?)",
    int(signal.SIGSEGV): "the reader crashed",
    int(signal.SIGABRT): "the reader crashed",
}


def _death(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        return _DEATHS.get(-exitcode, f"the reader died (signal {-exitcode})")
    return "the reader ran out of memory or died"


def _failure(declared_type: str, message: str) -> DocumentAnalysis:
    return DocumentAnalysis(
        status="ERROR",
        file_type=_declared(declared_type) or "OTHERS",
        error_code="SYSTEM_ERROR",
        error_message=message,
    )


PRELOAD = ("sahod.documents.analysis", "pypdf", "pypdfium2", "pytesseract")


@functools.cache
def _context() -> multiprocessing.context.ForkServerContext | multiprocessing.context.SpawnContext:
    # Not a plain fork: the worker has threads and an event loop a fork would copy mid-use.
    # A fork server is a clean single-threaded process that has already imported the
    # reader, so each child starts in milliseconds instead of re-importing it (spawn).
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    # multiprocessing re-runs the parent's main module in every child (`python -m
    # sahod.cli worker`: the whole CLI and app). Imported once in the server, that re-run
    # finds every import done and costs nothing.
    # The `sahod` console script is a path, re-run by path: what it imports is sahod.cli.
    main = getattr(sys.modules["__main__"].__spec__, "name", None)
    preload = list(PRELOAD)
    if main and not main.endswith("__main__"):
        preload.insert(0, main)
    elif "sahod.cli" in sys.modules:
        preload.insert(0, "sahod.cli")
    context.set_forkserver_preload(preload)
    return context


def _run(
    files: Sequence[DocumentFile],
    person: KnownPerson,
    declared_type: str,
    timeout_seconds: float,
    limits: ChildLimits,
) -> DocumentAnalysis:
    context = _context()
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(
        target=_child,
        args=(sender, tuple(files), person, declared_type, limits),
        name="sahod-document-reader",
        daemon=True,
    )
    deadline = time.monotonic() + timeout_seconds
    process.start()
    sender.close()
    try:
        outcome: object = None
        if receiver.poll(max(0.0, deadline - time.monotonic())):
            try:
                outcome = receiver.recv()
            except EOFError:
                outcome = None
        else:
            if process.is_alive():
                process.kill()
                process.join(5)
                return _failure(
                    declared_type,
                    f"The document took longer than {timeout_seconds:g} s to analyse.",
                )
        process.join(5)
        if isinstance(outcome, DocumentAnalysis):
            return outcome
        if isinstance(outcome, tuple) and len(outcome) == 2:
            return _failure(declared_type, str(outcome[1]))
        return _failure(
            declared_type, f"The document could not be analysed: {_death(process.exitcode)}."
        )
    finally:
        if process.is_alive():
            process.kill()
            process.join(5)
        receiver.close()


async def analyze_in_child(
    files: Sequence[DocumentFile],
    person: KnownPerson,
    *,
    declared_type: str,
    timeout_seconds: float,
    limits: ChildLimits = DEFAULT_LIMITS,
) -> DocumentAnalysis:
    """``analyze`` in a child process under resource limits; never raises for a file's
    content: overruns and crashes come back as ``ERROR`` / ``SYSTEM_ERROR``. (A child that
    cannot be started at all, the machine's fault and not the file's, raises ``OSError``,
    so the job can be retried.)"""
    return await asyncio.to_thread(_run, files, person, declared_type, timeout_seconds, limits)
