"""Sandbox documents: for every sandbox persona, a payslip, a BIR Form 2316 and a certificate
of employment, each as a text PDF and as a photographed-looking JPEG, plus exactly what the
reader must extract from each.

The figures come from the persona's current job and the agencies' schedules
(``sahod.agencies.schedules``), the same ones the sandbox portals print, so a tenant that
uploads these documents for a persona sees incomes and employments that agree with what the
persona's connected accounts say. Nothing is random: the photo's tilt and noise are derived
from the persona and the document, so every process renders the same bytes.
"""

from __future__ import annotations

import io
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Any

from fpdf import FPDF
from PIL import Image, ImageFilter

from sahod.agencies.schedules import Agency, contribution_for
from sahod.documents import DocumentType, FileFormat
from sahod.sandbox.personas import (
    PERSONAS,
    PERSONAS_BY_KEY,
    Persona,
    Sector,
    Stint,
    add_months,
    digest_digits,
    first_of_month,
    month_end,
    shaped,
)

CENT = Decimal("0.01")
RICE_ALLOWANCE = Decimal(2000)
"""A de minimis benefit (BIR RR 11-2018: rice subsidy up to PHP 2,000 a month), so that
gross pay differs from basic pay the way it does on real payslips."""

PDF_PRODUCER = "Sahod sandbox documents"


def money(value: Decimal) -> str:
    return f"{value.quantize(CENT):,.2f}"


def long_date(day: date) -> str:
    return f"{day:%B} {day.day}, {day.year}"


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


# BIR withholding tax on compensation from 2023 on (TRAIN law, RA 10963, second table),
# as (over, base tax, rate on the excess). Monthly and annual forms.
_MONTHLY_TAX = (
    (Decimal(666667), Decimal("183541.80"), Decimal("0.35")),
    (Decimal(166667), Decimal("33541.80"), Decimal("0.30")),
    (Decimal(66667), Decimal("8541.80"), Decimal("0.25")),
    (Decimal(33333), Decimal("1875.00"), Decimal("0.20")),
    (Decimal(20833), Decimal(0), Decimal("0.15")),
)
_ANNUAL_TAX = (
    (Decimal(8000000), Decimal(2202500), Decimal("0.35")),
    (Decimal(2000000), Decimal(402500), Decimal("0.30")),
    (Decimal(800000), Decimal(102500), Decimal("0.25")),
    (Decimal(400000), Decimal(22500), Decimal("0.20")),
    (Decimal(250000), Decimal(0), Decimal("0.15")),
)


def _tax(taxable: Decimal, table: tuple[tuple[Decimal, Decimal, Decimal], ...]) -> Decimal:
    for over, base, rate in table:
        if taxable > over:
            return _cents(base + (taxable - over) * rate)
    return Decimal(0)


# ---------------------------------------------------------------------------------------
# The facts a document states
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PayslipFacts:
    employer: str
    employer_address: str
    employee_name: str
    employee_number: str
    position: str
    department: str | None
    period_start: date
    period_end: date
    pay_date: date
    basic_pay: Decimal
    allowance: Decimal
    pension_label: str
    """``SSS`` for private employees, ``GSIS`` for government ones."""
    pension: Decimal
    philhealth: Decimal
    pagibig: Decimal
    tax: Decimal
    ss_number: str | None
    gsis_number: str | None
    philhealth_number: str
    pagibig_number: str
    tin: str

    @property
    def gross(self) -> Decimal:
        return self.basic_pay + self.allowance

    @property
    def total_deductions(self) -> Decimal:
        return self.pension + self.philhealth + self.pagibig + self.tax

    @property
    def net(self) -> Decimal:
        return self.gross - self.total_deductions

    def expected(self) -> dict[str, object]:
        """The contract's ArchivePayslipAnalysis this payslip states."""
        return {
            "startDate": self.period_start.isoformat(),
            "endDate": self.period_end.isoformat(),
            "payDate": self.pay_date.isoformat(),
            "currency": "PHP",
            "grossAmount": float(self.gross),
            "netAmount": float(self.net),
            "employerName": self.employer,
            "employeeName": self.employee_name,
            "ssNumber": self.ss_number,
            "philHealthNumber": self.philhealth_number,
            "taxNumber": self.tin,
            "pagIbigNumber": self.pagibig_number,
        }


