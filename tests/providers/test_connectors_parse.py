"""The connectors' page readers on hand-written HTML: cosmetic changes are shrugged off,
a page that is not understood is a typed SYSTEM_ERROR, never a guess."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from multidict import CIMultiDict, CIMultiDictProxy

from sahod.datapoints.kinds import DataPointKind as K
from sahod.providers.base import ErrorCode, PageNotUnderstood
from sahod.providers.gsis import parse as gsis
from sahod.providers.html import Page, header_key
from sahod.providers.http import CookieBag, PortalResponse
from sahod.providers.normalize import (
    address,
    name_case,
    other_years,
    parse_money,
    parse_portal_month,
    phone_e164,
)
from sahod.providers.pagibig import parse as pagibig
from sahod.providers.sss import parse as sss


def page(html: str, name: str = "test") -> Page:
    return Page(name, "http://portal.test/x", f"<html><body>{html}</body></html>")


SSS_CONTRIBUTIONS = """
<table><thead><tr><th>Applicable Month</th><th>Employer / Payor</th><th>EE Share</th>
<th>ER Share</th><th>EC</th><th>Transaction No.</th></tr></thead>
<tbody><tr><td>JAN 2024</td><td>ACME</td><td>900.00</td><td>1,900.00</td><td>30.00</td>
<td>SBR1</td></tr></tbody></table>"""

SSS_CONTRIBUTIONS_RESTYLED = """
<table class="new"><thead><tr>
  <th>  TRANSACTION&nbsp;NUMBER </th><th>Remarks</th><th>ec</th>
  <th>
     er   share
  </th><th>Posted On</th><th>ee share</th><th>applicable   month:</th></tr></thead>
<tbody><tr><td> SBR1 </td><td>POSTED</td><td>30.00</td><td>
  PHP 1,900.00 </td><td>02/10/2024</td><td>₱900.00</td><td>
  Jan 2024</td></tr>
