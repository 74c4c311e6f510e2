"""Reading My PhilHealth Portal pages, by label and header text."""

from __future__ import annotations

from sahod.providers.base import FetchedRecord
from sahod.providers.html import Page, Values
from sahod.providers.normalize import (
    PostedContribution,
    address,
    document_records,
    employment_payload,
    identity_record,
    name_case,
    parse_date,
    parse_money,
    parse_optional_date,
    parse_portal_month,
)


def identity(page: Page) -> FetchedRecord:
    v = Values(page, page.labelled_values())
    born = v.get("Date of Birth", "Birthdate")
    street, city = v.get("Street", "House No. / Street"), v.get("City/Municipality", "City")
    one_line = v.get("Permanent Address", "Address")
    home: dict[str, object] | None = None
    if street or city:
        home = address(
            None,
            line1=street,
            line2=v.get("Barangay"),
            city=city,
            region=v.get("Province"),
            zip_code=v.get("ZIP Code", "Zip"),
        )
    elif one_line:
        home = address(one_line)
    return identity_record(
        member_number=v.require("PhilHealth Identification Number (PIN)", "PIN"),
        first=name_case(v.require("First Name")),
        middle=name_case(v.get("Middle Name")),
        last=name_case(v.require("Last Name", "Surname")),
        suffix=name_case(v.get("Name Extension", "Suffix")),
        gender_text=v.get("Sex", "Gender"),
        born=parse_date(born, page=page) if born else None,
        civil_text=v.get("Civil Status"),
        email=v.get("Email Address", "E-mail Address"),
        phone_text=v.get("Mobile Number", "Mobile No."),
        home=home,
    )


_EMPLOYERS = {
    "pen": ("PEN", "PhilHealth Employer Number"),
    "employer": ("Employer Name", "Employer"),
    "start": ("Date Hired", "Date of Employment", "Start Date"),
    "end": ("Date Separated", "Separation Date", "End Date"),
    "status": ("Status", "Employment Status"),
}


def employments(page: Page) -> list[tuple[str, dict[str, object]]]:
    out = []
    for row in page.table(_EMPLOYERS, optional=("end", "status")):
        out.append(
            employment_payload(
                employer=row["employer"],
                employer_number=row["pen"],
                start=parse_date(row["start"], page=page),
                end=parse_optional_date(row.get("end"), page=page),
                status=row.get("status") or None,
            )
        )
    return out


_PREMIUMS = {
    "period": ("Applicable Period", "Period", "Month"),
    "amount": ("Amount Paid", "Amount", "Premium"),
    "reference": ("Receipt No.", "Receipt Number", "OR No."),
}


def premiums(page: Page) -> list[PostedContribution]:
    return [
        PostedContribution(
            month=parse_portal_month(row["period"], page=page),
            amount=parse_money(row["amount"], page=page),
            reference=row["reference"],
        )
        for row in page.table(_PREMIUMS)
    ]


_DOCUMENTS = {
    "name": ("Document", "Document Name"),
    "number": ("Number", "Document No.", "Document Number"),
    "category": ("Category", "Type"),
    "issued": ("Date Issued", "Issued"),
    "expires": ("Valid Until", "Expiry Date"),
    "remarks": ("Remarks",),
}


def documents(page: Page) -> list[FetchedRecord]:
    rows = page.table(_DOCUMENTS, optional=("category", "issued", "expires", "remarks"))
    return document_records(page, rows)
