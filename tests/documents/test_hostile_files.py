"""Files built to hurt a reader: each ends as UNSUPPORTED or ERROR with a reason, inside
the limited child process, and the process that asked is still fine afterwards."""

from __future__ import annotations

import io
import struct
import zlib
from datetime import date

import pypdf
import pytest
from PIL import Image

from sahod.documents import DocumentFile, FileFormat, KnownPerson
from sahod.documents.analysis import analyze_in_child
from sahod.documents.sandbox import documents_for


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def zip_bomb_png(side: int = 20000) -> bytes:
    """A few hundred kilobytes that inflate to side x side gray pixels (400 MB)."""
    compressor = zlib.compressobj(9)
    row = b"\x00" * (side + 1)
    body = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", body)
        + _chunk(b"IEND", b"")
    )


def many_pages_pdf(pages: int = 10_000) -> bytes:
    writer = pypdf.PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=612, height=792)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def truncated_jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (1200, 1600), (240, 240, 240)).save(out, format="JPEG")
    return out.getvalue()[: len(out.getvalue()) // 3]


def polyglot() -> bytes:
    """A JPEG whose tail is a PDF: a viewer of either format opens it."""
    pdf = documents_for("george", date(2026, 12, 1))[0].data()
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (255, 255, 255)).save(out, format="JPEG")
    return out.getvalue() + pdf


CASES: list[tuple[str, FileFormat, object]] = [
    ("zip bomb disguised as PNG", "PNG", zip_bomb_png),
    ("PDF with 10,000 pages", "PDF", many_pages_pdf),
    ("truncated JPEG", "JPEG", truncated_jpeg),
    ("polyglot JPEG + PDF declared as PDF", "PDF", polyglot),
    ("16 MB file", "PDF", lambda: b"%PDF-1.7\n" + b"0" * (16 * 1024 * 1024)),
    ("bytes that are nothing", "TIFF", lambda: b"II*\x00" + b"\xff" * 512),
]


@pytest.mark.parametrize(("name", "fmt", "make"), CASES, ids=[c[0] for c in CASES])
async def test_hostile_files_end_in_error_or_unsupported(
    name: str, fmt: FileFormat, make: object
) -> None:
    assert callable(make)
    data = make()
    outcome = await analyze_in_child(
        [DocumentFile(name, fmt, data)],
        KnownPerson(),
        declared_type="PAYSLIP",
        timeout_seconds=60,
    )
    print(f"{name}: {outcome.status} {outcome.error_code} {outcome.error_message}")
    assert outcome.status in ("UNSUPPORTED", "ERROR"), outcome
    assert outcome.error_code in (
        "SYSTEM_ERROR",
        "MISSING_MANDATORY_FIELD",
        "INVALID_FIELD_FORMAT",
    )
    assert outcome.error_message
    assert outcome.records == ()


async def test_the_asker_is_fine_after_a_bomb() -> None:
    bomb = await analyze_in_child(
        [DocumentFile("bomb.png", "PNG", zip_bomb_png())],
        KnownPerson(),
        declared_type="",
        timeout_seconds=60,
    )
    assert bomb.status in ("UNSUPPORTED", "ERROR")
    doc = documents_for("anisha", date(2026, 12, 1))[0]
    good = await analyze_in_child(
        [DocumentFile("p.pdf", "PDF", doc.data())],
        KnownPerson(),
        declared_type="",
        timeout_seconds=60,
    )
    assert good.status == "ANALYZED"
    assert good.analysis == doc.expected()
