"""Validation a credit officer relies on: edited PDFs, names written another way, and
amounts that do not add up."""

from __future__ import annotations

import io
from datetime import date

import pypdf
import pytest

from sahod.documents import DocumentFile, KnownPerson
from sahod.documents.analysis import analyze
from sahod.documents.sandbox import documents_for
from sahod.documents.validate import name_score
from tests.documents import layouts

TODAY = date(2026, 12, 1)


def _payslip() -> bytes:
    return documents_for("christina", TODAY)[0].data()


def _metadata(data: bytes) -> dict[str, object]:
    outcome = analyze([DocumentFile("p.pdf", "PDF", data)], KnownPerson(), declared_type="")
    assert outcome.status == "ANALYZED"
    result: dict[str, object] = outcome.validation["metadata"]  # type: ignore[index,assignment]
    return result


def test_an_untouched_pdf_passes() -> None:
    assert _metadata(_payslip())["resultCode"] == "PASSED"


def test_a_pdf_saved_again_with_changes_fails() -> None:
    writer = pypdf.PdfWriter(io.BytesIO(_payslip()), incremental=True)
    writer.add_metadata({"/ModDate": "D:20261130120000+08'00'"})
    out = io.BytesIO()
    writer.write(out)
    result = _metadata(out.getvalue())
    assert result["resultCode"] == "FAILED"
    assert "saved 1 more time" in str(result["resultMessage"])
    assert "modified after it was created" in str(result["resultMessage"])


def test_a_pdf_from_an_editor_fails() -> None:
    made = layouts.leader_payslip(producer="Adobe Photoshop 25.0 (Windows)")
    result = _metadata(made.pdf)
    assert result["resultCode"] == "FAILED"
    assert "Photoshop" in str(result["resultMessage"])


@pytest.mark.slow  # OCR: Tesseract, which `make test` installs and test-fast does not
def test_an_image_saved_by_an_editor_fails() -> None:
    from PIL import Image

    doc = next(d for d in documents_for("george", TODAY) if d.file_name == "payslip.jpg")
    image = Image.open(io.BytesIO(doc.data()))
    exif = image.getexif()
    exif[0x0131] = "GIMP 2.10.36"
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes(), quality=90)
    outcome = analyze(
        [DocumentFile("p.jpg", "JPEG", out.getvalue())], KnownPerson(), declared_type=""
    )
    assert outcome.validation["metadata"]["resultCode"] == "FAILED"  # type: ignore[index]


def test_names_match_across_order_case_and_initials() -> None:
    known = "George Cimafranca Palomero, Jr"
    for written in (
        "PALOMERO, GEORGE CIMAFRANCA JR",
        "George C. Palomero Jr.",
        "palomero george c",
        "George Palomero",
    ):
        assert name_score(written, known) >= 80, written
    for other in ("George Santos", "Christina Reyes Villanueva", "Palomero"):
        assert name_score(other, known) < 80, other


def test_a_payslip_that_does_not_add_up_fails_computation() -> None:
    from decimal import Decimal

    made = layouts.semimonthly_two_column_payslip(net_off_by=Decimal("2500.00"))
    outcome = analyze([DocumentFile("p.pdf", "PDF", made.pdf)], KnownPerson(), declared_type="")
    computation = outcome.validation["computation"]  # type: ignore[index]
    assert computation["resultCode"] == "FAILED"
    assert computation["score"] < 100


def test_an_nbi_clearance_checks_the_date_of_birth_too() -> None:
    made = layouts.nbi_clearance()
    name = "Ana Marie Soriano Dela Paz"
    same = analyze(
        [DocumentFile("n.pdf", "PDF", made.pdf)],
        KnownPerson(full_names=(name,), birth_dates=("1991-03-03",)),
        declared_type="CLEARANCE_NBI",
    )
    assert same.validation["identity"]["resultCode"] == "PASSED"  # type: ignore[index]
    namesake = analyze(
        [DocumentFile("n.pdf", "PDF", made.pdf)],
        KnownPerson(full_names=(name,), birth_dates=("1988-07-21",)),
        declared_type="CLEARANCE_NBI",
    )
    identity = namesake.validation["identity"]  # type: ignore[index]
    assert identity["resultCode"] == "FAILED"
    assert "date of birth" in identity["resultMessage"]
