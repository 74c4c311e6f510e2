"""Reading eGSIS Member Online pages, by label and header text."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sahod.providers.base import FetchedRecord
from sahod.providers.html import Page, Values
from sahod.providers.normalize import (
    PostedContribution,
    address,
    document_records,
    employment_payload,
    identity_record,
    month_end,
    name_case,
    parse_date,
    parse_money,
    parse_optional_date,
    parse_portal_month,
    wire_amount,
)


def identity(page: Page) -> FetchedRecord:
    v = Values(page, page.labelled_values())
    born = v.get("Birth Date", "Date of Birth")
    line = v.get("Mailing Address", "Address", "Residential Address")
    return identity_record(
        member_number=v.require("BP Number", "BP No.", "GSIS BP Number"),
        first=name_case(v.require("First Name")),
        middle=name_case(v.get("Middle Name")),
        last=name_case(v.require("Surname", "Last Name")),
        suffix=name_case(v.get("Name Extension", "Suffix")),
        gender_text=v.get("Sex", "Gender"),
        born=parse_date(born, page=page) if born else None,
        civil_text=v.get("Civil Status"),
        email=v.get("E-mail", "E-mail Address", "Email"),
        phone_text=v.get("Mobile No.", "Mobile Number"),
        home=address(line) if line else None,
    )


_SERVICE = {
    "code": ("Agency Code",),
    "agency": ("Agency", "Agency Name"),
    "office": ("Office / Station", "Office", "Station"),
    "position": ("Position", "Designation"),
    "status": ("Status", "Appointment Status"),
    "start": ("From", "Date From"),
    "end": ("To", "Date To"),
}


def employments(page: Page) -> list[tuple[str, dict[str, object]]]:
    out = []
    for row in page.table(_SERVICE, optional=("office", "status", "end")):
        out.append(
            employment_payload(
                employer=row["agency"],
                employer_number=row["code"],
                start=parse_date(row["start"], page=page),
                end=parse_optional_date(row.get("end"), page=page),
                job_title=row["position"] or None,
                department=row.get("office") or None,
                status=row.get("status") or None,
            )
        )
    return out


@dataclass(frozen=True)
class Premium:
    contribution: PostedContribution
    agency: str
    salary: Decimal


_PREMIUMS = {
    "period": ("Period", "Applicable Period", "Month"),
    "agency": ("Agency",),
    "salary": ("Basic Monthly Salary", "Monthly Salary", "Basic Salary"),
    "total": ("Total Premium", "Total"),
    "reference": ("Reference No.", "OR No.", "Reference Number"),
}


def premiums(page: Page) -> list[Premium]:
    return [
        Premium(
            contribution=PostedContribution(
                month=parse_portal_month(row["period"], page=page),
                amount=parse_money(row["total"], page=page),
                reference=row["reference"],
            ),
            agency=row["agency"],
            salary=parse_money(row["salary"], page=page),
        )
        for row in page.table(_PREMIUMS)
    ]


def income(premium: Premium) -> tuple[str, dict[str, object]]:
    """The basic salary a premium was computed on, as an income for its month."""
    month: date = premium.contribution.month
    return f"{month:%Y-%m}", {
        "workItem": None,
        "employer": premium.agency,
        "startDate": month.isoformat(),
        "endDate": month_end(month).isoformat(),
        "currency": "PHP",
        "frequency": "Monthly",
        "baseAmount": wire_amount(premium.salary),
        # GSIS knows basic pay only: allowances and net pay are not on its records.
        "grossAmount": None,
        "netAmount": None,
    }


_DOCUMENTS = {
    "name": ("Document", "Document Name"),
    "number": ("Reference No.", "Document No.", "Number"),
    "category": ("Type", "Category"),
    "issued": ("Issued", "Date Issued"),
    "expires": ("Expiry", "Valid Until", "Expiry Date"),
    "remarks": ("Remarks",),
}


def documents(page: Page) -> list[FetchedRecord]:
    rows = page.table(_DOCUMENTS, optional=("category", "issued", "expires", "remarks"))
    return document_records(page, rows)
