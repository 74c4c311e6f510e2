"""The contract's analysis fields out of a document's text, and the data points they imply.

Payslips, 2316s and NBI clearances are forms: a label, then its value, on one line or the
next, sometimes with other columns on the same line. Each field has the labels employers
and agencies print for it; a value ends where the next known label starts. Certificates of
employment are prose ("This is to certify that ... has been employed with ... as ...
since ..."), read with patterns, with labelled fields as the fallback.

OCR text is noisy, so numbers are read leniently (``81.350,00`` and ``81 350.00`` are
``81350.00``) and identifiers by their shape (an SS number is 2-7-1 digits).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import cached_property

from sahod.datapoints.kinds import DataPointKind
from sahod.datapoints.records import FetchedRecord
from sahod.documents import DocumentType

# ---------------------------------------------------------------------------------------
# Reading values
# ---------------------------------------------------------------------------------------

_MONTHS = {
    name: index
    for index, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))

DATE_PATTERN = re.compile(
    r"(?P<iso>\b(?P<iy>\d{4})-(?P<im>\d{1,2})-(?P<id>\d{1,2})\b)"
    r"|(?P<num>\b(?P<nm>\d{1,2})\s?[/.-]\s?(?P<nd>\d{1,2})\s?[/.-]\s?(?P<ny>\d{4})\b)"
    # OCR drops the first separator of a numeric date now and then ("1101/2026").
    r"|(?P<glued>\b(?P<gm>\d{2})(?P<gd>\d{2})[/.-](?P<gy>\d{4})\b)"
    rf"|(?P<mdy>\b(?P<mm>{_MONTH_RE})\.?\s+(?P<md>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<my>\d{{4}})\b)"
    rf"|(?P<dmy>\b(?P<dd>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:day\s+of\s+)?(?P<dm>{_MONTH_RE})\.?,?\s+(?P<dy>\d{{4}})\b)",
    re.IGNORECASE,
)


def _make_date(year: str, month: int | str, day: str) -> date | None:
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


# Digits OCR confuses with a 1 (a serif 1 read as 4 or 7): tried only when a numeric date is
# impossible as read ("41/01/2026"), and only in the month or day.
_LOOKS_LIKE_ONE = {"4": "1", "7": "1", "l": "1", "I": "1"}


def _repaired(year: str, month: str, day: str) -> date | None:
    for part in ("month", "day"):
        text = month if part == "month" else day
        for index, char in enumerate(text):
            if char not in _LOOKS_LIKE_ONE:
                continue
            fixed = text[:index] + _LOOKS_LIKE_ONE[char] + text[index + 1 :]
            value = (
                _make_date(year, fixed, day) if part == "month" else _make_date(year, month, fixed)
            )
            if value is not None:
                return value
    return None


def dates_in(text: str) -> list[date]:
    """Every date in ``text``, in order (numeric dates are month/day/year, as in PH)."""
    found = []
    for m in DATE_PATTERN.finditer(text):
        if m["iso"]:
            value = _make_date(m["iy"], m["im"], m["id"])
        elif m["num"]:
            value = _make_date(m["ny"], m["nm"], m["nd"]) or _repaired(m["ny"], m["nm"], m["nd"])
        elif m["glued"]:
            value = _make_date(m["gy"], m["gm"], m["gd"])
        elif m["mdy"]:
            value = _make_date(m["my"], _MONTHS[m["mm"].lower()], m["md"])
        else:
            value = _make_date(m["dy"], _MONTHS[m["dm"].lower()], m["dd"])
        if value is not None:
            found.append(value)
    return found


_RANGE = re.compile(
    rf"\b(?P<m1>{_MONTH_RE})\.?\s+(?P<d1>\d{{1,2}})\s*(?:-|–|to)\s*"
    rf"(?:(?P<m2>{_MONTH_RE})\.?\s+)?(?P<d2>\d{{1,2}}),?\s+(?P<y>\d{{4}})\b",
    re.IGNORECASE,
)


def period_in(text: str) -> tuple[date | None, date | None]:
    """A pay period: two dates, or a range written once ("November 1-15, 2026")."""
    m = _RANGE.search(text)
    if m:
        first = _MONTHS[m["m1"].lower()]
        second = _MONTHS[m["m2"].lower()] if m["m2"] else first
        return _make_date(m["y"], first, m["d1"]), _make_date(m["y"], second, m["d2"])
    found = dates_in(text)
    return (found[0] if found else None), (found[1] if len(found) > 1 else None)


AMOUNT = r"(?:PHP|Php|P|₱)?\s?(?P<amount>\d{1,3}(?:[,. ]\d{3})+[.,]\d{2}|\d+[.,]\d{2})(?!\d)"


def parse_amount(raw: str) -> Decimal | None:
    digits = re.sub(r"[^\d.,]", "", raw)
    if len(digits) < 4:
        return None
    whole, cents = digits[:-3], digits[-2:]
    whole = re.sub(r"[.,]", "", whole)
    try:
        return Decimal(f"{whole or '0'}.{cents}")
    except InvalidOperation:
        return None


def _label_pattern(label: str) -> str:
    words = re.split(r"[\s\-/.']+", label.strip())
    return r"(?<![A-Za-z])" + r"[\s\-/.'’]*".join(re.escape(w) for w in words if w)


def _norm(label: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", label.lower()))


_LINE_LABEL = re.compile(
    r"^(?P<label>[A-Za-z][A-Za-z0-9 .'’/\-]{2,48}?)(?=\s*[:#]|\s{3,}|\s+(?:PHP|P|₱)?\s?\d)"
)
SNAP_RATIO = 0.84
"""How alike an OCR'd label must be to a known one to be read as it ("PhitHealth No")."""


