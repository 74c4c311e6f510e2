"""Reading Virtual Pag-IBIG pages, by label and header text.

Loans are cards of labelled values (one ``<dl>`` per loan under the loan's name), not a
table: each card is read on its own.
"""

from __future__ import annotations

from sahod.providers.base import FetchedRecord
from sahod.providers.html import Page, Values, clean, node_text
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
    born = v.get("Birthdate", "Date of Birth")
    line = v.get("Present Address", "Address", "Permanent Address")
    return identity_record(
        member_number=v.require("Pag-IBIG MID No.", "MID No.", "MID Number"),
        first=name_case(v.require("First Name")),
        middle=name_case(v.get("Middle Name")),
        last=name_case(v.require("Last Name", "Surname")),
        suffix=name_case(v.get("Extension Name", "Name Extension", "Suffix")),
        gender_text=v.get("Sex", "Gender"),
        born=parse_date(born, page=page) if born else None,
        civil_text=v.get("Marital Status", "Civil Status"),
        email=v.get("Email Address", "E-mail Address"),
        phone_text=v.get("Cellphone No.", "Mobile Number"),
        home=address(line) if line else None,
    )


_EMPLOYMENT = {
    "employer_id": ("Employer ID", "Employer No."),
    "employer": ("Employer Name", "Employer"),
    "designation": ("Designation", "Position"),
    "start": ("Period From", "From"),
    "end": ("Period To", "To"),
}


def employments(page: Page) -> list[tuple[str, dict[str, object]]]:
    out = []
    for row in page.table(_EMPLOYMENT, optional=("designation", "end")):
        out.append(
            employment_payload(
                employer=row["employer"],
                employer_number=row["employer_id"],
                start=parse_date(row["start"], page=page),
                end=parse_optional_date(row.get("end"), page=page),
                job_title=row.get("designation") or None,
            )
        )
    return out


_SAVINGS = {
    "period": ("Period Covered", "Period", "Month"),
    "ee": ("Employee Share", "EE Share", "EE"),
    "er": ("Employer Share", "ER Share", "ER"),
    "reference": ("Reference No.", "Reference Number", "Receipt No."),
}


def savings(page: Page) -> list[PostedContribution]:
    return [
        PostedContribution(
            month=parse_portal_month(row["period"], page=page),
            amount=parse_money(row["ee"], page=page) + parse_money(row["er"], page=page),
            reference=row["reference"],
        )
        for row in page.table(_SAVINGS)
    ]


def loans(page: Page) -> list[LoanFigures]:
    # A card is the innermost block holding one loan's list; a wrapper around several
    # cards would otherwise read as one loan with the first card's values.
    cards = [n for n in page.tree.css("section, article, div.card") if len(n.css("dl")) == 1]
    if not cards:
        heading = " ".join(page.texts("h1")).lower()
        if "loan" in heading and page.texts(".empty"):
            return []
        raise page.not_understood("neither loans nor a no-loans notice")
    out = []
    for card in cards:
        v = Values(page, page.labelled_values(card))
        title = card.css_first("h3, h2, h4")
        name = clean(node_text(title)) if title is not None else v.get("Loan Type")
        if not name:
            raise page.not_understood("a loan without a name")
        first_due = v.get("First Amortization", "First Amortization Date")
        maturity = v.get("Maturity Date", "Last Amortization")
        out.append(
            LoanFigures(
                type=loan_type(name),
                reference=v.require("Loan Account No.", "Application No.", "Loan No."),
                released=parse_date(v.require("Date Released", "Date Granted"), page=page),
                first_due=parse_optional_date(first_due, page=page),
                last_due=parse_optional_date(maturity, page=page),
                amount=parse_money(v.require("Loan Amount"), page=page),
                amortization=parse_money(v.require("Monthly Amortization"), page=page),
                outstanding=parse_money(v.require("Outstanding Balance"), page=page),
                next_payment=parse_money(v.require("Total Amount Due", "Amount Due"), page=page),
                overdue=parse_money(v.get("Past Due Amount", "Arrears") or "0", page=page),
            )
        )
    return out


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
