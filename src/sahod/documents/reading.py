"""Text out of a document: a PDF's text layer when it has one, OCR for scans and photos.

OCR is Debian's Tesseract (``scripts/ensure-tesseract.sh``), called through pytesseract.
Scanned PDF pages are rendered with pdfium. A photo may be on its side or upside down (the
orientation comes from Tesseract's OSD, or else from trying the four quarter turns by
confidence) and a little tilted (a projection-profile search over small angles).
"""

from __future__ import annotations

import io
import os
import re
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal

from PIL import Image, ImageChops, ImageFilter, ImageOps

from sahod.documents import DocumentFile

MAX_PAGES = 20
"""Pages read per file; a payslip or a 2316 is one or two."""
MAX_PIXELS = 40_000_000
"""Pillow's bomb guard for images and rendered pages (a 15 MB file may not expand past it)."""
MAX_OCR_PAGES = 6
"""Scanned pages OCR'd per file (a few seconds each); the rest of a long scan is skipped."""
RENDER_DPI = 200
OCR_MIN_WIDTH = 1600
"""Images narrower than this are enlarged first: Tesseract reads ~10 px glyphs poorly."""
TEXT_LAYER_MIN_CHARS = 40
"""A PDF page with fewer letters than this in its text layer is treated as a scan."""


class UnreadableDocument(Exception):
    """A valid file that says nothing readable (no text layer, OCR unavailable or empty)."""

    def __init__(self, reason: str, *, error_code: str = "SYSTEM_ERROR") -> None:
        super().__init__(reason)
        self.error_code = error_code


_MAGIC: dict[str, tuple[bytes, ...]] = {
    "PDF": (b"%PDF-",),
    "PNG": (b"\x89PNG\r\n\x1a\n",),
    "JPEG": (b"\xff\xd8\xff",),
    "TIFF": (b"II*\x00", b"MM\x00*"),
}


def _kind_of(data: bytes) -> str | None:
    for kind, magics in _MAGIC.items():
        if any(data.startswith(m) for m in magics):
            return kind
    return None


@dataclass(frozen=True)
class PdfFacts:
    """What a PDF says about its own history (for the metadata validation)."""

    producer: str | None = None
    creator: str | None = None
    created: str | None = None
    modified: str | None = None
    revisions: int = 1
    """Number of ``%%EOF`` markers: more than one means incremental updates (edits)."""


@dataclass(frozen=True)
class ReadText:
    text: str
    method: Literal["TEXT_LAYER", "OCR"]
    pdf: PdfFacts | None = None
    image_software: str | None = None
    """EXIF ``Software`` of an image, when present."""
    confidence: float | None = None
    """Mean OCR word confidence 0-100."""
    pages: int = 1
    notes: tuple[str, ...] = field(default=())


def ocr_available() -> bool:
    return shutil.which("tesseract") is not None


def read_document(files: Sequence[DocumentFile]) -> ReadText:
    """All the files' text, in order, as one document."""
    parts = [read_file(f) for f in files]
    if not parts:
        raise UnreadableDocument("no files")
    text = "\n\n".join(p.text for p in parts)
    method: Literal["TEXT_LAYER", "OCR"] = (
        "OCR" if any(p.method == "OCR" for p in parts) else "TEXT_LAYER"
    )
    confidences = [p.confidence for p in parts if p.confidence is not None]
    return ReadText(
        text=text,
        method=method,
        pdf=next((p.pdf for p in parts if p.pdf is not None), None),
        image_software=next((p.image_software for p in parts if p.image_software), None),
        confidence=sum(confidences) / len(confidences) if confidences else None,
        pages=sum(p.pages for p in parts),
        notes=tuple(n for p in parts for n in p.notes),
    )


def read_file(file: DocumentFile) -> ReadText:
    # The upload checks this too; the reader never lets one parser see another's format
    # (a JPEG with a PDF appended is two documents to two parsers).
    actual = _kind_of(file.data)
    if actual != file.format:
        raise UnreadableDocument(
            f"{file.name} is not a {file.format} file"
            + (f" (its bytes are a {actual})" if actual else ""),
            error_code="INVALID_FIELD_FORMAT",
        )
    if file.format == "PDF":
        return read_pdf(file.data)
    return read_image(file.data)


# ---------------------------------------------------------------------------------------
# PDF
# ---------------------------------------------------------------------------------------


def pdf_facts(data: bytes, info: dict[str, object] | None) -> PdfFacts:
    def text(key: str) -> str | None:
        value = (info or {}).get(key)
        return str(value) if value not in (None, "") else None

    return PdfFacts(
        producer=text("/Producer"),
        creator=text("/Creator"),
        created=text("/CreationDate"),
        modified=text("/ModDate"),
        revisions=max(1, len(re.findall(rb"%%EOF", data))),
    )


