"""Documents the tests make themselves, in layouts the sandbox does not use: other labels,
columns side by side, semi-monthly cut-offs, scans and photos taken the wrong way up.

Each maker returns the PDF and the analysis the document states (what a reader must find).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from fpdf import FPDF
from PIL import Image, ImageFilter

from sahod.agencies.schedules import Agency, contribution_for


def _money(value: Decimal) -> str:
    return f"{value:,.2f}"


@dataclass(frozen=True)
class Made:
    pdf: bytes
    expected: dict[str, object]


def _pdf(producer: str = "Payroll Pro 7.2") -> FPDF:
    pdf = FPDF(format="Letter")
    pdf.set_producer(producer)
    pdf.set_creator(producer)
    pdf.add_page()
    return pdf


def semimonthly_two_column_payslip(
    *, sss_override: Decimal | None = None, net_off_by: Decimal = Decimal(0)
) -> Made:
    """A fast-food chain's cut-off payslip: details side by side, earnings and deductions in
    two columns, labels other than the sandbox's (Gross Earnings, PHIC, HDMF, W/Tax)."""
    month = date(2026, 11, 1)
    basic = Decimal("15000.00")  # half of a 30,000 monthly salary
    overtime, night = Decimal("1250.00"), Decimal("480.50")
    gross = basic + overtime + night
    sss = contribution_for(Agency.SSS, month, basic * 2).employee / 2
    phic = contribution_for(Agency.PHILHEALTH, month, basic * 2).employee / 2
    hdmf = contribution_for(Agency.PAGIBIG, month, basic * 2).employee / 2
    if sss_override is not None:
        sss = sss_override
    tax = Decimal("612.40")
    total = sss + phic + hdmf + tax
    net = gross - total + net_off_by
    pdf = _pdf()
    pdf.set_font("Courier", "B", 13)
    pdf.cell(0, 7, "GOLDEN BEE FOODS CORPORATION", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Courier", "", 10)
    pdf.cell(0, 5, "10/F Tower One, Ortigas Center, Pasig City", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 6, "PAY SLIP", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    rows = (
        ("Name: SANTOS, JUAN D.", "Pay Date: November 15, 2026"),
        ("Employee ID: 0012345", "Period Covered: November 1-15, 2026"),
        ("SSS No: 34-5678901-2", "PhilHealth No: 12-345678901-2"),
        ("Pag-IBIG No: 1212-3434-5656", "TIN: 321-654-987-000"),
    )
    for left, right in rows:
        pdf.cell(95, 6, left)
        pdf.cell(0, 6, right, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font("Courier", "B", 10)
    pdf.cell(60, 6, "EARNINGS")
    pdf.cell(35, 6, "AMOUNT", align="R")
    pdf.cell(60, 6, "  DEDUCTIONS")
    pdf.cell(35, 6, "AMOUNT", align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Courier", "", 10)
    table = (
        ("Basic Salary", basic, "SSS Premium", sss),
        ("Overtime", overtime, "PHIC", phic),
        ("Night Differential", night, "HDMF", hdmf),
        (None, None, "W/Tax", tax),
        ("Gross Earnings", gross, "Total Deductions", total),
    )
    for earning, amount, deduction, deducted in table:
        pdf.cell(60, 6, earning or "")
        pdf.cell(35, 6, _money(amount) if amount is not None else "", align="R")
        pdf.cell(60, 6, f"  {deduction}")
        pdf.cell(35, 6, _money(deducted), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("Courier", "B", 12)
    pdf.cell(0, 8, f"TAKE HOME PAY: PHP {_money(net)}", new_x="LMARGIN", new_y="NEXT")
    return Made(
        bytes(pdf.output()),
        {
            "startDate": "2026-11-01",
            "endDate": "2026-11-15",
            "payDate": "2026-11-15",
            "currency": "PHP",
            "grossAmount": float(gross),
            "netAmount": float(net),
            "employerName": "GOLDEN BEE FOODS CORPORATION",
            "employeeName": "SANTOS, JUAN D.",
            "ssNumber": "34-5678901-2",
            "philHealthNumber": "12-345678901-2",
            "taxNumber": "321-654-987-000",
            "pagIbigNumber": "1212-3434-5656",
        },
    )


def leader_payslip(*, producer: str = "SAP NetWeaver") -> Made:
    """A bank's monthly payslip: labelled employer, ISO dates, dot leaders, a loan among the
    deductions, and "Net Amount" for the net."""
    month = date(2026, 10, 1)
    basic = Decimal("52500.00")
    allowance = Decimal("3000.00")
    gross = basic + allowance
    sss = contribution_for(Agency.SSS, month, basic).employee
    phic = contribution_for(Agency.PHILHEALTH, month, basic).employee
    hdmf = contribution_for(Agency.PAGIBIG, month, basic).employee
    loan = Decimal("1234.56")
    tax = Decimal("6101.25")
    total = sss + phic + hdmf + loan + tax
    net = gross - total
    pdf = _pdf(producer)
    pdf.set_font("Times", "B", 16)
    pdf.cell(0, 9, "Statement of Earnings", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Times", "", 11)
    details = (
        ("Employer", "Pacific Harbor Bank, Inc."),
        ("Employee Name", "Maria Clara L. Ibarra"),
        ("Payroll Period", "2026-10-01 to 2026-10-31"),
        ("Date Paid", "2026-10-30"),
        ("SSS Number", "07-1234567-8"),
        ("PhilHealth Number", "01-234567890-1"),
        ("HDMF No", "9876-5432-1098"),
        ("Tax Identification Number", "111-222-333-00000"),
    )
    for label, value in details:
        pdf.cell(70, 6, label)
        pdf.cell(0, 6, f": {value}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)

    def leader(label: str, amount: Decimal) -> None:
        dots = "." * max(3, 60 - len(label))
        pdf.cell(0, 6, f"{label} {dots} {_money(amount)}", new_x="LMARGIN", new_y="NEXT")

    leader("Basic Salary", basic)
    leader("Transportation Allowance", allowance)
    leader("Total Earnings", gross)
    leader("SSS Contribution", sss)
    leader("PhilHealth Contribution", phic)
    leader("Pag-IBIG Contribution", hdmf)
    leader("Salary Loan Amortization", loan)
    leader("Withholding Tax", tax)
    leader("Total Deductions", total)
    pdf.set_font("Times", "B", 12)
    leader("Net Amount", net)
    return Made(
        bytes(pdf.output()),
        {
            "startDate": "2026-10-01",
            "endDate": "2026-10-31",
            "payDate": "2026-10-30",
            "currency": "PHP",
            "grossAmount": float(gross),
            "netAmount": float(net),
            "employerName": "Pacific Harbor Bank, Inc.",
            "employeeName": "Maria Clara L. Ibarra",
            "ssNumber": "07-1234567-8",
            "philHealthNumber": "01-234567890-1",
            "taxNumber": "111-222-333-00000",
            "pagIbigNumber": "9876-5432-1098",
        },
    )


def nbi_clearance() -> Made:
    pdf = _pdf("NBI Clearance System")
    pdf.set_font("Helvetica", "B", 12)
    pdf.cell(0, 7, "Republic of the Philippines", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 7, "NATIONAL BUREAU OF INVESTIGATION", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 9, "NBI CLEARANCE", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 11)
    for label, value in (
        ("NBI ID No", "B12345678-A9C8D7"),
        ("Name", "DELA PAZ, ANA MARIE SORIANO"),
        ("Address", "12 Kalaw Street, Ermita, Manila"),
        ("Date of Birth", "March 3, 1991"),
        ("Sex", "Female"),
        ("Civil Status", "Married"),
        ("Citizenship", "Filipino"),
        ("Remarks", "No Derogatory Record"),
        ("Valid Until", "June 30, 2027"),
    ):
        pdf.cell(50, 7, f"{label}:")
        pdf.cell(0, 7, value, new_x="LMARGIN", new_y="NEXT")
    return Made(
        bytes(pdf.output()),
        {
            "expireDate": "2027-06-30",
            "dateOfBirth": "1991-03-03",
            "firstName": "ANA MARIE",
            "middleName": "SORIANO",
            "lastName": "DELA PAZ",
            "nbiIdNumber": "B12345678-A9C8D7",
            "address": "12 Kalaw Street, Ermita, Manila",
            "maritalStatus": "Married",
            "gender": "Female",
            "citizenship": "Filipino",
            "remark": "No Derogatory Record",
        },
    )


def render(pdf: bytes, *, dpi: int) -> Image.Image:
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    try:
        image: Image.Image = document[0].render(scale=dpi / 72).to_pil().convert("RGB")
    finally:
        document.close()
    return image


def low_resolution_scan(pdf: bytes) -> bytes:
    """A flatbed scan at 100 dpi in grayscale, a little soft, saved as PNG."""
    image = render(pdf, dpi=100).convert("L").filter(ImageFilter.GaussianBlur(0.5))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def scanned_pdf(pdf: bytes) -> bytes:
    """The page as an image inside a PDF, without a text layer (what scanners produce)."""
    image = render(pdf, dpi=150).convert("L")
    out = io.BytesIO()
    image.save(out, format="PDF", resolution=150)
    return out.getvalue()


def turned(jpeg_or_png: bytes, degrees: int) -> bytes:
    """The same photo, taken with the phone turned (no EXIF orientation to undo it)."""
    image = Image.open(io.BytesIO(jpeg_or_png)).convert("RGB").rotate(degrees, expand=True)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85)
    return out.getvalue()
