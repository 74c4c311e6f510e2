"""Files are judged by their bytes: what is refused, and why, before anything is stored."""

from __future__ import annotations

import base64
import time

import pytest

from sahod.documents import MAX_FILE_BYTES, FileRefused
from sahod.documents.sniff import check_file, decode_base64
from tests.documents import hostile_files as files


def refusal(name: str, declared: str, data: bytes) -> str:
    with pytest.raises(FileRefused) as refused:
        check_file(name, declared, data)
    assert refused.value.file_name == name
    return refused.value.reason


@pytest.mark.parametrize(
    ("declared", "data", "expected"),
    [
        ("PDF", files.pdf(2), "PDF"),
        ("PNG", files.image("PNG"), "PNG"),
        ("JPEG", files.image("JPEG"), "JPEG"),
        ("JPG", files.image("JPEG"), "JPEG"),
        ("jpeg", files.image("JPEG"), "JPEG"),
        ("TIFF", files.image("TIFF"), "TIFF"),
    ],
)
def test_valid_files_pass_with_their_real_format(declared: str, data: bytes, expected: str) -> None:
    assert check_file("doc", declared, data) == expected


def test_a_png_claiming_ten_gigapixels_is_refused_unread() -> None:
    bomb = files.png_bomb()
    assert len(bomb) < 200_000  # small on the wire, gigabytes once inflated
    started = time.monotonic()
    reason = refusal("bomb.png", "PNG", bomb)
    assert "megapixels" in reason
    assert time.monotonic() - started < 1


def test_a_ten_thousand_page_pdf_is_refused_quickly() -> None:
    huge = files.pdf(10_000)
    started = time.monotonic()
    reason = refusal("pages.pdf", "PDF", huge)
    assert "more than 50 pages" in reason
    assert time.monotonic() - started < 2


def test_a_page_count_lie_is_still_caught() -> None:
    # The same document with a /Count of 1 and 60 pages: the pages themselves count.
    lying = files.pdf(60).replace(b"/Count 60", b"/Count 1 ")
    assert "pages" in refusal("lie.pdf", "PDF", lying)


def test_polyglots_are_refused() -> None:
    assert "polyglot" in refusal("both.png", "PNG", files.png_then_pdf())
    assert "polyglot" in refusal("gifar.jpg", "JPEG", files.jpeg_then_zip())


def test_data_after_the_end_of_a_png_is_refused() -> None:
    assert "after the end" in refusal("tail.png", "PNG", files.image("PNG") + b"<html>hi</html>")


def test_a_sixteen_megabyte_file_is_refused() -> None:
    big = files.pdf() + b"\x00" * (16 * 1024 * 1024)
    assert len(big) > MAX_FILE_BYTES
    assert "larger than 15 MB" in refusal("big.pdf", "PDF", big)


def test_a_truncated_jpeg_is_refused() -> None:
    assert "truncated JPEG" in refusal("cut.jpg", "JPEG", files.truncated_jpeg())


def test_a_text_file_renamed_pdf_is_refused() -> None:
    reason = refusal("notes.pdf", "PDF", b"Gross pay 30,000\nNet pay 25,000\n")
    assert reason == "is not a PDF file: its content is text"


def test_the_declared_format_must_match_the_bytes() -> None:
    reason = refusal("scan.pdf", "PDF", files.image("PNG"))
    assert reason == "is declared PDF but its content is PNG"
    assert "not one of" in refusal("scan.gif", "GIF", files.image("PNG"))


def test_encrypted_and_broken_pdfs_are_refused() -> None:
    assert "encrypted" in refusal("locked.pdf", "PDF", files.encrypted_pdf())
    broken = files.pdf().replace(b"xref", b"xxxx")
    assert "broken PDF" in refusal("broken.pdf", "PDF", broken)
    assert "truncated PDF" in refusal("half.pdf", "PDF", files.pdf()[:200])


def test_a_png_with_a_bad_crc_is_refused() -> None:
    data = bytearray(files.image("PNG"))
    data[40] ^= 0xFF
    assert "broken PNG" in refusal("bad.png", "PNG", bytes(data))


def test_bad_base64_is_refused_by_name() -> None:
    with pytest.raises(FileRefused) as refused:
        decode_base64("payslip.pdf", "not base64!!")
    assert refused.value.file_name == "payslip.pdf"
    assert "base64" in refused.value.reason
    assert decode_base64("a", base64.b64encode(b"%PDF-").decode()) == b"%PDF-"


def test_oversize_base64_is_refused_before_decoding() -> None:
    text = "A" * (4 * (MAX_FILE_BYTES // 3) + 8)
    with pytest.raises(FileRefused, match="larger than 15 MB"):
        decode_base64("big.pdf", text)
