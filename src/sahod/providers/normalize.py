"""Values as portals print them, turned into the contract's shapes; and the records every
connector builds the same way."""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import TypeVar

from sahod.agencies.income_estimates import eincome_payload, estimate_incomes
from sahod.agencies.schedules import Agency
from sahod.datapoints.kinds import DataPointKind
from sahod.providers.base import FetchedRecord
from sahod.providers.html import Page, clean, header_key
from sahod.providers.portal import MemberPages, records

# ---------------------------------------------------------------------------------------
# Values as portals print them
# ---------------------------------------------------------------------------------------

_MONEY_JUNK = re.compile(r"(?i)php|₱|,|\s")
_CENT = Decimal("0.01")
_BLANK = {"", "-", "—", "n/a", "none"}


def parse_money(text: str, *, page: Page) -> Decimal:
    value = _money(text)
    if value is None:
        raise page.not_understood("an amount could not be read")
    return value


@lru_cache(maxsize=8192)
def _money(text: str) -> Decimal | None:
    # A history prints the same few amounts month after month (~250 a My.SSS fetch);
    # Decimals are immutable, so each text is read once.
    raw = _MONEY_JUNK.sub("", clean(text))
    negative = raw.startswith("(") and raw.endswith(")")
    raw = raw.strip("()")
    if raw.lower() in _BLANK:
        return Decimal("0.00")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        return None
    return (-value if negative else value).quantize(_CENT)


def wire_amount(value: Decimal) -> float:
    """Money on the wire: a float with two decimals."""
    return float(value.quantize(_CENT))


_DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%d-%b-%Y", "%d %b %Y", "%B %d, %Y", "%b %d, %Y")
_MONTH_FORMATS = ("%Y-%m", "%m/%Y", "%m-%Y", "%b %Y", "%B %Y", "%b-%Y")


@lru_cache(maxsize=8192)
def _strptime(raw: str, formats: tuple[str, ...]) -> date | None:
    # Portals print the same few hundred dates and months on every fetch; strptime with
    # its exceptions is the slow part of reading a history, so each text is parsed once.
    for fmt in formats:
        try:
            return datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    return None


def parse_date(text: str, *, page: Page) -> date:
    raw = clean(text).title()
    parsed = _strptime(raw, _DATE_FORMATS)
    if parsed is None:
        raise page.not_understood("a date could not be read")
    return parsed


def parse_optional_date(text: str | None, *, page: Page) -> date | None:
    raw = clean(text).lower()
    if raw in _BLANK or raw in {"present", "to date", "active"}:
        return None
    return parse_date(raw, page=page)


def parse_portal_month(text: str, *, page: Page) -> date:
    """A month as its first day (``JAN 2024``, ``2024-01``, ``01/2024``, ``January 2024``)."""
    raw = clean(text).title()
    parsed = _strptime(raw, _MONTH_FORMATS)
    if parsed is None:
        raise page.not_understood("a month could not be read")
    return parsed.replace(day=1)


def month_end(month: date) -> date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def phone_e164(text: str | None) -> str | None:
    """Philippine numbers as portals print them (``0917 555 1234``, ``+63 917…``)."""
    number = digits(text or "")
    if number.startswith("63") and len(number) == 12:
        return "+" + number
    if number.startswith("09") and len(number) == 11:
        return "+63" + number[1:]
    if number.startswith("9") and len(number) == 10:
        return "+63" + number
    return None


_ROMAN = re.compile(r"^(?=[ivx]+$)x{0,3}(ix|iv|v?i{0,3})$", re.IGNORECASE)


def name_case(text: str | None) -> str | None:
    """``DELA CRUZ`` → ``Dela Cruz``; roman-numeral suffixes stay upper (``III``)."""
    value = clean(text)
    if not value:
        return None
    words = []
    for word in value.split(" "):
        words.append(word.upper() if _ROMAN.match(word.strip(".")) else word.capitalize())
    return " ".join(words)


def full_name(first: str | None, middle: str | None, last: str | None, suffix: str | None) -> str:
    name = " ".join(p for p in (first, middle, last) if p)
    return f"{name}, {suffix}" if suffix else name


GENDERS = {"m": "Male", "male": "Male", "f": "Female", "female": "Female"}
CIVIL_STATUSES = {
    "single": "Single",
    "married": "Married",
    "widowed": "Widowed",
    "widow": "Widowed",
    "widower": "Widowed",
    "separated": "Separated",
    "legally separated": "Separated",
    "annulled": "Divorced",
    "divorced": "Divorced",
    "lifetime partner": "Lifetime Partner",
}