def read_pdf(data: bytes) -> ReadText:
    import pypdf

    try:
        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise UnreadableDocument("the PDF is encrypted")
        info: dict[str, object] = {str(k): v for k, v in (reader.metadata or {}).items()}
        pages = [reader.pages[i] for i in range(min(len(reader.pages), MAX_PAGES))]
        layers = [page.extract_text() or "" for page in pages]
    except (UnreadableDocument, MemoryError):
        # Out of memory is the reader's limit, not a broken file: the child reports it.
        raise
    except Exception as exc:
        raise UnreadableDocument(f"the PDF cannot be read ({type(exc).__name__})") from exc
    facts = pdf_facts(data, info)
    if not pages:
        raise UnreadableDocument("the PDF has no pages")
    texts: list[str] = []
    confidences: list[float] = []
    ocr_pages = 0
    for index, layer in enumerate(layers):
        if sum(c.isalnum() for c in layer) >= TEXT_LAYER_MIN_CHARS:
            texts.append(layer)
            continue
        if not ocr_available():
            raise UnreadableDocument(
                "the PDF is a scan without a text layer and OCR is not installed"
            )
        if ocr_pages >= MAX_OCR_PAGES:
            break
        image = _render_page(data, index)
        ocr_pages += 1
        if is_blank(image):
            continue
        text, confidence = ocr_image(image)
        texts.append(text)
        confidences.append(confidence)
    return ReadText(
        text="\n".join(texts),
        method="OCR" if ocr_pages else "TEXT_LAYER",
        pdf=facts,
        confidence=sum(confidences) / len(confidences) if confidences else None,
        pages=len(pages),
    )


def _render_page(data: bytes, index: int) -> Image.Image:
    import pypdfium2

    document = pypdfium2.PdfDocument(data)
    try:
        page = document[index]
        width, height = page.get_size()
        scale = RENDER_DPI / 72
        # A page with absurd dimensions would render to a bomb: cap the pixels instead.
        if width * height * scale * scale > MAX_PIXELS:
            scale = (MAX_PIXELS / (width * height)) ** 0.5
        image: Image.Image = page.render(scale=scale, grayscale=True).to_pil()
    finally:
        document.close()
    return image


# ---------------------------------------------------------------------------------------
# Images and OCR
# ---------------------------------------------------------------------------------------


def read_image(data: bytes) -> ReadText:
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        image = Image.open(io.BytesIO(data))
        software = _exif_software(image)
        frames = list(_frames(image))
    except Image.DecompressionBombError as exc:
        raise UnreadableDocument("the image has too many pixels") from exc
    except MemoryError:
        raise
    except Exception as exc:
        raise UnreadableDocument(f"the image cannot be decoded ({type(exc).__name__})") from exc
    if not ocr_available():
        raise UnreadableDocument("the image needs OCR and OCR is not installed")
    texts, confidences = [], []
    for frame in frames:
        text, confidence = ocr_image(frame)
        texts.append(text)
        confidences.append(confidence)
    return ReadText(
        text="\n".join(texts),
        method="OCR",
        image_software=software,
        confidence=sum(confidences) / len(confidences),
        pages=len(frames),
    )


def _exif_software(image: Image.Image) -> str | None:
    try:
        value = image.getexif().get(0x0131)
    except Exception:
        return None
    return str(value) if value else None


def _frames(image: Image.Image) -> Iterator[Image.Image]:
    # Multi-page TIFFs: every page, up to the limit; EXIF orientation applied first.
    for index in range(min(getattr(image, "n_frames", 1), MAX_PAGES)):
        image.seek(index)
        frame = ImageOps.exif_transpose(image.copy()) or image.copy()
        yield frame.convert("L")


def _prepare(image: Image.Image) -> Image.Image:
    gray = image.convert("L")
    if gray.width < OCR_MIN_WIDTH:
        factor = OCR_MIN_WIDTH / gray.width
        gray = gray.resize(
            (OCR_MIN_WIDTH, max(1, int(gray.height * factor))), Image.Resampling.LANCZOS
        )
    return gray


def binarize(gray: Image.Image, *, radius: int = 15, contrast: int = 18) -> Image.Image:
    """Black ink on white paper, whatever the lighting: a pixel is ink when it is darker than
    its neighbourhood (a global threshold loses the shaded half of a photo)."""
    surroundings = gray.filter(ImageFilter.BoxBlur(radius))
    darker = ImageChops.subtract(surroundings, gray)
    return darker.point(lambda v: 0 if v > contrast else 255)


def is_blank(image: Image.Image) -> bool:
    """Nothing printed: fewer than one pixel in a thousand is ink."""
    small = image.convert("L")
    small.thumbnail((600, 600))
    histogram = binarize(small, radius=6).histogram()
    return histogram[0] < (small.width * small.height) / 1000


def ocr_image(image: Image.Image) -> tuple[str, float]:
    """(text, mean word confidence) of an image, upright and deskewed first."""
    if is_blank(image):
        return "", 0.0
    gray = _prepare(image)
    gray = _upright(gray)
    gray = deskew(gray)
    return _tesseract(binarize(gray))


