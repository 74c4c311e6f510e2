"""What a file really is, decided from its bytes before anything is stored.

An upload names its format (``fileExtensionType``); the name proves nothing. A file is
stored only when its magic bytes say the same format, it fits the size, page and pixel
bounds, and nothing in it says it is also another kind of file (a polyglot: a PDF header
after PNG data, a ZIP archive appended to a JPEG). Images are judged from their headers
(Pillow reads sizes without decoding a pixel); PDFs by pypdf in strict mode, with the
page count read from the page tree's root before any page is walked.

Everything here is pure and bounded by the file's size (at most ``MAX_FILE_BYTES``), so
the API can run it inside a request; what it cannot judge without decoding (an image
that is valid but unreadable) is left to the analysis job, which runs in a child process.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
import struct
import warnings
import zlib
from typing import Any, Final

from sahod.documents import MAX_FILE_BYTES, FileFormat, FileRefused

MAX_PIXELS: Final = 50_000_000
"""Pixels per image (or TIFF page): a 50 MP page is far beyond any phone photo or 600 dpi
A4 scan (35 MP), and bounds what decoding it can cost."""

MAX_PDF_PAGES: Final = 50
"""A payslip, a BIR 2316 or a certificate is a page or two; 50 leaves room for a bundle."""

MAX_TIFF_PAGES: Final = MAX_PDF_PAGES

_FORMAT_SPELLINGS: Final[dict[str, FileFormat]] = {
    "PDF": "PDF",
    "PNG": "PNG",
    "JPG": "JPEG",
    "JPEG": "JPEG",
    "TIF": "TIFF",
    "TIFF": "TIFF",
}
"""The contract's ``fileExtensionType`` spellings (PDF, PNG, JPG, JPEG) and TIFF, which
Smile's documents list among the accepted formats."""

_PNG_MAGIC: Final = b"\x89PNG\r\n\x1a\n"
_JPEG_MAGIC: Final = b"\xff\xd8\xff"
_TIFF_MAGICS: Final = (b"II*\x00", b"MM\x00*")
_PDF_MAGIC: Final = b"%PDF-"
_ZIP_EOCD: Final = b"PK\x05\x06"
_ZIP_LOCAL: Final = b"PK\x03\x04"
_PDF_PAGE_OBJECT: Final = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")


def normalized_format(declared: str) -> FileFormat | None:
    """The format a ``fileExtensionType`` spelling names, or None if Sahod takes none such."""
    return _FORMAT_SPELLINGS.get(declared.strip().upper())


