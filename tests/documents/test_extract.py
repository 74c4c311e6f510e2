"""The extractor's readings of the ways documents write dates, money and names, including
what OCR does to them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from sahod.documents.classify import classify
from sahod.documents.extract import dates_in, parse_amount, period_in, read_payslip, split_name


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("11/30/2026", [date(2026, 11, 30)]),
        ("2026-11-01 to 2026-11-15", [date(2026, 11, 1), date(2026, 11, 15)]),
        ("since September 1, 2021", [date(2021, 9, 1)]),
        ("Sept. 1, 2021", [date(2021, 9, 1)]),
        ("this 1st day of December 2026", [date(2026, 12, 1)]),
        ("12 Jan 2025", [date(2025, 1, 12)]),
        # OCR read the serif 1 of "11" as a 4: impossible as read, repaired.
        ("41/01/2026 - 11/30/2026", [date(2026, 11, 1), date(2026, 11, 30)]),
        ("02/30/2026", []),
        # ... or dropped a separator.
        ("1101/2026 - 11/30/2026", [date(2026, 11, 1), date(2026, 11, 30)]),
    ],
)
def test_dates(text: str, expected: list[date]) -> None:
    assert dates_in(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("November 1-15, 2026", (date(2026, 11, 1), date(2026, 11, 15))),
        ("Nov 16 - Nov 30, 2026", (date(2026, 11, 16), date(2026, 11, 30))),
        ("Dec 26 to Jan 10, 2026", (date(2026, 12, 26), date(2026, 1, 10))),
        ("11/01/2026 - 11/30/2026", (date(2026, 11, 1), date(2026, 11, 30))),
    ],
)
def test_periods(text: str, expected: tuple[date, date]) -> None:
    assert period_in(text) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("81,350.00", Decimal("81350.00")),
        ("81.350,00", Decimal("81350.00")),
        ("81 350.00", Decimal("81350.00")),
        ("1,234,567.89", Decimal("1234567.89")),
        ("200.00", Decimal("200.00")),
        ("5", None),
    ],
)
def test_amounts(raw: str, expected: Decimal | None) -> None:
    assert parse_amount(raw) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("George Cimafranca Palomero, Jr", ("George", "Cimafranca", "Palomero")),
        ("PALOMERO, GEORGE CIMAFRANCA JR", ("GEORGE", "CIMAFRANCA", "PALOMERO")),
        ("Maria Clara L. Ibarra", ("Maria Clara", "L.", "Ibarra")),
        ("DELA PAZ, ANA MARIE SORIANO", ("ANA MARIE", "SORIANO", "DELA PAZ")),
        ("Juan Santos", ("Juan", None, "Santos")),
    ],
)
def test_names(name: str, expected: tuple[str | None, ...]) -> None:
    assert split_name(name) == expected


def test_a_value_stops_at_the_next_column_label() -> None:
    text = "Name: SANTOS, JUAN D. Pay Date: November 15, 2026\nGross Pay 1,000.00 Net Pay 900.00"
    reading = read_payslip(text)
    assert reading.analysis["employeeName"] == "SANTOS, JUAN D."
    assert reading.analysis["payDate"] == "2026-11-15"
    assert reading.gross == Decimal("1000.00")
    assert reading.net == Decimal("900.00")


def test_an_id_number_is_not_an_amount() -> None:
    reading = read_payslip("SSS No.: 33-0000000-8\nSSS Contribution 1,750.00\nNet Pay 5.00")
    assert reading.analysis["ssNumber"] == "33-0000000-8"
    assert reading.deductions["SSS"] == Decimal("1750.00")


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("ACME CORP\nPAYSLIP\nGross Pay 1.00\nNet Pay 1.00", "PAYSLIP"),
        ("BIR Form No. 2316 Certificate of Compensation Payment / Tax Withheld", "TAX_DOCUMENT"),
        ("CERTIFICATE OF EMPLOYMENT\nThis is to certify that", "EMPLOYMENT_CERTIFICATE"),
        ("NATIONAL BUREAU OF INVESTIGATION\nNBI CLEARANCE", "CLEARANCE_NBI"),
        ("Meralco billing statement, amount due 2,345.00", "OTHERS"),
        ("", "OTHERS"),
    ],
)
def test_classification_by_content(text: str, kind: str) -> None:
    assert classify(text) == kind