<tr><td colspan="7">Total for 2024: 2,800.00</td></tr></tbody></table>"""


def test_sss_contributions_survive_reordering_renaming_and_padding() -> None:
    plain = sss.contributions(page(SSS_CONTRIBUTIONS))
    restyled = sss.contributions(page(SSS_CONTRIBUTIONS_RESTYLED))
    assert plain == restyled
    (row,) = plain
    assert (row.month, row.amount, row.reference) == (date(2024, 1, 1), Decimal("2800.00"), "SBR1")


def test_a_table_without_a_needed_column_is_not_understood() -> None:
    without_er = SSS_CONTRIBUTIONS.replace("<th>ER Share</th>", "<th>Share</th>")
    with pytest.raises(PageNotUnderstood) as caught:
        sss.contributions(page(without_er, "contributions"))
    assert caught.value.code is ErrorCode.SYSTEM_ERROR
    assert "contributions" in caught.value.message
    assert not caught.value.retriable


def test_a_redesigned_page_is_not_understood() -> None:
    cards = '<div class="tile"><span>SS Number</span><span>33-0000000-8</span></div>'
    with pytest.raises(PageNotUnderstood):
        sss.identity(page(cards, "member info"))


def test_an_amount_that_is_not_money_is_not_understood() -> None:
    broken = SSS_CONTRIBUTIONS.replace("900.00", "nine hundred")
    with pytest.raises(PageNotUnderstood):
        sss.contributions(page(broken))


def test_profile_fields_are_found_by_label_in_either_layout() -> None:
    rows = """<table>
      <tr><th>Civil Status</th><td>MARRIED</td></tr>
      <tr><th>SS Number</th><td>33-0000000-8</td></tr>
      <tr><th>First Name</th><td>GEORGE</td></tr><tr><th>Last Name</th><td>PALOMERO</td></tr>
      <tr><th>Middle Name</th><td>CIMAFRANCA</td></tr><tr><th>Suffix</th><td>JR</td></tr>
      <tr><th>Sex</th><td>MALE</td></tr><tr><th>Date of Birth</th><td>04/12/1990</td></tr>
      <tr><th>Mobile Number</th><td>0917 555 1234</td></tr></table>"""
    definitions = (
        "<dl>"
        + "".join(
            f"<div><dt> {k}: </dt><dd>\n {v} </dd></div>"
            for k, v in [
                ("Date of Birth", "04/12/1990"),
                ("SS No.", "33-0000000-8"),
                ("Given Name", "GEORGE"),
                ("Surname", "PALOMERO"),
                ("Middle Name", "CIMAFRANCA"),
                ("Name Extension", "JR"),
                ("Gender", "M"),
                ("Civil Status", "Married"),
                ("Cellphone Number", "+63 917 555 1234"),
            ]
        )
        + "</dl>"
    )
    first, second = sss.identity(page(rows)), sss.identity(page(definitions))
    assert first == second
    assert first.kind is K.IDENTITIES
    assert first.payload["fullName"] == "George Cimafranca Palomero, Jr"
    assert first.payload["phones"] == [{"number": "+639175551234", "type": "Mobile"}]
    assert first.payload["maritalStatus"] == "Married"


def test_pagibig_loan_cards_and_the_no_loans_notice() -> None:
    card = """<h1>My Loans</h1><section class="loan-card"><h3>MULTI-PURPOSE LOAN</h3><dl>
      <dt>Loan Account No.</dt><dd>MPL-1</dd><dt>Date Released</dt><dd>2025-01-15</dd>
      <dt>Loan Amount</dt><dd>₱30,000.00</dd><dt>Monthly Amortization</dt><dd>₱1,391.28</dd>
      <dt>First Amortization</dt><dd>2025-03-15</dd><dt>Maturity Date</dt><dd>2027-02-15</dd>
      <dt>Outstanding Balance</dt><dd>₱20,000.00</dd><dt>Total Amount Due</dt>
      <dd>₱2,782.56</dd><dt>Past Due Amount</dt><dd>₱1,391.28</dd></dl></section>"""
    (loan,) = pagibig.loans(page(card))
    assert loan.type == "Multi-Purpose Loan"
    assert loan.overdue == Decimal("1391.28")
    assert loan.last_due == date(2027, 2, 15)
    assert pagibig.loans(page("<h1>My Loans</h1><p class='empty'>None.</p>")) == []
    with pytest.raises(PageNotUnderstood):
        pagibig.loans(page("<h1>Welcome</h1>"))


def test_gsis_service_record_open_ended_assignment() -> None:
    html = """<table><tr><th>Agency Code</th><th>Agency</th><th>Position</th><th>From</th>
      <th>To</th></tr><tr><td>1234567</td><td>DepEd</td><td>Teacher I</td>
      <td>03-Feb-2020</td><td>Present</td></tr></table>"""
    ((reference, employment),) = gsis.employments(page(html))
    assert reference == "1234567:2020-02-03"
    assert employment["endDate"] is None and employment["jobTitle"] == "Teacher I"


def test_year_selector() -> None:
    html = '<select name="year"><option>2023</option><option selected>2024</option></select>'
    assert other_years(page(html)) == ["2023"]
    assert other_years(page("<p>no history</p>")) == []
    with pytest.raises(PageNotUnderstood):
        other_years(page('<select name="year"><option>2023</option></select>'))


@pytest.mark.parametrize(
    ("text", "amount"),
    [("1,234.50", "1234.50"), ("PHP 1,234.5", "1234.50"), ("₱ 0.00", "0.00"), ("-", "0.00")],
)
def test_money_as_portals_print_it(text: str, amount: str) -> None:
    assert parse_money(text, page=page("")) == Decimal(amount)


@pytest.mark.parametrize("text", ["JAN 2024", "2024-01", "01/2024", "January 2024", "Jan-2024"])
def test_months_as_portals_print_them(text: str) -> None:
    assert parse_portal_month(text, page=page("")) == date(2024, 1, 1)


def test_small_normalisations() -> None:
    assert phone_e164("0917 555 1234") == phone_e164("+63 917-555-1234") == "+639175551234"
    assert phone_e164("8-123-4567") is None, "a landline without area code is not guessed"
    assert name_case("DELA CRUZ III") == "Dela Cruz III"
    home = address("22 OSMEÑA BLVD., BRGY. KALUBIHAN, CEBU CITY, CEBU 6000")
    assert (home["line1"], home["city"], home["region"], home["zip"]) == (
        "22 Osmeña Blvd.",
        "Cebu City",
        "Cebu",
        "6000",
    )


def test_cookie_bag_follows_set_cookie_and_deletion() -> None:
    bag = CookieBag({"old": "1"})
    headers = CIMultiDict(
        [
            ("Set-Cookie", "JSESSIONID=abc; Path=/sss; HttpOnly"),
            ("set-cookie", "old=; Max-Age=0; Path=/"),
        ]
    )
    response = PortalResponse(200, CIMultiDictProxy(headers), "https://portal.test/sss", "")
    bag.absorb(response)
    assert bag.values == {"JSESSIONID": "abc"}
    assert bag.header() == "JSESSIONID=abc"


_COLUMNS = [
    ("Applicable Month", ["JAN 2024", "FEB 2024"]),
    ("Employer / Payor", ["ACME", "ACME"]),
    ("EE Share", ["900.00", "950.00"]),
    ("ER Share", ["1,900.00", "2,000.00"]),
    ("EC", ["30.00", "30.00"]),
    ("Transaction No.", ["SBR1", "SBR2"]),
]


@settings(max_examples=60, deadline=None)
@given(
    order=st.permutations(range(len(_COLUMNS))),
    extra=st.lists(
        st.text(alphabet=st.characters(whitelist_categories=("Lu", "Ll")), min_size=3, max_size=12),
        max_size=2,
    ),
    at=st.integers(min_value=0, max_value=len(_COLUMNS)),
    pad=st.sampled_from(["", " ", "\n   ", "&nbsp;", " \t"]),
    upper=st.booleans(),
)
def test_any_column_order_padding_or_extra_column_reads_the_same(
    order: list[int], extra: list[str], at: int, pad: str, upper: bool
) -> None:
    known = {"month", "ee", "er", "prn", "transaction number", "receipt no", "employee share"}
    assume(not any(header_key(name) in known for name in extra))
    columns = [_COLUMNS[i] for i in order]
    columns[at:at] = [(name, ["x", "y"]) for name in extra]
    head = "".join(f"<th>{pad}{h.upper() if upper else h}{pad}</th>" for h, _ in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{pad}{cells[r]}{pad}</td>" for _, cells in columns) + "</tr>"
        for r in range(2)
    )
    rows = sss.contributions(
        page(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
    )
    assert [(r.month, r.amount, r.reference) for r in rows] == [
        (date(2024, 1, 1), Decimal("2800.00"), "SBR1"),
        (date(2024, 2, 1), Decimal("2950.00"), "SBR2"),
    ]
