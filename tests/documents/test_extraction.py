"""Extraction field by field on documents in layouts the sandbox does not use, read from
their text layer and through OCR (low-resolution scans, a scanned PDF, photos taken with
the phone turned), with the accuracy printed per document kind."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pytest

from sahod.documents import DocumentFile, FileFormat, KnownPerson
from sahod.documents.analysis import analyze
from sahod.documents.reading import ocr_available
from sahod.documents.sandbox import documents_for, photograph, sandbox_personas
from tests.documents import layouts
from tests.documents.accuracy import Accuracy

TODAY = date(2026, 12, 1)
needs_ocr = pytest.mark.skipif(not ocr_available(), reason="tesseract is not installed")


@pytest.mark.parametrize(
    ("kind", "make"),
    [
        ("PAYSLIP", layouts.semimonthly_two_column_payslip),
        ("PAYSLIP", layouts.leader_payslip),
        ("CLEARANCE_NBI", layouts.nbi_clearance),
    ],
)
def test_text_pdfs_in_other_layouts_are_read_exactly(
    kind: str, make: Callable[[], layouts.Made]
) -> None:
    made = make()
    outcome = analyze([DocumentFile("doc.pdf", "PDF", made.pdf)], KnownPerson(), declared_type="")
    accuracy = Accuracy()
    accuracy.compare(make.__name__, kind, outcome.analysis or {}, made.expected)
    print(accuracy.table(f"text layer, {make.__name__}"))
    assert outcome.status == "ANALYZED"
    assert outcome.file_type == kind
    assert accuracy.ratio(kind) == 1.0, accuracy.table(make.__name__)


def test_semimonthly_contributions_are_checked_against_half_the_schedule() -> None:
    honest = analyze(
        [DocumentFile("p.pdf", "PDF", layouts.semimonthly_two_column_payslip().pdf)],
        KnownPerson(full_names=("Juan Dizon Santos",)),
        declared_type="PAYSLIP",
    )
    assert honest.validation["computation"]["resultCode"] == "PASSED"  # type: ignore[index]
    assert honest.validation["identity"]["resultCode"] == "PASSED"  # type: ignore[index]
    (income,) = honest.records
    assert income.payload["frequency"] == "Semimonthly"
    assert income.payload["baseAmount"] == 15000.0

    from decimal import Decimal

    padded = analyze(
        [
            DocumentFile(
                "p.pdf",
                "PDF",
                layouts.semimonthly_two_column_payslip(sss_override=Decimal("450.00")).pdf,
            )
        ],
        KnownPerson(),
        declared_type="PAYSLIP",
    )
    computation = padded.validation["computation"]  # type: ignore[index]
    assert computation["resultCode"] == "FAILED"
    assert "SSS 450.00" in computation["resultMessage"]

    wrong_net = analyze(
        [
            DocumentFile(
                "p.pdf",
                "PDF",
                layouts.semimonthly_two_column_payslip(net_off_by=Decimal("500.00")).pdf,
            )
        ],
        KnownPerson(),
        declared_type="PAYSLIP",
    )
    computation = wrong_net.validation["computation"]  # type: ignore[index]
    assert computation["resultCode"] == "FAILED"
    assert "not the net" in computation["resultMessage"]


@dataclass(frozen=True)
class OcrCase:
    name: str
    kind: str
    make: Callable[[], tuple[FileFormat, bytes, dict[str, object]]]
    at_least: int
    """Fields that must be exactly right (OCR may misread a digit or two elsewhere)."""


def _scan(make: Callable[[], layouts.Made]) -> tuple[FileFormat, bytes, dict[str, object]]:
    made = make()
    return "PNG", layouts.low_resolution_scan(made.pdf), made.expected


def _scanned_pdf() -> tuple[FileFormat, bytes, dict[str, object]]:
    made = layouts.semimonthly_two_column_payslip()
    return "PDF", layouts.scanned_pdf(made.pdf), made.expected


def _photo_of_two_column() -> tuple[FileFormat, bytes, dict[str, object]]:
    made = layouts.semimonthly_two_column_payslip()
    return "JPEG", photograph(layouts.render(made.pdf, dpi=150), seed="two-column"), made.expected


def _turned_sandbox_photo(
    degrees: int,
) -> Callable[[], tuple[FileFormat, bytes, dict[str, object]]]:
    def make() -> tuple[FileFormat, bytes, dict[str, object]]:
        doc = next(d for d in documents_for("george", TODAY) if d.file_name == "payslip.jpg")
        return "JPEG", layouts.turned(doc.data(), degrees), doc.expected()

    return make


OCR_CASES = [
    OcrCase(
        "two-column payslip, 100 dpi scan",
        "PAYSLIP",
        lambda: _scan(layouts.semimonthly_two_column_payslip),
        11,
    ),
    OcrCase(
        "dot-leader payslip, 100 dpi scan", "PAYSLIP", lambda: _scan(layouts.leader_payslip), 10
    ),
    OcrCase("two-column payslip, scanned PDF", "PAYSLIP", _scanned_pdf, 11),
    OcrCase("two-column payslip, photo", "PAYSLIP", _photo_of_two_column, 10),
    OcrCase("sandbox payslip photo, phone turned 90", "PAYSLIP", _turned_sandbox_photo(90), 11),
    OcrCase("sandbox payslip photo, upside down", "PAYSLIP", _turned_sandbox_photo(180), 11),
    OcrCase(
        "NBI clearance, 100 dpi scan", "CLEARANCE_NBI", lambda: _scan(layouts.nbi_clearance), 9
    ),
]


@needs_ocr
# OCR takes seconds a case: in `make test`, not in the quick loop.
@pytest.mark.slow
@pytest.mark.parametrize("case", OCR_CASES, ids=[c.name for c in OCR_CASES])
def test_scans_and_photos_are_read_field_by_field(case: OcrCase) -> None:
    fmt, data, expected = case.make()
    outcome = analyze([DocumentFile("upload", fmt, data)], KnownPerson(), declared_type="")
    accuracy = Accuracy()
    accuracy.compare(case.name, case.kind, outcome.analysis or {}, expected)
    print(accuracy.table(f"OCR, {case.name}"))
    assert outcome.file_type == case.kind
    assert outcome.status == "ANALYZED", outcome.error_message
    assert accuracy.right[case.kind] >= case.at_least, accuracy.table(case.name)


SANDBOX_PHOTOS = [
    ("george", "payslip.jpg"),
    ("ryan", "bir-2316.jpg"),
    ("christina", "certificate-of-employment.jpg"),
]


@needs_ocr
@pytest.mark.slow
@pytest.mark.parametrize(("persona", "file_name"), SANDBOX_PHOTOS)
def test_sandbox_photos_are_read_exactly_enough(persona: str, file_name: str) -> None:
    doc = next(d for d in documents_for(persona, TODAY) if d.file_name == file_name)
    outcome = analyze(
        [DocumentFile(file_name, "JPEG", doc.data())], KnownPerson(), declared_type=doc.file_type
    )
    accuracy = Accuracy()
    expected = doc.expected()
    accuracy.compare(f"{persona}/{file_name}", doc.file_type, outcome.analysis or {}, expected)
    print(accuracy.table(f"OCR, sandbox {persona}/{file_name}"))
    assert outcome.status == "ANALYZED"
    assert outcome.file_type == doc.file_type
    assert accuracy.right[doc.file_type] >= len(expected) - 1, accuracy.table(file_name)


@needs_ocr
@pytest.mark.slow
# Every persona's photos through OCR: minutes on two busy cores.
@pytest.mark.timeout(900)
def test_every_sandbox_photo() -> None:
    accuracy = Accuracy()
    for persona in sandbox_personas():
        person = KnownPerson(full_names=(persona.full_name,))
        for doc in documents_for(persona.key, TODAY):
            if doc.format != "JPEG":
                continue
            outcome = analyze(
                [DocumentFile(doc.file_name, "JPEG", doc.data())], person, declared_type=""
            )
            label = f"{persona.key}/{doc.file_name}"
            assert outcome.file_type == doc.file_type, label
            accuracy.compare(label, doc.file_type, outcome.analysis or {}, doc.expected())
    print(accuracy.table("OCR, every sandbox photo"))
    for kind in ("PAYSLIP", "TAX_DOCUMENT", "EMPLOYMENT_CERTIFICATE"):
        assert accuracy.ratio(kind) >= 0.95, accuracy.table("every sandbox photo")


@needs_ocr
@pytest.mark.slow
def test_a_two_page_tiff_and_an_exif_rotated_photo() -> None:
    import io

    from PIL import Image

    made = layouts.semimonthly_two_column_payslip()
    page = layouts.render(made.pdf, dpi=150).convert("L")
    blank = Image.new("L", page.size, 255)
    tiff = io.BytesIO()
    page.save(tiff, format="TIFF", save_all=True, append_images=[blank], compression="tiff_lzw")
    outcome = analyze(
        [DocumentFile("scan.tiff", "TIFF", tiff.getvalue())], KnownPerson(), declared_type=""
    )
    assert outcome.status == "ANALYZED"
    assert (outcome.analysis or {}).get("netAmount") == made.expected["netAmount"]

    # A phone stores the picture sideways and says so in EXIF (orientation 6: turn 90°
    # clockwise to view); the reader applies it before anything else.
    sideways = page.rotate(90, expand=True)
    exif = Image.Exif()
    exif[0x0112] = 6
    photo = io.BytesIO()
    sideways.save(photo, format="JPEG", exif=exif.tobytes(), quality=90)
    outcome = analyze(
        [DocumentFile("p.jpg", "JPEG", photo.getvalue())], KnownPerson(), declared_type=""
    )
    assert outcome.status == "ANALYZED"
    assert (outcome.analysis or {}).get("grossAmount") == made.expected["grossAmount"]
