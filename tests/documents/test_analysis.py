"""The reader end to end on text PDFs: every sandbox persona's payslip, BIR 2316 and
certificate of employment, classified and extracted field by field; and the child process
that keeps a bad file from hurting the worker."""

from __future__ import annotations

from datetime import date

import pytest

from sahod.datapoints.kinds import DataPointKind
from sahod.documents import DocumentFile, KnownPerson
from sahod.documents.analysis import ChildLimits, analyze, analyze_in_child
from sahod.documents.sandbox import documents_for, sandbox_personas
from sahod.sandbox.personas import PERSONAS_BY_KEY
from tests.documents.accuracy import Accuracy

TODAY = date(2026, 12, 1)


def _file(doc_name: str, fmt: str, data: bytes) -> DocumentFile:
    return DocumentFile(doc_name, fmt, data)  # type: ignore[arg-type]


def test_text_pdfs_of_every_persona_are_read_exactly() -> None:
    accuracy = Accuracy()
    for persona in sandbox_personas():
        person = KnownPerson(full_names=(persona.full_name,))
        for doc in documents_for(persona.key, TODAY):
            if doc.format != "PDF":
                continue
            outcome = analyze(
                [_file(doc.file_name, "PDF", doc.data())], person, declared_type=doc.file_type
            )
            label = f"{persona.key}/{doc.file_name}"
            assert outcome.status == "ANALYZED", (label, outcome.error_message)
            assert outcome.file_type == doc.file_type, label
            assert outcome.classification == {"fileType": doc.file_type}
            analysis = outcome.analysis or {}
            accuracy.compare(label, doc.file_type, analysis, doc.expected())
            assert outcome.extraction == {"fileType": doc.file_type, "analysis": analysis}
            validation = outcome.validation or {}
            assert validation["identity"]["resultCode"] == "PASSED", (label, validation)  # type: ignore[index]
            assert validation["metadata"]["resultCode"] == "PASSED", (label, validation)  # type: ignore[index]
            if doc.file_type == "PAYSLIP":
                assert validation["computation"]["resultCode"] == "PASSED", (label, validation)  # type: ignore[index]
    print(accuracy.table("text PDFs of the sandbox personas"))
    assert accuracy.total() == 1.0, accuracy.table("text PDFs")


def test_a_payslip_becomes_an_income_and_a_certificate_an_employment() -> None:
    persona = PERSONAS_BY_KEY["george"]
    docs = {d.file_name: d for d in documents_for("george", TODAY)}
    payslip = analyze(
        [_file("p.pdf", "PDF", docs["payslip.pdf"].data())], KnownPerson(), declared_type=""
    )
    (income,) = payslip.records
    assert income.kind is DataPointKind.INCOMES
    assert income.payload["startDate"] == "2026-11-01"
    assert income.payload["endDate"] == "2026-11-30"
    assert income.payload["frequency"] == "Monthly"
    assert income.payload["employer"] == "Accenture Inc."
    assert income.payload["grossAmount"] == docs["payslip.pdf"].expected()["grossAmount"]
    assert income.payload["netAmount"] == docs["payslip.pdf"].expected()["netAmount"]
    stint = persona.career[-1]
    assert income.payload["baseAmount"] == float(stint.salary_for(date(2026, 11, 1)))

    certificate = analyze(
        [_file("c.pdf", "PDF", docs["certificate-of-employment.pdf"].data())],
        KnownPerson(),
        declared_type="EMPLOYMENT_CERTIFICATE",
    )
    employments = [r for r in certificate.records if r.kind is DataPointKind.EMPLOYMENTS]
    (employment,) = employments
    assert employment.payload["employer"] == "Accenture Inc."
    assert employment.payload["jobTitle"] == "Senior Software Engineer"
    assert employment.payload["startDate"] == stint.start.isoformat()
    assert employment.payload["endDate"] is None
    # Identity without connected accounts cannot be checked: NO_DATA, not a pass.
    assert certificate.validation["identity"]["resultCode"] == "NO_DATA"  # type: ignore[index]