def gender(text: str | None) -> str | None:
    return GENDERS.get(header_key(text))


def civil_status(text: str | None) -> str | None:
    return CIVIL_STATUSES.get(header_key(text))


def address(
    full: str | None,
    *,
    line1: str | None = None,
    line2: str | None = None,
    city: str | None = None,
    region: str | None = None,
    zip_code: str | None = None,
) -> dict[str, object]:
    """The contract's RefAddress from either a one-line address or its parts.

    A one-line address is read as ``street, barangay, city, province ZIP`` - the order
    Philippine portals print - and kept whole in ``fullAddress`` either way. An address
    shouted in capitals (My.SSS prints them so) is brought back to ordinary case.
    """
    if full and full.isupper():
        full = name_case(full)
    if full and not (line1 or city):
        parts = [p.strip() for p in full.split(",") if p.strip()]
        if parts and (m := re.search(r"\s(\d{4})$", parts[-1])):
            zip_code = m.group(1)
            parts[-1] = parts[-1][: m.start()].strip()
        line1 = parts[0] if parts else None
        line2 = parts[1] if len(parts) > 3 else None
        city = parts[-2] if len(parts) >= 3 else None
        region = parts[-1] if len(parts) >= 2 else None
    if not full:
        full = ", ".join(p for p in (line1, line2, city) if p)
        full += f", {region}" if region else ""
        full += f" {zip_code}" if zip_code else ""
    return {
        "fullAddress": full or None,
        "line1": line1,
        "line2": line2,
        "city": city,
        "region": region,
        "zip": zip_code,
        "country": "PH",
        "type": "Primary",
        "tags": ["Home"],
    }


def document_type(category: str | None, name: str) -> str:
    """The contract's documentType from how a portal files a document."""
    text = f"{category or ''} {name}".lower()
    return "IDENTIFICATION" if re.search(r"\b(id|card)\b", text) else "CERTIFICATE"


# ---------------------------------------------------------------------------------------
# Records every connector builds the same way
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PostedContribution:
    """One contribution row as a portal lists it."""

    month: date
    """The applicable month (its first day)."""
    amount: Decimal
    """Employee and employer shares together."""
    reference: str


def identity_record(
    *,
    member_number: str,
    first: str | None,
    middle: str | None,
    last: str | None,
    suffix: str | None,
    gender_text: str | None,
    born: date | None,
    civil_text: str | None,
    email: str | None,
    phone_text: str | None,
    home: dict[str, object] | None,
) -> FetchedRecord:
    phone = phone_e164(phone_text)
    payload: dict[str, object] = {
        "fullName": full_name(first, middle, last, suffix),
        "firstName": first,
        "middleName": middle,
        "lastName": last,
        "suffix": suffix,
        "gender": gender(gender_text),
        "dob": born.isoformat() if born else None,
        "maritalStatus": civil_status(civil_text),
        # A Philippine government portal's member lives where their address says: the
        # portals only take Philippine addresses.
        "countryResidence": "PH" if home else None,
        # No citizenship: the portals do not show it, and the contract's enum has no null.
        "photoUrl": None,
        "referenceId": member_number,
        "profileUrl": None,
        "emails": [{"address": email.lower(), "type": "Primary"}] if email else [],
        "phones": [{"number": phone, "type": "Mobile"}] if phone else [],
        "socialProfiles": [],
        "addresses": [home] if home else [],
    }
    return FetchedRecord(DataPointKind.IDENTITIES, digits(member_number), payload)


def employment_payload(
    *,
    employer: str,
    employer_number: str | None,
    start: date,
    end: date | None,
    job_title: str | None = None,
    department: str | None = None,
    status: str | None = None,
    reported: date | None = None,
) -> tuple[str, dict[str, object]]:
    """(reference, payload); the reference is the employer number and the start date."""
    reference = f"{digits(employer_number or '') or header_key(employer)}:{start.isoformat()}"
    return reference, {
        "name": None,
        "jobTitle": job_title,
        "department": department,
        "employeeNumber": None,
        "employerNumber": employer_number,
        "employer": employer,
        "status": status,
        "startDate": start.isoformat(),
        "endDate": end.isoformat() if end else None,
        "reportedDate": reported.isoformat() if reported else None,
    }


def contribution_records(rows: Iterable[PostedContribution]) -> list[FetchedRecord]:
    return records(
        DataPointKind.CONTRIBUTIONS,
        (
            (
                row.reference,
                {
                    # The contract's own example dates a contribution at its month's end.
                    "date": month_end(row.month).isoformat(),
                    "currency": "PHP",
                    "amount": wire_amount(row.amount),
                    "referenceId": row.reference,
                },
            )
            for row in rows
        ),
    )