def snap_label(line: str, labels: Sequence[str], known: frozenset[str]) -> str:
    """``line`` with its leading label replaced by the known label OCR garbled, if any."""
    m = _LINE_LABEL.match(line)
    if not m:
        return line
    raw = _norm(m["label"])
    if not raw or raw in known:
        return line
    best, best_ratio = None, 0.0
    for label in labels:
        ratio = difflib.SequenceMatcher(None, raw, _norm(label)).ratio()
        if ratio > best_ratio:
            best, best_ratio = label, ratio
    if best is None or best_ratio < SNAP_RATIO:
        return line
    return best + line[m.end("label") :]


@dataclass(frozen=True)
class Fields:
    """A document's text with the labels of its kind, for label-anchored look-ups."""

    text: str
    all_labels: Sequence[str]
    ocr: bool = False
    """OCR'd text: labels a letter off a known one are read as that label."""
    other_labels: Sequence[str] = ()
    """Labels the document may print that no field uses (kept as they are when snapping)."""

    @cached_property
    def lines(self) -> list[str]:
        # Dot leaders ("Net Pay ........ 1,000.00") and fill-in rules are only spacing.
        lines = [
            re.sub(r"(?:\s?[.·…_]){4,}\s?", "  ", line).strip() for line in self.text.splitlines()
        ]
        if self.ocr:
            known = frozenset(_norm(label) for label in (*self.all_labels, *self.other_labels))
            lines = [snap_label(line, self.all_labels, known) for line in lines]
        return lines

    def _cut(self, value: str, own: str) -> str:
        # A value ends at the next column: a run of spaces, a bar, or another label.
        value = re.split(r"\s{3,}|\s\|\s|\t", value)[0]
        for label in self.all_labels:
            if label.lower() == own.lower() or own.lower() in label.lower():
                continue
            m = re.search(r"\s" + _label_pattern(label) + r"\s*[:#]", value, re.IGNORECASE)
            if m:
                value = value[: m.start()]
        return value.strip(" :;,-|")

    def value(self, labels: Iterable[str], *, exclude: str | None = None) -> str | None:
        """The text after the first of ``labels`` found (on its line, or the next line)."""
        lines = self.lines
        for label in labels:
            pattern = re.compile(_label_pattern(label) + r"\s*[:#.]?\s*(?P<v>.*)$", re.IGNORECASE)
            for index, line in enumerate(lines):
                if exclude and re.search(exclude, line, re.IGNORECASE):
                    continue
                m = pattern.search(line)
                if not m:
                    continue
                value = self._cut(m["v"], label)
                if not value and index + 1 < len(lines):
                    value = self._cut(lines[index + 1], label)
                if value:
                    return value
        return None

    def amount(self, labels: Iterable[str]) -> Decimal | None:
        """The first amount after one of ``labels`` on the same line."""
        for label in labels:
            pattern = re.compile(_label_pattern(label) + r"[^\d\n]{0,45}?" + AMOUNT, re.IGNORECASE)
            for line in self.lines:
                m = pattern.search(line)
                if m:
                    value = parse_amount(m["amount"])
                    if value is not None:
                        return value
        return None

    def shaped(
        self, labels: Iterable[str], shape: str, *, exclude: str | None = None
    ) -> str | None:
        """An identifier of ``shape`` (a regex) on the line of one of ``labels``."""
        compiled = re.compile(shape)
        for label in labels:
            pattern = re.compile(_label_pattern(label), re.IGNORECASE)
            lines = self.lines
            for index, line in enumerate(lines):
                if exclude and re.search(exclude, line, re.IGNORECASE):
                    continue
                m = pattern.search(line)
                if not m:
                    continue
                rest = _join_digits(line[m.end() :])
                found = compiled.search(rest)
                if not found and index + 1 < len(lines):
                    found = compiled.search(_join_digits(lines[index + 1]))
                if found:
                    return found.group(0)
        return None