@dataclass(frozen=True)
class TaxCertificateFacts:
    """BIR Form 2316, Certificate of Compensation Payment / Tax Withheld."""

    year: int
    period_start: date
    period_end: date
    employee_name: str
    """As the form prints it: LAST NAME, FIRST NAME MIDDLE NAME."""
    tin: str
    employee_address: str
    birth_date: date
    employer: str
    employer_tin: str
    employer_address: str
    gross: Decimal
    non_taxable: Decimal
    tax_withheld: Decimal

    @property
    def taxable(self) -> Decimal:
        return self.gross - self.non_taxable

    @property
    def tax_due(self) -> Decimal:
        return _tax(self.taxable, _ANNUAL_TAX)

    def expected(self) -> dict[str, object]:
        return {
            "startDate": self.period_start.isoformat(),
            "endDate": self.period_end.isoformat(),
            "grossAmount": float(self.gross),
            "baseAmount": float(self.taxable),
            "employerName": self.employer,
            "employeeName": self.employee_name,
            "taxNumber": self.tin,
        }


@dataclass(frozen=True)
class CertificateFacts:
    employer: str
    employer_address: str
    title: str
    """Mr. / Ms."""
    first_name: str
    middle_name: str
    last_name: str
    suffix: str | None
    employee_number: str
    position: str
    department: str | None
    status: str
    start: date
    salary: Decimal
    purpose: str
    issued: date
    signatory: str
    signatory_position: str

    @property
    def full_name(self) -> str:
        name = f"{self.first_name} {self.middle_name} {self.last_name}"
        return f"{name}, {self.suffix}" if self.suffix else name

    def expected(self) -> dict[str, object]:
        out: dict[str, object] = {
            "employerName": self.employer,
            "fullName": self.full_name,
            "firstName": self.first_name,
            "middleName": self.middle_name,
            "lastName": self.last_name,
            "employeeIdNumber": self.employee_number,
            "employeeIdType": "Employee ID",
            "position": self.position,
            "employmentStatus": self.status,
            "startDate": self.start.isoformat(),
            "salaryAmount": float(self.salary),
            "salaryTerm": "Monthly",
            "currency": "PHP",
            "purpose": self.purpose,
            "issueDate": self.issued.isoformat(),
            "signatoryName": self.signatory,
            "signatoryPosition": self.signatory_position,
        }
        if self.department:
            out["department"] = self.department
        return out


def current_stint(persona: Persona) -> Stint:
    """The persona's job: the employment without an end (not a voluntary membership)."""
    for stint in reversed(persona.career):
        if stint.end is None and stint.employer is not None and stint.sector != Sector.VOLUNTARY:
            return stint
    raise LookupError(f"{persona.key} has no current employer")


def tin_of(persona: Persona) -> str:
    return shaped(digest_digits("tin", persona.key, length=9), (3, 3, 3)) + "-000"


def employer_tin(stint: Stint) -> str:
    code = stint.employer.code if stint.employer else "self"
    return shaped(digest_digits("employer-tin", code, length=9), (3, 3, 3)) + "-000"


def _employee_shares(stint: Stint, month: date, basic: Decimal) -> tuple[Decimal, ...]:
    pension_agency = Agency.GSIS if stint.sector == Sector.GOVERNMENT else Agency.SSS
    return tuple(
        contribution_for(agency, month, basic).employee
        for agency in (pension_agency, Agency.PHILHEALTH, Agency.PAGIBIG)
    )


def payslip_facts(persona: Persona, month: date) -> PayslipFacts:
    """A monthly payslip for ``month`` from the persona's current employer."""
    month = first_of_month(month)
    stint = current_stint(persona)
    assert stint.employer is not None
    basic = stint.salary_for(month)
    pension, philhealth, pagibig = _employee_shares(stint, month, basic)
    taxable = basic - pension - philhealth - pagibig
    government = stint.sector == Sector.GOVERNMENT
    return PayslipFacts(
        employer=stint.employer.name,
        employer_address=f"{stint.employer.city}, Metro Manila"
        if "Cebu" not in stint.employer.city
        else stint.employer.city,
        employee_name=persona.full_name,
        employee_number=stint.employee_number(persona.key),
        position=stint.job_title,
        department=stint.department,
        period_start=month,
        period_end=month_end(month),
        pay_date=month_end(month),
        basic_pay=basic,
        allowance=RICE_ALLOWANCE,
        pension_label="GSIS" if government else "SSS",
        pension=pension,
        philhealth=philhealth,
        pagibig=pagibig,
        tax=_tax(taxable, _MONTHLY_TAX),
        ss_number=None if government else persona.member_number(Agency.SSS),
        gsis_number=persona.member_number(Agency.GSIS) if government else None,
        philhealth_number=persona.member_number(Agency.PHILHEALTH),
        pagibig_number=persona.member_number(Agency.PAGIBIG),
        tin=tin_of(persona),
    )


