"""Reading My.SSS pages. Columns and fields are found by their labels, never by position."""

from __future__ import annotations

from sahod.providers.base import FetchedRecord
from sahod.providers.html import Page, Values
from sahod.providers.normalize import (
    LoanFigures,
    PostedContribution,
    address,
    document_records,
    employment_payload,
    identity_record,
    loan_type,
    name_case,
    parse_date,
    parse_money,
    parse_optional_date,
    parse_portal_month,
)


def identity(page: Page) -> FetchedRecord:
    v = Values(page, page.labelled_values())
    born = v.get("Date of Birth", "Birth Date")
    return identity_record(
        member_number=v.require("SS Number", "SSS Number", "SS No."),
        first=name_case(v.require("First Name", "Given Name")),
        middle=name_case(v.get("Middle Name")),
        last=name_case(v.require("Last Name", "Surname")),
        suffix=name_case(v.get("Suffix", "Name Extension")),
        gender_text=v.get("Sex", "Gender"),
        born=parse_date(born, page=page) if born else None,
        civil_text=v.get("Civil Status"),
        email=v.get("E-mail Address", "Email Address", "E-mail"),
        phone_text=v.get("Mobile Number", "Mobile No.", "Cellphone Number"),
        home=_home(v),
    )


def _home(v: Values) -> dict[str, object] | None:
    line = v.get("Address", "Home Address", "Mailing Address")
    return address(line) if line else None


_EMPLOYMENT = {
    "employer_id": ("Employer ID", "Employer Number", "ER Number"),
    "employer": ("Employer Name", "Employer"),
    "reported": ("Date Reported", "Reporting Date"),
    "start": ("Date of Employment", "Employment Date", "Date Hired"),
    "end": ("Date of Separation", "Separation Date"),
}


def employments(page: Page) -> list[tuple[str, dict[str, object]]]:
    out = []
    for row in page.table(_EMPLOYMENT, optional=("reported", "end")):
        out.append(
            employment_payload(
                employer=row["employer"],
                employer_number=row["employer_id"],
                start=parse_date(row["start"], page=page),
                end=parse_optional_date(row.get("end"), page=page),
                reported=parse_optional_date(row.get("reported"), page=page),
            )
        )
    return out


_CONTRIBUTIONS = {
    "month": ("Applicable Month", "Month", "Applicable Period"),
    "ee": ("EE Share", "EE", "Employee Share"),
    "er": ("ER Share", "ER", "Employer Share"),
    "reference": ("Transaction No.", "Transaction Number", "Receipt No.", "PRN"),
}


def contributions(page: Page) -> list[PostedContribution]:
    # EC (employees' compensation) is insurance the employer buys, not the member's
    # contribution: EE + ER is what the schedules price and what the member has paid.
    return [
        PostedContribution(
            month=parse_portal_month(row["month"], page=page),
            amount=parse_money(row["ee"], page=page) + parse_money(row["er"], page=page),
            reference=row["reference"],
        )
        for row in page.table(_CONTRIBUTIONS)
    ]


_LOANS = {
    "type": ("Loan Type", "Type"),
    "number": ("Loan No.", "Loan Number", "Loan Reference No."),
}


def loan_numbers(page: Page) -> list[str]:
    return [row["number"] for row in page.table(_LOANS)]


_SCHEDULE = {"due": ("Due Date", "Due"), "amount": ("Amortization", "Amount")}


def loan(page: Page) -> LoanFigures:
    v = Values(page, page.labelled_values())
    dues = [parse_date(row["due"], page=page) for row in page.table(_SCHEDULE)]
    return LoanFigures(
        type=loan_type(v.require("Loan Type")),
        reference=v.require("Loan No.", "Loan Number"),
        released=parse_date(v.require("Date Granted", "Date Released"), page=page),
        first_due=min(dues) if dues else None,
        last_due=max(dues) if dues else None,
        amount=parse_money(v.require("Loan Amount", "Principal"), page=page),
        amortization=parse_money(v.require("Monthly Amortization"), page=page),
        outstanding=parse_money(v.require("Outstanding Balance", "Loan Balance"), page=page),
        next_payment=parse_money(v.require("Amount Due", "Total Amount Due"), page=page),
        overdue=parse_money(v.get("Amount Past Due", "Past Due Amount") or "0", page=page),
    )


_DOCUMENTS = {
    "name": ("Document", "Document Name"),
    "number": ("Document No.", "Document Number", "Number"),
    "category": ("Category", "Type"),
    "issued": ("Date Issued", "Issued"),
    "expires": ("Valid Until", "Expiry Date"),
    "remarks": ("Remarks",),
}


def documents(page: Page) -> list[FetchedRecord]:
    rows = page.table(_DOCUMENTS, optional=("category", "issued", "expires", "remarks"))
    return document_records(page, rows)