def _tesseract(gray: Image.Image, *, psm: int = 4) -> tuple[str, float]:
    import pytesseract

    # One thread per Tesseract: the worker runs several readers side by side, and
    # Tesseract's OpenMP threads make its output differ from run to run.
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    data = pytesseract.image_to_data(
        gray, lang="eng", config=f"--psm {psm}", output_type=pytesseract.Output.DICT
    )
    lines: dict[tuple[int, int, int], list[tuple[int, int, int, int, str]]] = {}
    confidences = []
    for i, word in enumerate(data["text"]):
        word = word.strip()
        if not word:
            continue
        key = (data["block_num"][i], data["par_num"][i], data["line_num"][i])
        box = (data["left"][i], data["top"][i], data["width"][i], data["height"][i], word)
        lines.setdefault(key, []).append(box)
        confidence = float(data["conf"][i])
        if confidence >= 0:
            confidences.append(confidence)
    text = "\n".join(_ocr_fixes(row) for row in _rows(list(lines.values())))
    return text, (sum(confidences) / len(confidences) if confidences else 0.0)


Word = tuple[int, int, int, int, str]


def _ocr_fixes(row: str) -> str:
    # A capital I standing alone (a roman numeral: "Teacher I", "Nurse II") is read as a bar.
    return re.sub(
        r"(?<=[A-Za-z]) (\|{1,3}|l{1,3}|I[l|]{1,2})(?=\s|$)",
        lambda m: " " + "I" * len(m.group(1)),
        row,
    )


def _rows(lines: list[list[Word]]) -> list[str]:
    """Tesseract's lines joined into the page's rows: a label and its value in another
    column are separate blocks to Tesseract but one row of the form. Columns far apart are
    separated by three spaces, which the extractor reads as a column break."""
    spans = []
    for words in lines:
        top = min(w[1] for w in words)
        bottom = max(w[1] + w[3] for w in words)
        spans.append((top, bottom, words))
    spans.sort(key=lambda s: (s[0] + s[1]) / 2)
    rows: list[tuple[float, float, list[Word]]] = []
    for top, bottom, words in spans:
        middle = (top + bottom) / 2
        if rows:
            row_top, row_bottom, row_words = rows[-1]
            height = row_bottom - row_top
            if row_top + 0.15 * height <= middle <= row_bottom - 0.15 * height:
                row_words.extend(words)
                continue
        rows.append((top, bottom, list(words)))
    out = []
    for _, _, words in rows:
        words.sort(key=lambda w: w[0])
        height = max(1, sorted(w[3] for w in words)[len(words) // 2])
        parts: list[str] = []
        previous_end: int | None = None
        for left, _, width, _, word in words:
            if previous_end is not None:
                parts.append("   " if left - previous_end > 2.5 * height else " ")
            parts.append(word)
            previous_end = left + width
        out.append("".join(parts))
    return out


def _upright(gray: Image.Image) -> Image.Image:
    """The image turned by the quarter turn that makes its text upright."""
    import pytesseract

    try:
        osd = pytesseract.image_to_osd(gray, config="--psm 0 -c min_characters_to_try=20")
        match = re.search(r"Rotate: (\d+)", osd)
        sure = re.search(r"Orientation confidence: ([\d.]+)", osd)
        if match and sure and float(sure.group(1)) >= 2.0:
            rotate = int(match.group(1)) % 360
            return gray.rotate(-rotate, expand=True) if rotate else gray
    except pytesseract.TesseractError:
        pass
    # No verdict from OSD: read a small copy at each quarter turn and keep the best.
    small = gray.copy()
    small.thumbnail((1200, 1200))
    best, best_score = 0, -1.0
    for turn in (0, 90, 180, 270):
        text, confidence = _tesseract(small.rotate(turn, expand=True), psm=6)
        score = confidence * min(1.0, sum(c.isalpha() for c in text) / 200)
        if score > best_score:
            best, best_score = turn, score
    return gray.rotate(best, expand=True) if best else gray


def _gray(pixel: object) -> float:
    return float(pixel) if isinstance(pixel, int | float) else 0.0


def deskew(gray: Image.Image, *, max_angle: float = 6.0, step: float = 0.5) -> Image.Image:
    """Straighten a slightly tilted page: the angle whose row profile is sharpest (text
    lines make dark rows and white gaps when level)."""
    small = gray.copy()
    small.thumbnail((900, 900))
    ink = ImageOps.invert(binarize(small, radius=8))
    best_angle, best_score = 0.0, -1.0
    steps = int(max_angle / step)
    for i in range(-steps, steps + 1):
        angle = i * step
        turned = ink.rotate(angle, resample=Image.Resampling.NEAREST, fillcolor=0)
        column = turned.resize((1, turned.height), Image.Resampling.BOX)
        values = [_gray(column.getpixel((0, y))) for y in range(column.height)]
        mean = sum(values) / len(values)
        score = sum((v - mean) ** 2 for v in values)
        if score > best_score:
            best_angle, best_score = angle, score
    if abs(best_angle) < step:
        return gray
    return gray.rotate(best_angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