def tax_certificate_facts(persona: Persona, year: int) -> TaxCertificateFacts:
    """The persona's BIR 2316 from their current employer for calendar ``year``."""
    stint = current_stint(persona)
    assert stint.employer is not None
    start = max(date(year, 1, 1), stint.start)
    months = [m for m in stint.months(date(year, 12, 31)) if m.year == year]
    gross = Decimal(0)
    non_taxable = Decimal(0)
    withheld = Decimal(0)
    basics = Decimal(0)
    for month in months:
        basic = stint.salary_for(month)
        shares = _employee_shares(stint, month, basic)
        gross += basic + RICE_ALLOWANCE
        basics += basic
        non_taxable += RICE_ALLOWANCE + sum(shares, Decimal(0))
        withheld += _tax(basic - sum(shares, Decimal(0)), _MONTHLY_TAX)
    # The 13th month pay (PD 851: a twelfth of the year's basic pay) is exempt up to
    # PHP 90,000 (RA 10963).
    thirteenth = _cents(basics / 12)
    gross += thirteenth
    non_taxable += min(thirteenth, Decimal(90000))
    a = persona.address
    return TaxCertificateFacts(
        year=year,
        period_start=start,
        period_end=date(year, 12, 31),
        employee_name=f"{persona.last_name.upper()}, {persona.first_name.upper()} "
        f"{persona.middle_name.upper()}" + (f" {persona.suffix.upper()}" if persona.suffix else ""),
        tin=tin_of(persona),
        employee_address=f"{a.line1}, {a.line2}, {a.city}",
        birth_date=persona.born,
        employer=stint.employer.name,
        employer_tin=employer_tin(stint),
        employer_address=stint.employer.city,
        gross=_cents(gross),
        non_taxable=_cents(non_taxable),
        tax_withheld=withheld,
    )


_SIGNATORIES = (
    ("Maricel D. Ramos", "HR Manager"),
    ("Jose Antonio L. Reyes", "Human Resources Director"),
    ("Carmela S. Villanueva", "Head, Human Resource Management Office"),
)


def certificate_facts(persona: Persona, issued: date) -> CertificateFacts:
    stint = current_stint(persona)
    assert stint.employer is not None
    signatory, signatory_position = _SIGNATORIES[
        int(digest_digits("signatory", stint.employer.code, length=4)) % len(_SIGNATORIES)
    ]
    return CertificateFacts(
        employer=stint.employer.name,
        employer_address=stint.employer.city,
        title="Mr." if persona.gender == "Male" else "Ms.",
        first_name=persona.first_name,
        middle_name=persona.middle_name,
        last_name=persona.last_name,
        suffix=persona.suffix,
        employee_number=stint.employee_number(persona.key),
        position=stint.job_title,
        department=stint.department,
        status=stint.status,
        start=stint.start,
        salary=stint.salary_for(first_of_month(issued)),
        purpose="loan application",
        issued=issued,
        signatory=signatory,
        signatory_position=signatory_position,
    )


# ---------------------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------------------


def _pdf(title: str) -> FPDF:
    pdf = FPDF(format="A4")
    pdf.set_title(title)
    pdf.set_producer(PDF_PRODUCER)
    pdf.set_creator(PDF_PRODUCER)
    # A fixed creation date: the same facts always give the same bytes.
    pdf.set_creation_date(datetime(2026, 1, 1, tzinfo=UTC))
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    return pdf