def max_base64_length(max_bytes: int = MAX_FILE_BYTES) -> int:
    """The longest base64 text whose bytes can fit ``max_bytes`` (padding included)."""
    return 4 * ((max_bytes + 2) // 3)


def decode_base64(name: str, text: str) -> bytes:
    """A file's base64 content, refused by name when it is not base64 or too large.

    The length is checked before decoding, so a 100 MB string costs nothing to refuse.
    """
    compact = "".join(text.split())  # line-wrapped base64 (76 columns, MIME) is still base64
    if len(compact) > max_base64_length():
        raise FileRefused(name, f"is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
    try:
        data = base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        raise FileRefused(name, "fileContent is not valid base64") from None
    return data


def real_format(data: bytes) -> FileFormat | None:
    """The format the file's first bytes announce, or None."""
    if data.startswith(_PDF_MAGIC):
        return "PDF"
    if data.startswith(_PNG_MAGIC):
        return "PNG"
    if data.startswith(_JPEG_MAGIC):
        return "JPEG"
    if data.startswith(_TIFF_MAGICS):
        return "TIFF"
    return None


def check_file(name: str, declared_format: str, data: bytes) -> FileFormat:
    """The file's format when it may be stored; raises ``FileRefused`` naming why not."""
    declared = normalized_format(declared_format)
    if declared is None:
        raise FileRefused(
            name, f"fileExtensionType {declared_format!r} is not one of PDF, PNG, JPG, JPEG, TIFF"
        )
    if not data:
        raise FileRefused(name, "is empty")
    if len(data) > MAX_FILE_BYTES:
        raise FileRefused(name, f"is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
    actual = real_format(data)
    if actual is None:
        raise FileRefused(name, f"is not a {declared} file: {_what_it_looks_like(data)}")
    if actual != declared:
        raise FileRefused(name, f"is declared {declared} but its content is {actual}")
    _refuse_polyglot(name, actual, data)
    if actual == "PDF":
        _check_pdf(name, data)
    elif actual == "PNG":
        _check_png(name, data)
    elif actual == "JPEG":
        _check_jpeg(name, data)
    else:
        _check_tiff(name, data)
    return actual


def _what_it_looks_like(data: bytes) -> str:
    head = data[:4096]
    if head.startswith(_ZIP_LOCAL):
        return "its content is a ZIP archive"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return "its content is not a PDF, PNG, JPEG or TIFF"
    return "its content is text"


def _refuse_polyglot(name: str, actual: FileFormat, data: bytes) -> None:
    """A file that another program would open as something else is refused: what a
    viewer shows and what was checked (or analysed) must be the same document.

    A PDF cannot be an image at once: image readers want their magic at offset 0, where
    the PDF's header is; a PDF may embed JPEG streams legitimately, so none are looked for.
    """
    if actual != "PDF" and data.find(_PDF_MAGIC) != -1:
        raise FileRefused(name, f"is a {actual} that also holds a PDF (a polyglot file)")
    if _has_zip_directory(data):
        raise FileRefused(name, f"is a {actual} that is also a ZIP archive (a polyglot file)")


def _has_zip_directory(data: bytes) -> bool:
    """Whether a ZIP reader would find an archive: it looks for the end-of-central-directory
    record from the end, whose comment length reaches exactly to the last byte."""
    start = max(0, len(data) - 22 - 0xFFFF)
    position = data.rfind(_ZIP_EOCD, start)
    while position != -1:
        if position + 22 <= len(data):
            (comment_length,) = struct.unpack_from("<H", data, position + 20)
            if position + 22 + comment_length == len(data):
                return True
        position = data.rfind(_ZIP_EOCD, start, position)
    return False


def _check_png(name: str, data: bytes) -> None:
    """Walks the chunks (lengths and CRCs, no decompression): IHDR first with bounded
    dimensions, IDAT present, IEND last and nothing after it."""
    offset = len(_PNG_MAGIC)
    first = True
    seen_idat = False
    while True:
        if offset + 12 > len(data):
            raise FileRefused(name, "is a truncated PNG (it ends before its IEND chunk)")
        length, kind = struct.unpack_from(">I4s", data, offset)
        end = offset + 12 + length
        if end > len(data):
            raise FileRefused(name, "is a truncated PNG (a chunk runs past the end)")
        body = data[offset + 4 : offset + 8 + length]
        (crc,) = struct.unpack_from(">I", data, offset + 8 + length)
        if zlib.crc32(body) != crc:
            raise FileRefused(name, f"is a broken PNG (chunk {kind!r} fails its CRC)")
        if first:
            if kind != b"IHDR" or length != 13:
                raise FileRefused(name, "is a broken PNG (it does not start with IHDR)")
            width, height = struct.unpack_from(">II", data, offset + 8)
            _check_pixels(name, "PNG", width, height)
            first = False
        elif kind == b"IDAT":
            seen_idat = True
        elif kind == b"IEND":
            if not seen_idat:
                raise FileRefused(name, "is a broken PNG (it has no image data)")
            if data[end:].strip(b"\x00"):
                raise FileRefused(name, "has data after the end of its PNG image")
            return
        offset = end


def _check_pixels(name: str, kind: str, width: int, height: int) -> None:
    if width <= 0 or height <= 0:
        raise FileRefused(name, f"is a broken {kind} (it claims {width}x{height} pixels)")
    if width * height > MAX_PIXELS:
        raise FileRefused(
            name,
            f"is a {width}x{height} {kind} image, more than {MAX_PIXELS // 1_000_000} "
            "megapixels (refused unread, as a decompression bomb)",
        )


def _open_image(name: str, kind: str, data: bytes) -> object:
    from PIL import Image  # imported here: only uploads need Pillow

    with warnings.catch_warnings():
        # Our own limit is applied to the header's size; Pillow's warning adds nothing.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            return Image.open(io.BytesIO(data), formats=[kind])
        except Image.DecompressionBombError:
            raise FileRefused(
                name, f"is a {kind} image of more than {MAX_PIXELS // 1_000_000} megapixels"
            ) from None
        except Exception:
            raise FileRefused(name, f"is a broken {kind} (its header cannot be read)") from None


def _check_jpeg(name: str, data: bytes) -> None:
    image = _open_image(name, "JPEG", data)
    width, height = image.size  # type: ignore[attr-defined]
    _check_pixels(name, "JPEG", width, height)
    # A JPEG ends with EOI (FF D9); some cameras pad with zeros after it.
    if not data.rstrip(b"\x00").endswith(b"\xff\xd9"):
        raise FileRefused(name, "is a truncated JPEG (it does not end with its EOI marker)")


def _check_tiff(name: str, data: bytes) -> None:
    image = _open_image(name, "TIFF", data)
    pages = 0
    try:
        while True:
            pages += 1
            if pages > MAX_TIFF_PAGES:
                raise FileRefused(name, f"is a TIFF of more than {MAX_TIFF_PAGES} pages")
            width, height = image.size  # type: ignore[attr-defined]
            _check_pixels(name, "TIFF", width, height)
            try:
                image.seek(pages)  # type: ignore[attr-defined]
            except EOFError:
                return
    except FileRefused:
        raise
    except Exception:
        raise FileRefused(name, "is a broken TIFF (its pages cannot be read)") from None


def _check_pdf(name: str, data: bytes) -> None:
    from pypdf import PdfReader  # imported here: only uploads need pypdf

    if b"%%EOF" not in data[-2048:]:
        raise FileRefused(name, "is a truncated PDF (it has no end-of-file marker)")
    if b"/Encrypt" in data and re.search(rb"/Encrypt\s+\d+\s+\d+\s+R|/Encrypt\s*<<", data):
        raise FileRefused(name, "is an encrypted PDF (send it without a password)")
    # Page objects written in the clear: a 10,000-page file is refused before pypdf
    # builds anything. (Pages inside compressed object streams are counted below.)
    if len(_PDF_PAGE_OBJECT.findall(data)) > MAX_PDF_PAGES:
        raise FileRefused(name, f"is a PDF of more than {MAX_PDF_PAGES} pages")
    try:
        reader = PdfReader(io.BytesIO(data), strict=True)
        if reader.is_encrypted:
            raise FileRefused(name, "is an encrypted PDF (send it without a password)")
        root: Any = reader.trailer["/Root"].get_object()
        declared_pages = int(root["/Pages"].get_object().get("/Count", 0))
        if declared_pages > MAX_PDF_PAGES:
            raise FileRefused(name, f"is a PDF of more than {MAX_PDF_PAGES} pages")
        pages = len(reader.pages)
    except FileRefused:
        raise
    except RecursionError:
        raise FileRefused(name, "is a broken PDF (its page tree loops)") from None
    except Exception:
        raise FileRefused(name, "is a broken PDF (it cannot be read)") from None
    if pages == 0:
        raise FileRefused(name, "is a PDF without pages")
    if pages > MAX_PDF_PAGES:
        raise FileRefused(name, f"is a PDF of more than {MAX_PDF_PAGES} pages")


__all__ = [
    "MAX_PDF_PAGES",
    "MAX_PIXELS",
    "check_file",
    "decode_base64",
    "max_base64_length",
    "normalized_format",
    "real_format",
]