def eincome_records(agency: Agency, rows: Iterable[tuple[date, Decimal]]) -> list[FetchedRecord]:
    """Estimated monthly incomes read back from what was paid, through the schedules."""
    paid = [(month, amount) for month, amount in rows if amount > 0]
    estimates = estimate_incomes(agency, paid, share="total")
    return records(
        DataPointKind.EINCOMES,
        ((f"{e.month:%Y-%m}", eincome_payload(e)) for e in estimates),
    )


def document_records(page: Page, rows: Iterable[Mapping[str, str]]) -> list[FetchedRecord]:
    """Documents from rows with ``name``, ``number``, optional ``category``, ``issued``,
    ``expires`` and ``remarks``."""
    items: list[tuple[str, dict[str, object]]] = []
    for row in rows:
        issued = parse_optional_date(row.get("issued"), page=page)
        expires = parse_optional_date(row.get("expires"), page=page)
        items.append(
            (
                row["number"],
                {
                    "name": row["name"],
                    "docId": row["number"],
                    "status": None,
                    "documentType": document_type(row.get("category"), row["name"]),
                    "issueDate": issued.isoformat() if issued else None,
                    "expiryDate": expires.isoformat() if expires else None,
                    "fileUrl": None,
                    "remarks": row.get("remarks") or None,
                },
            )
        )
    return records(DataPointKind.DOCUMENTS, items)


@dataclass(frozen=True)
class LoanFigures:
    type: str
    reference: str
    released: date
    first_due: date | None
    last_due: date | None
    amount: Decimal
    amortization: Decimal
    outstanding: Decimal
    next_payment: Decimal
    overdue: Decimal


def liability_records(loans: Iterable[LoanFigures]) -> list[FetchedRecord]:
    return records(
        DataPointKind.LIABILITIES,
        (
            (
                loan.reference,
                {
                    "type": loan.type,
                    "referenceId": loan.reference,
                    "startDate": loan.released.isoformat(),
                    "endDate": loan.last_due.isoformat() if loan.last_due else None,
                    "firstAmortizationDate": (
                        loan.first_due.isoformat() if loan.first_due else None
                    ),
                    "amortizationFrequency": "Monthly",
                    "currency": "PHP",
                    "loanAmount": wire_amount(loan.amount),
                    "amortizationAmount": wire_amount(loan.amortization),
                    "outstandingBalance": wire_amount(loan.outstanding),
                    "nextPaymentAmount": wire_amount(loan.next_payment),
                    "overduePaymentAmount": wire_amount(loan.overdue),
                },
            )
            for loan in loans
        ),
    )


def loan_type(text: str) -> str:
    """``SALARY LOAN`` → ``Salary Loan``; ``MULTI-PURPOSE LOAN`` → ``Multi-Purpose Loan``."""
    return " ".join("-".join(p.capitalize() for p in w.split("-")) for w in clean(text).split())


def other_years(page: Page, field_name: str = "year") -> list[str]:
    """The years a year-paged history offers besides the one the page shows."""
    years, selected = page.select_options(field_name)
    if not years:
        return []
    if selected is None or not all(y.isdigit() and len(y) == 4 for y in years):
        raise page.not_understood("the year selector is not as expected")
    return [y for y in years if y != selected]


def check_year(page: Page, rows: Iterable[PostedContribution], year: str | None) -> None:
    """A page asked for one year must list only that year's months."""
    if year is not None and any(str(r.month.year) != year for r in rows):
        raise page.not_understood(f"rows outside {year} on the {year} page")


_Row = TypeVar("_Row")


async def year_paged_history(
    pages: MemberPages,
    name: str,
    route: str,
    read_rows: Callable[[Page], list[_Row]],
    posted: Callable[[_Row], PostedContribution],
) -> list[_Row]:
    """Every year of a history shown a year at a time: the latest year's page, then the
    other years it offers, each page read as it arrives; rows in page order, years in
    the order offered. A page asked for one year must list only that year's months."""

    def first_page(page: Page) -> tuple[list[str], list[_Row]]:
        return other_years(page), read_rows(page)

    def year_page(year: str) -> Callable[[Page], list[_Row]]:
        def read(page: Page) -> list[_Row]:
            rows = read_rows(page)
            check_year(page, (posted(r) for r in rows), year)
            return rows

        return read

    years, rows = await pages.read(name, route, first_page)
    for more in await pages.gather(
        pages.read(name, route, year_page(y), {"year": y}) for y in years
    ):
        rows.extend(more)
    return rows


def as_posted(row: PostedContribution) -> PostedContribution:
    return row