def _letterhead(title: str, employer: str, address: str) -> FPDF:
    """A page headed by the employer's name and address, centred, as employers issue
    payslips and certificates."""
    pdf = _pdf(title)
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(0, 8, employer, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    pdf.cell(0, 6, address, align="C", new_x="LMARGIN", new_y="NEXT")
    return pdf


def _row(pdf: FPDF, label: str, value: str, *, width: float = 60, size: float = 10) -> None:
    pdf.set_font("Helvetica", "", size)
    pdf.cell(width, 6, f"{label}:")
    pdf.set_font("Helvetica", "B", size)
    pdf.cell(0, 6, value, new_x="LMARGIN", new_y="NEXT")


def _amount_row(pdf: FPDF, label: str, amount: Decimal, *, bold: bool = False) -> None:
    pdf.set_font("Helvetica", "B" if bold else "", 10)
    pdf.cell(110, 6, label)
    pdf.cell(50, 6, money(amount), align="R", new_x="LMARGIN", new_y="NEXT")


def render_payslip(facts: PayslipFacts) -> bytes:
    pdf = _letterhead("Payslip", facts.employer, facts.employer_address)
    pdf.set_font("Helvetica", "B", 13)
    pdf.cell(0, 10, "PAYSLIP", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    _row(pdf, "Employee Name", facts.employee_name)
    _row(pdf, "Employee No.", facts.employee_number)
    _row(pdf, "Position", facts.position)
    if facts.department:
        _row(pdf, "Department", facts.department)
    _row(
        pdf,
        "Pay Period",
        f"{facts.period_start:%m/%d/%Y} - {facts.period_end:%m/%d/%Y}",
    )
    _row(pdf, "Pay Date", f"{facts.pay_date:%m/%d/%Y}")
    if facts.ss_number:
        _row(pdf, "SSS No.", facts.ss_number)
    if facts.gsis_number:
        _row(pdf, "GSIS BP No.", facts.gsis_number)
    _row(pdf, "PhilHealth No.", facts.philhealth_number)
    _row(pdf, "Pag-IBIG MID No.", facts.pagibig_number)
    _row(pdf, "TIN", facts.tin)
    pdf.ln(4)
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(0, 7, "EARNINGS", new_x="LMARGIN", new_y="NEXT")
    _amount_row(pdf, "Basic Pay", facts.basic_pay)
    _amount_row(pdf, "Rice Allowance", facts.allowance)
    _amount_row(pdf, "Gross Pay", facts.gross, bold=True)
    pdf.ln(2)
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(0, 7, "DEDUCTIONS", new_x="LMARGIN", new_y="NEXT")
    pension = "SSS Contribution" if facts.pension_label == "SSS" else "GSIS Premium"
    _amount_row(pdf, pension, facts.pension)
    _amount_row(pdf, "PhilHealth Contribution", facts.philhealth)
    _amount_row(pdf, "Pag-IBIG Contribution", facts.pagibig)
    _amount_row(pdf, "Withholding Tax", facts.tax)
    _amount_row(pdf, "Total Deductions", facts.total_deductions, bold=True)
    pdf.ln(4)
    pdf.set_font("Helvetica", "B", 12)
    pdf.cell(110, 8, "NET PAY")
    pdf.cell(50, 8, money(facts.net), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font("Helvetica", "I", 8)
    pdf.cell(0, 5, "This is a system-generated payslip.", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def render_tax_certificate(facts: TaxCertificateFacts) -> bytes:
    pdf = _pdf("BIR Form 2316")
    pdf.set_font("Helvetica", "", 9)
    pdf.cell(0, 5, "Republic of the Philippines", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 5, "Department of Finance", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 5, "Bureau of Internal Revenue", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "B", 12)
    pdf.cell(0, 7, "BIR Form No. 2316", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(
        0,
        7,
        "Certificate of Compensation Payment / Tax Withheld",
        align="C",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_font("Helvetica", "", 9)
    pdf.cell(
        0,
        5,
        "For Compensation Payment With or Without Tax Withheld",
        align="C",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(3)
    _row(pdf, "1 For the Year", str(facts.year), width=75)
    _row(
        pdf,
        "2 For the Period",
        f"From {facts.period_start:%m/%d/%Y} To {facts.period_end:%m/%d/%Y}",
        width=75,
    )
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(0, 7, "Part I - Employee Information", new_x="LMARGIN", new_y="NEXT")
    _row(pdf, "3 TIN", facts.tin, width=75)
    _row(pdf, "4 Employee's Name", facts.employee_name, width=75)
    _row(pdf, "6 Registered Address", facts.employee_address, width=75)
    _row(pdf, "7 Date of Birth", f"{facts.birth_date:%m/%d/%Y}", width=75)
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(0, 7, "Part II - Employer Information (Present)", new_x="LMARGIN", new_y="NEXT")
    _row(pdf, "12 Employer TIN", facts.employer_tin, width=75)
    _row(pdf, "13 Employer's Name", facts.employer, width=75)
    _row(pdf, "14 Registered Address", facts.employer_address, width=75)
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(0, 7, "Part IV-A - Summary", new_x="LMARGIN", new_y="NEXT")
    _amount_row(pdf, "19 Gross Compensation Income from Present Employer", facts.gross)
    _amount_row(pdf, "20 Less: Total Non-Taxable/Exempt Compensation", facts.non_taxable)
    _amount_row(pdf, "21 Taxable Compensation Income from Present Employer", facts.taxable)
    _amount_row(pdf, "24 Tax Due", facts.tax_due)
    _amount_row(pdf, "25A Taxes Withheld by Present Employer", facts.tax_withheld)
    pdf.ln(6)
    pdf.set_font("Helvetica", "I", 8)
    pdf.multi_cell(
        0,
        4,
        "I declare, under the penalties of perjury, that the information herein stated "
        "are reported under BIR Form No. 1604-C which have been filed with the Bureau of "
        "Internal Revenue.",
    )
    return bytes(pdf.output())


def _ordinal(day: int) -> str:
    suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def render_certificate(facts: CertificateFacts) -> bytes:
    pdf = _letterhead("Certificate of Employment", facts.employer, facts.employer_address)
    pdf.ln(8)
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(0, 10, "CERTIFICATE OF EMPLOYMENT", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font("Helvetica", "", 11)
    pronoun = "He" if facts.title == "Mr." else "She"
    department = f" in the {facts.department} department" if facts.department else ""
    pdf.multi_cell(
        0,
        7,
        f"This is to certify that {facts.title} {facts.full_name}, with Employee ID No. "
        f"{facts.employee_number}, has been employed with {facts.employer} as "
        f"{facts.position}{department} since {long_date(facts.start)} up to the present.",
    )
    pdf.ln(3)
    pdf.multi_cell(
        0,
        7,
        f"{pronoun} is a {facts.status} employee and receives a monthly basic salary of "
        f"PHP {money(facts.salary)}.",
    )
    pdf.ln(3)
    pdf.multi_cell(
        0,
        7,
        f"This certification is issued upon the request of {facts.title} {facts.last_name} "
        f"for {facts.purpose} purposes, this {_ordinal(facts.issued.day)} day of "
        f"{facts.issued:%B} {facts.issued.year} at {facts.employer_address}, Philippines.",
    )
    pdf.ln(16)
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(0, 6, facts.signatory, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 11)
    pdf.cell(0, 6, facts.signatory_position, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def render_pdf_page(pdf: bytes, *, dpi: int = 150, page: int = 0) -> Image.Image:
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    try:
        bitmap = document[page].render(scale=dpi / 72)
        image: Image.Image = bitmap.to_pil().convert("RGB")
    finally:
        document.close()
    return image


def photograph(page: Image.Image, *, seed: str, tilt: float | None = None) -> bytes:
    """A phone photo of a printed page: on a desk, tilted, unevenly lit, soft, noisy, JPEG."""
    rng = random.Random(seed)  # noqa: S311 -- a picture's tilt, not a secret
    angle = tilt if tilt is not None else rng.uniform(1.5, 3.5) * rng.choice((-1, 1))
    width, height = page.size
    # Perspective: the far edge of the sheet looks a little narrower than the near one.
    inset = width * rng.uniform(0.015, 0.03)
    sheet = page.transform(
        page.size,
        Image.Transform.QUAD,
        (-inset, 0, 0, height, width, height, width + inset, 0),
        resample=Image.Resampling.BICUBIC,
        fillcolor=(250, 250, 248),
    )
    margin = int(width * 0.06)
    desk = Image.new("RGB", (width + 2 * margin, height + 2 * margin), (92, 74, 58))
    desk.paste(sheet, (margin, margin))
    desk = desk.rotate(
        angle, resample=Image.Resampling.BICUBIC, expand=False, fillcolor=(92, 74, 58)
    )
    # Uneven light: a gradient from a brighter corner to a dimmer one.
    # Rotated at twice the size and cropped, so that no hard corner of the gradient shows.
    big = Image.linear_gradient("L").resize((desk.width * 2, desk.height * 2))
    big = big.rotate(rng.uniform(20, 70), resample=Image.Resampling.BILINEAR)
    light = big.crop(
        (
            desk.width // 2,
            desk.height // 2,
            desk.width // 2 + desk.width,
            desk.height // 2 + desk.height,
        )
    )
    shade = Image.new("RGB", desk.size, (30, 28, 24))
    desk = Image.composite(shade, desk, light.point(lambda v: int(v * 0.35)))
    desk = desk.filter(ImageFilter.GaussianBlur(radius=0.7))
    # Seeded noise (Pillow's effect_noise draws from C's rand(), different in every process).
    grain = rng.randbytes(desk.width * desk.height)
    noise = Image.frombytes("L", desk.size, grain).convert("RGB")
    desk = Image.blend(desk, noise, 0.06)
    out = io.BytesIO()
    desk.save(out, format="JPEG", quality=82)
    return out.getvalue()


# ---------------------------------------------------------------------------------------
# The catalogue
# ---------------------------------------------------------------------------------------

KINDS: tuple[tuple[str, DocumentType], ...] = (
    ("payslip", "PAYSLIP"),
    ("bir-2316", "TAX_DOCUMENT"),
    ("certificate-of-employment", "EMPLOYMENT_CERTIFICATE"),
)


@dataclass(frozen=True)
class SandboxDocument:
    persona: str
    stem: str
    """``payslip``, ``bir-2316`` or ``certificate-of-employment``."""
    file_type: DocumentType
    format: FileFormat
    today: date

    @property
    def file_name(self) -> str:
        return f"{self.stem}.{'pdf' if self.format == 'PDF' else 'jpg'}"

    @property
    def media_type(self) -> str:
        return "application/pdf" if self.format == "PDF" else "image/jpeg"

    def expected(self) -> dict[str, object]:
        """The contract's analysis for this document, exactly as the reader must find it."""
        analysis = {k: v for k, v in _facts(self).expected().items() if v is not None}
        return analysis

    def data(self) -> bytes:
        return _render(self.persona, self.stem, self.format, self.today)


def document_dates(today: date) -> tuple[date, int, date]:
    """(payslip month, 2316 year, certificate issue date) for documents made ``today``: the
    last complete month, the last complete year, and today."""
    return add_months(first_of_month(today), -1), today.year - 1, today


def _facts(doc: SandboxDocument) -> PayslipFacts | TaxCertificateFacts | CertificateFacts:
    persona = PERSONAS_BY_KEY[doc.persona]
    month, year, issued = document_dates(doc.today)
    if doc.stem == "payslip":
        return payslip_facts(persona, month)
    if doc.stem == "bir-2316":
        return tax_certificate_facts(persona, year)
    return certificate_facts(persona, issued)


@lru_cache(maxsize=64)
def _render(persona: str, stem: str, file_format: FileFormat, today: date) -> bytes:
    doc = SandboxDocument(persona, stem, dict(KINDS)[stem], "PDF", today)
    facts = _facts(doc)
    if isinstance(facts, PayslipFacts):
        pdf = render_payslip(facts)
    elif isinstance(facts, TaxCertificateFacts):
        pdf = render_tax_certificate(facts)
    else:
        pdf = render_certificate(facts)
    if file_format == "PDF":
        return pdf
    return photograph(render_pdf_page(pdf, dpi=150), seed=f"{persona}|{stem}|{today}")


def sandbox_personas() -> tuple[Persona, ...]:
    """The personas with a current employer (all of them today)."""
    out = []
    for persona in PERSONAS:
        try:
            current_stint(persona)
        except LookupError:
            continue
        out.append(persona)
    return tuple(out)


_FORMATS: tuple[FileFormat, ...] = ("PDF", "JPEG")


def documents_for(persona: str, today: date) -> Sequence[SandboxDocument]:
    return tuple(
        SandboxDocument(persona, stem, file_type, file_format, today)
        for stem, file_type in KINDS
        for file_format in _FORMATS
    )


def find_document(persona: str, file_name: str, today: date) -> SandboxDocument | None:
    if persona not in PERSONAS_BY_KEY:
        return None
    for doc in documents_for(persona, today):
        if doc.file_name == file_name:
            return doc
    return None


__all__ = [
    "CertificateFacts",
    "PayslipFacts",
    "SandboxDocument",
    "TaxCertificateFacts",
    "certificate_facts",
    "document_dates",
    "documents_for",
    "find_document",
    "payslip_facts",
    "photograph",
    "render_certificate",
    "render_payslip",
    "render_tax_certificate",
    "sandbox_personas",
    "tax_certificate_facts",
]


def document_index(today: date, url_prefix: str) -> list[dict[str, Any]]:
    """Every persona's documents as ``GET /sandbox/documents`` lists them, each with the
    extraction an archive of it must come to."""
    return [
        {
            "persona": persona.key,
            "fullName": persona.full_name,
            "email": persona.email,
            "fileType": doc.file_type,
            "format": doc.format,
            "fileName": doc.file_name,
            "contentType": doc.media_type,
            "url": f"{url_prefix}/{persona.key}/{doc.file_name}",
            "expectedExtraction": {"fileType": doc.file_type, "analysis": doc.expected()},
        }
        for persona in sandbox_personas()
        for doc in documents_for(persona.key, today)
    ]