def _join_digits(text: str) -> str:
    # OCR puts spaces around the dashes of an ID ("33 - 0000000 - 8").
    return re.sub(r"(?<=\d)\s*[-–—]\s*(?=\d)", "-", text)


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _number(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


def _clean(out: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in out.items() if v is not None and v != ""}


SS_NUMBER = r"\b\d{2}-\d{7}-\d\b"
PHILHEALTH_NUMBER = r"\b\d{2}-\d{9}-\d\b"
PAGIBIG_NUMBER = r"\b\d{4}-\d{4}-\d{4}\b"
TIN = r"\b\d{3}-\d{3}-\d{3}(?:-\d{3,5})?\b"
GSIS_NUMBER = r"\b\d{11}\b"

# ---------------------------------------------------------------------------------------
# Payslips
# ---------------------------------------------------------------------------------------

PAYSLIP_LABELS: dict[str, tuple[str, ...]] = {
    "employer": ("Employer Name", "Company Name", "Employer", "Company"),
    "employee": ("Employee Name", "Employee's Name", "Name of Employee", "Employee", "Name"),
    "period": (
        "Pay Period",
        "Payroll Period",
        "Period Covered",
        "Cut-off Period",
        "Cutoff Period",
        "Cut-off",
        "Period",
    ),
    "pay_date": ("Pay Date", "Payout Date", "Date Paid", "Payment Date", "Pay Day", "Payday"),
    "basic": ("Basic Pay", "Basic Salary", "Basic"),
    "gross": (
        "Gross Pay",
        "Gross Earnings",
        "Total Earnings",
        "Gross Income",
        "Total Gross",
        "Gross Amount",
        "Gross",
    ),
    "net": ("Net Pay", "Take Home Pay", "Take-Home Pay", "Net Amount", "Net Salary", "Net Income"),
    "deductions": ("Total Deductions", "Total Deduction", "Deductions Total"),
    "sss": (
        "SSS Contribution",
        "SSS Premium",
        "SSS EE Share",
        "SSS EE",
        "SSS Employee Share",
        "SSS",
    ),
    "gsis": ("GSIS Premium", "GSIS Contribution", "GSIS Personal Share", "GSIS"),
    "philhealth": (
        "PhilHealth Contribution",
        "PhilHealth Premium",
        "PhilHealth",
        "PHIC Contribution",
        "PHIC",
    ),
    "pagibig": (
        "Pag-IBIG Contribution",
        "Pag-IBIG Premium",
        "HDMF Contribution",
        "Pag-IBIG",
        "HDMF",
    ),
    "tax": ("Withholding Tax", "W/Tax", "WTax", "Tax Withheld", "Income Tax", "Tax"),
    "ss_number": ("SSS No", "SSS Number", "SS No", "SS Number", "SSS ID"),
    "philhealth_number": ("PhilHealth No", "PhilHealth Number", "PhilHealth ID", "PIN", "PHIC No"),
    "pagibig_number": ("Pag-IBIG MID No", "Pag-IBIG No", "Pag-IBIG MID", "HDMF No", "MID No"),
    "tin": ("TIN", "Tax Identification Number", "TIN No"),
}
_ALL_PAYSLIP = tuple(label for labels in PAYSLIP_LABELS.values() for label in labels)
_OTHER_PAYSLIP = (
    "Employee No",
    "Employee ID",
    "Employee Number",
    "Position",
    "Department",
    "Rice Allowance",
    "Overtime",
    "Night Differential",
    "Earnings",
    "Deductions",
    "Salary Loan",
    "SSS Loan",
    "Pag-IBIG Loan",
)


@dataclass(frozen=True)
class PayslipReading:
    analysis: dict[str, object]
    basic: Decimal | None
    gross: Decimal | None
    net: Decimal | None
    deductions_total: Decimal | None
    deductions: dict[str, Decimal]
    """``SSS``, ``GSIS``, ``PHILHEALTH``, ``PAGIBIG``, ``TAX`` as printed."""
    frequency: str | None


def _header_name(text: str, skip: Sequence[str]) -> str | None:
    """The first line of a document that is not a title: usually who issued it."""
    for line in text.splitlines():
        line = line.strip()
        if len(line) < 3 or not re.search(r"[A-Za-z]{3}", line):
            continue
        if any(word in line.lower() for word in skip):
            continue
        if ":" in line:
            return None
        return line
    return None


def _frequency(start: date | None, end: date | None) -> str | None:
    if not start or not end:
        return None
    days = (end - start).days + 1
    if days <= 8:
        return "Weekly"
    if days <= 16:
        return "Semimonthly"
    if days <= 31:
        return "Monthly"
    return None


def read_payslip(text: str, *, ocr: bool = False) -> PayslipReading:
    f = Fields(text, _ALL_PAYSLIP, ocr, _OTHER_PAYSLIP)
    lab = PAYSLIP_LABELS
    period = f.value(lab["period"], exclude=r"pay\s*date") or ""
    start, end = period_in(period)
    pay_date_text = f.value(lab["pay_date"])
    pay_dates = dates_in(pay_date_text or "")
    employer = f.value(lab["employer"]) or _header_name(
        text, ("payslip", "pay slip", "payroll", "statement of earnings", "confidential")
    )
    gross = f.amount(lab["gross"])
    net = f.amount(lab["net"])
    deductions: dict[str, Decimal] = {}
    for key, name in (
        ("sss", "SSS"),
        ("gsis", "GSIS"),
        ("philhealth", "PHILHEALTH"),
        ("pagibig", "PAGIBIG"),
        ("tax", "TAX"),
    ):
        amount = f.amount(lab[key])
        if amount is not None:
            deductions[name] = amount
    currency = "PHP"
    analysis = _clean(
        {
            "startDate": _iso(start),
            "endDate": _iso(end),
            "payDate": _iso(pay_dates[0] if pay_dates else None),
            "currency": currency,
            "grossAmount": _number(gross),
            "netAmount": _number(net),
            "employerName": employer,
            "employeeName": f.value(lab["employee"], exclude=r"employee\s*(no|number|id)\b"),
            "ssNumber": f.shaped(lab["ss_number"], SS_NUMBER),
            "philHealthNumber": f.shaped(lab["philhealth_number"], PHILHEALTH_NUMBER),
            "taxNumber": f.shaped(lab["tin"], TIN, exclude="employer"),
            "pagIbigNumber": f.shaped(lab["pagibig_number"], PAGIBIG_NUMBER),
        }
    )
    return PayslipReading(
        analysis=analysis,
        basic=f.amount(lab["basic"]),
        gross=gross,
        net=net,
        deductions_total=f.amount(lab["deductions"]),
        deductions=deductions,
        frequency=_frequency(start, end),
    )


# ---------------------------------------------------------------------------------------
# BIR Form 2316
# ---------------------------------------------------------------------------------------

TAX_LABELS: dict[str, tuple[str, ...]] = {
    "year": ("For the Year",),
    "period": ("For the Period", "Period Covered"),
    "tin": ("Taxpayer Identification Number", "TIN"),
    "employee": ("Employee's Name", "Employee Name", "Name of Employee"),
    "employer": ("Employer's Name", "Employer Name", "Registered Name"),
    "gross": (
        "Gross Compensation Income from Present Employer",
        "Gross Compensation Income",
        "Gross Compensation",
    ),
    "base": (
        "Taxable Compensation Income from Present Employer",
        "Taxable Compensation Income",
        "Taxable Compensation",
        "Taxable Income",
    ),
    "other": (
        "Registered Address",
        "Date of Birth",
        "Employer TIN",
        "Tax Due",
        "Less",
        "Part",
    ),
}
_ALL_TAX = tuple(label for labels in TAX_LABELS.values() for label in labels)


def read_tax_document(text: str, *, ocr: bool = False) -> dict[str, object]:
    f = Fields(text, _ALL_TAX, ocr)
    lab = TAX_LABELS
    period = dates_in(f.value(lab["period"]) or "")
    year_text = f.value(lab["year"]) or ""
    year = re.search(r"\b(19|20)\d{2}\b", year_text)
    start = period[0] if period else (date(int(year.group(0)), 1, 1) if year else None)
    end = period[1] if len(period) > 1 else (date(int(year.group(0)), 12, 31) if year else None)
    return _clean(
        {
            "startDate": _iso(start),
            "endDate": _iso(end),
            "grossAmount": _number(f.amount(lab["gross"])),
            "baseAmount": _number(f.amount(lab["base"])),
            "employerName": f.value(lab["employer"]),
            "employeeName": f.value(lab["employee"]),
            "taxNumber": f.shaped(lab["tin"], TIN, exclude="employer"),
        }
    )


# ---------------------------------------------------------------------------------------
# Certificates of employment
# ---------------------------------------------------------------------------------------

_TITLE = r"(?:(?:Mr|Ms|Mrs|Miss|Dr|Engr|Atty)\.?\s+)"
_SUFFIX = r"(?:,?\s*(?:Jr|Sr|II|III|IV)\.?)"
_NAME = rf"(?P<name>[A-Z][A-Za-z.'\-]*(?:\s+[A-Z][A-Za-z.'\-]*){{1,5}}{_SUFFIX}?)"
_DATE = DATE_PATTERN.pattern.replace("?P<", "?P<x")  # the same dates, without group clashes

COE_LABELS: dict[str, tuple[str, ...]] = {
    "name": ("Employee Name", "Name"),
    "position": ("Position", "Designation", "Job Title"),
    "department": ("Department", "Division"),
    "status": ("Employment Status", "Status"),
    "start": ("Date Hired", "Date of Employment", "Start Date", "Employed Since"),
    "salary": ("Monthly Salary", "Basic Salary", "Salary"),
    "id": ("Employee ID No", "Employee ID", "Employee No", "Employee Number", "ID No"),
}
_ALL_COE = tuple(label for labels in COE_LABELS.values() for label in labels)


def split_name(full_name: str) -> tuple[str | None, str | None, str | None]:
    """(first, middle, last) of a name written in the natural order, or ``LAST, FIRST
    MIDDLE``; a suffix (Jr, III) belongs to none of them."""
    name = re.sub(r",?\s*\b(Jr|Sr|II|III|IV)\b\.?\s*$", "", full_name.strip(), flags=re.I)
    if "," in name:
        last, _, rest = name.partition(",")
        tokens = rest.split()
        if not tokens:
            return None, None, last.strip() or None
        if len(tokens) == 1:
            return tokens[0], None, last.strip()
        return " ".join(tokens[:-1]), tokens[-1], last.strip()
    tokens = name.split()
    if len(tokens) == 1:
        return tokens[0], None, None
    if len(tokens) == 2:
        return tokens[0], None, tokens[1]
    return " ".join(tokens[:-2]), tokens[-2], tokens[-1]


def _signatory(text: str) -> tuple[str | None, str | None]:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for index in range(len(lines) - 2, -1, -1):
        name, position = lines[index], lines[index + 1]
        if re.search(r"\d|:", name) or len(name.split()) > 6 or len(position.split()) > 8:
            continue
        if re.fullmatch(r"[A-Z][A-Za-z.'\-]*(?:\s+[A-Z][A-Za-z.'\-]*){1,5}", name):
            return name, position.strip(" ,.")
        break
    return None, None


def read_certificate(text: str, *, ocr: bool = False) -> dict[str, object]:
    flat = " ".join(text.split())
    f = Fields(text, _ALL_COE, ocr)
    name = None
    m = re.search(
        rf"certif(?:y|ies)\s+that\s+{_TITLE}?{_NAME}\s*,?\s+(?:with|has|have|is|was|bearing|"
        r"holding|whose|an?)\b",
        flat,
    )
    if m:
        name = m["name"].strip()
    name = name or f.value(COE_LABELS["name"])
    employer = position = department = None
    start = end = None
    m = re.search(
        # Bounded spans: unbounded lazy groups nested three deep go cubic on a long text.
        r"(?:employed|working)\s+(?:with|by|at|in)\s+(?P<employer>.{1,150}?)\s+as\s+(?:an?\s+)?"
        r"(?P<position>.{1,100}?)(?:\s+(?:in|at|of)\s+the\s+(?P<department>.{1,100}?)\s+"
        r"(?:department|division|office|unit))?\s+(?:since|from|effective)\s+(?P<start>"
        + _DATE
        + r")",
        flat,
        re.IGNORECASE,
    )
    if m:
        employer = m["employer"].strip(" ,")
        position = m["position"].strip(" ,")
        department = m["department"]
        starts = dates_in(m["start"])
        start = starts[0] if starts else None
        after = flat[m.end() : m.end() + 80]
        tail = re.match(r"\s*(?:up\s+)?(?:to|until|through)\s+(?P<end>" + _DATE + ")", after)
        if tail:
            ends = dates_in(tail["end"])
            end = ends[0] if ends else None
    position = position or f.value(COE_LABELS["position"])
    department = department or f.value(COE_LABELS["department"])
    if start is None:
        starts = dates_in(f.value(COE_LABELS["start"]) or "")
        start = starts[0] if starts else None
    employer = employer or _header_name(text, ("certificate", "certification", "to whom"))
    status = None
    m = re.search(
        r"\b(?:is|was)\s+an?\s+(?P<status>[A-Za-z\-]+(?:\s[A-Za-z\-]+)?)\s+employee\b", flat
    )
    if m:
        status = m["status"]
    else:
        m = re.search(r"employment\s+status\s+(?:is|:)\s*(?P<status>[A-Za-z\-]+)", flat, re.I)
        status = m["status"] if m else f.value(COE_LABELS["status"])
    salary = term = None
    m = re.search(
        r"(?P<term>monthly|annual|yearly|daily)?\s*(?:basic\s+|gross\s+)?(?:salary|compensation|pay)"
        r"\s+(?:of|amounting\s+to|is)\s+" + AMOUNT,
        flat,
        re.IGNORECASE,
    )
    if m:
        salary = parse_amount(m["amount"])
        term = {"annual": "Annually", "yearly": "Annually", "daily": "Daily"}.get(
            (m["term"] or "monthly").lower(), "Monthly"
        )
    else:
        salary = f.amount(COE_LABELS["salary"])
        term = "Monthly" if salary is not None else None
    employee_id = None
    m = re.search(
        r"employee\s+(?:id|no|number)\.?\s*(?:no\.?|number)?\s*[:#]?\s*(?P<id>[A-Z0-9][A-Z0-9\-]{2,})",
        flat,
        re.IGNORECASE,
    )
    if m:
        employee_id = m["id"].rstrip(".,")
    purpose = None
    m = re.search(
        r"\bfor\s+(?:his|her|the|their)?\s*(?P<p>[a-z][a-z ]{2,40}?)\s+purposes?\b", flat, re.I
    )
    if m:
        purpose = m["p"].strip()
    issued = None
    m = re.search(
        r"this\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?\s+day\s+of\s+(?P<m>"
        + _MONTH_RE
        + r"),?\s+(?P<y>\d{4})",
        flat,
        re.IGNORECASE,
    )
    if m:
        issued = _make_date(m["y"], _MONTHS[m["m"].lower()], m["d"])
    else:
        m = re.search(r"(?:issued|given|dated)\s+(?:on|this)?\s*(?P<d>" + _DATE + ")", flat, re.I)
        found = dates_in(m["d"]) if m else []
        issued = found[0] if found else None
    signatory, signatory_position = _signatory(text)
    first, middle, last = split_name(name) if name else (None, None, None)
    return _clean(
        {
            "employerName": employer,
            "fullName": name,
            "firstName": first,
            "middleName": middle,
            "lastName": last,
            "employeeIdNumber": employee_id,
            "employeeIdType": "Employee ID" if employee_id else None,
            "position": position,
            "department": department,
            "employmentStatus": status,
            "startDate": _iso(start),
            "endDate": _iso(end),
            "salaryAmount": _number(salary),
            "salaryTerm": term,
            "currency": "PHP" if salary is not None else None,
            "purpose": purpose,
            "issueDate": _iso(issued),
            "signatoryName": signatory,
            "signatoryPosition": signatory_position,
        }
    )


# ---------------------------------------------------------------------------------------
# NBI clearance
# ---------------------------------------------------------------------------------------

NBI_LABELS: dict[str, tuple[str, ...]] = {
    "name": ("Name",),
    "address": ("Address",),
    "birth": ("Date of Birth", "Birth Date", "Birthdate"),
    "status": ("Civil Status", "Marital Status"),
    "gender": ("Sex", "Gender"),
    "citizenship": ("Citizenship", "Nationality"),
    "number": ("NBI ID No", "NBI Clearance No", "Clearance No", "NBI ID", "ID No"),
    "valid": ("Valid Until", "Validity", "Expiry Date", "Valid Thru"),
    "remarks": ("Remarks", "Remark"),
    "other": ("Birth Place", "Place of Birth", "Purpose", "Date Issued"),
}
_ALL_NBI = tuple(label for labels in NBI_LABELS.values() for label in labels)
_STATUSES = {
    "single": "Single",
    "married": "Married",
    "widowed": "Widowed",
    "widow": "Widowed",
    "separated": "Separated",
    "legally separated": "Separated",
    "divorced": "Divorced",
}


def read_nbi_clearance(text: str, *, ocr: bool = False) -> dict[str, object]:
    f = Fields(text, _ALL_NBI, ocr)
    lab = NBI_LABELS
    name = f.value(lab["name"])
    first, middle, last = split_name(name) if name else (None, None, None)
    status = (f.value(lab["status"]) or "").strip().lower()
    gender = (f.value(lab["gender"]) or "").strip().lower()
    birth = dates_in(f.value(lab["birth"]) or "")
    valid = dates_in(f.value(lab["valid"]) or "")
    number = f.value(lab["number"])
    return _clean(
        {
            "expireDate": _iso(valid[0] if valid else None),
            "dateOfBirth": _iso(birth[0] if birth else None),
            "firstName": first,
            "middleName": middle,
            "lastName": last,
            "nbiIdNumber": number.split()[0] if number else None,
            "address": f.value(lab["address"]),
            "maritalStatus": _STATUSES.get(status),
            "gender": {"male": "Male", "m": "Male", "female": "Female", "f": "Female"}.get(gender),
            "citizenship": f.value(lab["citizenship"]),
            "remark": f.value(lab["remarks"]),
        }
    )


# ---------------------------------------------------------------------------------------
# The data points a document supports
# ---------------------------------------------------------------------------------------

MANDATORY: dict[DocumentType, tuple[str, ...]] = {
    "PAYSLIP": ("grossAmount", "netAmount"),
    "TAX_DOCUMENT": ("grossAmount",),
    "EMPLOYMENT_CERTIFICATE": ("employerName", "startDate"),
    "CLEARANCE_NBI": ("lastName",),
}


def extract(file_type: DocumentType, text: str, *, ocr: bool = False) -> dict[str, object]:
    """The contract's analysis object of ``file_type`` for ``text`` (fields found only)."""
    if file_type == "PAYSLIP":
        return read_payslip(text, ocr=ocr).analysis
    if file_type == "TAX_DOCUMENT":
        return read_tax_document(text, ocr=ocr)
    if file_type == "EMPLOYMENT_CERTIFICATE":
        return read_certificate(text, ocr=ocr)
    if file_type == "CLEARANCE_NBI":
        return read_nbi_clearance(text, ocr=ocr)
    return {}


def records(
    file_type: DocumentType,
    analysis: dict[str, object],
    *,
    basic: Decimal | None = None,
    frequency: str | None = None,
) -> tuple[FetchedRecord, ...]:
    """INCOMES / EMPLOYMENTS items (the contract's fields) the document's analysis supports."""
    if file_type == "PAYSLIP" and analysis.get("startDate") and analysis.get("grossAmount"):
        start = str(analysis["startDate"])
        return (
            FetchedRecord(
                kind=DataPointKind.INCOMES,
                reference=f"payslip:{start}",
                payload={
                    "workItem": None,
                    "employer": analysis.get("employerName"),
                    "startDate": start,
                    "endDate": analysis.get("endDate"),
                    "currency": analysis.get("currency", "PHP"),
                    "frequency": frequency or "Unspecified",
                    "baseAmount": float(basic) if basic is not None else None,
                    "grossAmount": analysis.get("grossAmount"),
                    "netAmount": analysis.get("netAmount"),
                },
            ),
        )
    if file_type == "TAX_DOCUMENT" and analysis.get("startDate") and analysis.get("grossAmount"):
        start = str(analysis["startDate"])
        return (
            FetchedRecord(
                kind=DataPointKind.INCOMES,
                reference=f"bir-2316:{start}",
                payload={
                    "workItem": None,
                    "employer": analysis.get("employerName"),
                    "startDate": start,
                    "endDate": analysis.get("endDate"),
                    "currency": "PHP",
                    "frequency": "Annually",
                    "baseAmount": analysis.get("baseAmount"),
                    "grossAmount": analysis.get("grossAmount"),
                    "netAmount": None,
                },
            ),
        )
    if (
        file_type == "EMPLOYMENT_CERTIFICATE"
        and analysis.get("startDate")
        and analysis.get("employerName")
    ):
        start = str(analysis["startDate"])
        out = [
            FetchedRecord(
                kind=DataPointKind.EMPLOYMENTS,
                reference=f"certificate:{start}",
                payload={
                    "name": analysis.get("fullName"),
                    "jobTitle": analysis.get("position"),
                    "department": analysis.get("department"),
                    "employeeNumber": analysis.get("employeeIdNumber"),
                    "employerNumber": None,
                    "employer": analysis.get("employerName"),
                    "status": analysis.get("employmentStatus"),
                    "startDate": start,
                    "endDate": analysis.get("endDate"),
                    "reportedDate": None,
                },
            )
        ]
        if analysis.get("salaryAmount") is not None and analysis.get("issueDate"):
            issued = str(analysis["issueDate"])
            out.append(
                FetchedRecord(
                    kind=DataPointKind.INCOMES,
                    reference=f"certificate:{issued}",
                    payload={
                        "workItem": analysis.get("position"),
                        "employer": analysis.get("employerName"),
                        "startDate": issued,
                        "endDate": None,
                        "currency": analysis.get("currency", "PHP"),
                        "frequency": analysis.get("salaryTerm") or "Unspecified",
                        "baseAmount": analysis.get("salaryAmount"),
                        "grossAmount": None,
                        "netAmount": None,
                    },
                )
            )
        return tuple(out)
    return ()


def parse_iso(value: object) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        return None