def test_someone_elses_payslip_fails_identity() -> None:
    doc = documents_for("george", TODAY)[0]
    outcome = analyze(
        [_file("p.pdf", "PDF", doc.data())],
        KnownPerson(full_names=("Christina Reyes Villanueva",)),
        declared_type="PAYSLIP",
    )
    assert outcome.validation["identity"]["resultCode"] == "FAILED"  # type: ignore[index]


async def test_the_child_returns_the_same_analysis() -> None:
    doc = documents_for("ryan", TODAY)[0]
    files = [_file("p.pdf", "PDF", doc.data())]
    person = KnownPerson(full_names=("SANTOS, RYAN M.",))
    in_child = await analyze_in_child(files, person, declared_type="PAYSLIP", timeout_seconds=60)
    assert in_child == analyze(files, person, declared_type="PAYSLIP")
    assert in_child.validation["identity"]["resultCode"] == "PASSED"  # type: ignore[index]


@pytest.mark.slow  # OCR: Tesseract, which `make test` installs and test-fast does not
async def test_a_child_over_its_time_is_killed_and_reported() -> None:
    # A photo: OCR takes seconds, where a warm child reads a text PDF within the limit.
    photo = next(d for d in documents_for("ryan", TODAY) if d.format == "JPEG")
    outcome = await analyze_in_child(
        [_file("p.jpg", "JPEG", photo.data())],
        KnownPerson(),
        declared_type="PAYSLIP",
        timeout_seconds=0.05,
    )
    assert outcome.status == "ERROR"
    assert outcome.error_code == "SYSTEM_ERROR"
    assert "longer than" in (outcome.error_message or "")


async def test_a_child_over_its_memory_ends_in_error_not_a_crash() -> None:
    doc = documents_for("ryan", TODAY)[0]
    outcome = await analyze_in_child(
        [_file("p.pdf", "PDF", doc.data())],
        KnownPerson(),
        declared_type="PAYSLIP",
        timeout_seconds=60,
        limits=ChildLimits(memory_bytes=64 * 1024 * 1024),
    )
    assert outcome.status == "ERROR"
    assert outcome.error_code == "SYSTEM_ERROR"
    assert outcome.error_message


@pytest.mark.parametrize(
    ("name", "fmt", "data"),
    [
        ("renamed.pdf", "PDF", b"%PDF-1.7\nthis is not really a pdf"),
        ("notes.pdf", "PDF", b"Dear HR, please find my payslip attached."),
        ("broken.png", "PNG", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40),
        ("blank.png", "PNG", None),
    ],
)
def test_unreadable_files_end_unsupported_with_a_reason(
    name: str, fmt: str, data: bytes | None
) -> None:
    if data is None:
        import io

        from PIL import Image

        buffer = io.BytesIO()
        Image.new("L", (400, 300), 255).save(buffer, format="PNG")
        data = buffer.getvalue()
    outcome = analyze([_file(name, fmt, data)], KnownPerson(), declared_type="PAYSLIP")
    assert outcome.status in ("UNSUPPORTED", "ERROR")
    assert outcome.error_code in (
        "SYSTEM_ERROR",
        "MISSING_MANDATORY_FIELD",
        "INVALID_FIELD_FORMAT",
    )
    assert outcome.error_message
    assert outcome.records == ()


def test_every_record_is_a_valid_item_of_its_kind() -> None:
    from sahod.datapoints.registry import SPECS

    kinds = set()
    for persona in sandbox_personas():
        for doc in documents_for(persona.key, TODAY):
            if doc.format != "PDF":
                continue
            outcome = analyze(
                [_file(doc.file_name, "PDF", doc.data())], KnownPerson(), declared_type=""
            )
            references = [r.reference for r in outcome.records]
            assert len(set(references)) == len(references)
            for record in outcome.records:
                # The same model the data points store and serve: extra or misnamed fields
                # are refused.
                SPECS[record.kind].payload_model.model_validate(record.payload)
                kinds.add(record.kind)
    assert kinds == {DataPointKind.INCOMES, DataPointKind.EMPLOYMENTS}


def test_a_child_killed_by_a_signal_is_named() -> None:
    import signal

    from sahod.documents.analysis import _death

    assert "CPU time" in _death(-int(signal.SIGXCPU))
    assert "crashed" in _death(-int(signal.SIGSEGV))
    assert "signal 77" in _death(-77)
    assert "died" in _death(1)
