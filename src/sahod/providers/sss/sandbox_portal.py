"""The sandbox My.SSS: sign-in by user ID, e-mail or SS number, OTP by SMS.

Contributions are listed a year at a time with the EE/ER/EC split; loans are a list with
a detail page per loan carrying its amortization schedule.
"""

from __future__ import annotations

from starlette.applications import Starlette

from sahod.agencies.schedules import Agency
from sahod.kit.clock import Clock
from sahod.sandbox.faults import PortalFaults
from sahod.sandbox.personas import LoanState, Persona
from sahod.sandbox.portals.common import (
    MemberView,
    NotFound,
    Portal,
    PortalSpec,
    contributions_in_chosen_year,
    documents_page,
    esc,
    field_rows,
    table,
    year_links,
)

SPEC = PortalSpec(
    agency=Agency.SSS,
    title="My.SSS",
    session_cookie="JSESSIONID",
    device_cookie="SSS_TRUSTED_DEVICE",
    csrf_field="_csrf",
    login_path="/login",
    otp_path="/login/otp",
    home_path="/member/dashboard",
    logout_path="/logout",
    interstitials={
        "ACCOUNT_INCOMPLETE": (
            "/account/complete-registration",
            "Complete your registration",
            "Your online registration is not yet complete. Activate your account through "
            "the link sent to your e-mail and update your member data record.",
        ),
        "EXPIRED_CREDENTIALS": (
            "/account/change-password",
            "Change your password",
            "Your password has expired. Set a new password to continue.",
        ),
        "TOS_REQUIRED": (
            "/account/terms",
            "Terms of Service",
            "Please read and accept the updated My.SSS Terms of Service to continue.",
        ),
        "UNSUPPORTED_AUTH_TYPE": (
            "/login/mobile-app",
            "Log in with the SSS Mobile App",
            "Your account uses app-based log in. Scan the QR code with the SSS Mobile App.",
        ),
    },
    user_field="userId",
    user_input_type="text",
    user_label="User ID, e-mail or SS number",
    pin_input="password",
    otp_field="otp",
    otp_input_type="text",
    trust_field="trustDevice",
    otp_channel="sms",
    alert_class="alert alert-danger",
    messages={
        "ACCOUNT_DISABLED": "Your account has been deactivated. Please visit the nearest "
        "SSS branch.",
        "ACCOUNT_INACCESSIBLE": "Your account cannot be accessed at this time. Please call "
        "the SSS hotline.",
        "ACCOUNT_LOCKED": "Your account has been locked after several unsuccessful log in "
        "attempts.",
        "AUTH_REQUIRED": "Please enter your User ID and password.",
        "INVALID_ACCOUNT_TYPE": "This is an employer account. Please log in through the "
        "My.SSS Employer portal.",
        "INVALID_CREDENTIALS": "Invalid User ID or password.",
        "otp_wrong": "Invalid OTP. You have {left} attempt(s) remaining.",
        "otp_expired": "Your OTP has expired. Please log in again.",
        "otp_locked": "Too many invalid OTP attempts. Please log in again.",
        "forbidden": "Your request could not be verified. Please reload the page.",
        "expired_session": "Your session has expired. Please log in again.",
    },
    date_format="%m/%d/%Y",
    month_format="%b %Y",
    money_prefix="",
    upper_months=True,
)

_NAV = (
    ("/member/info", "Member Info"),
    ("/member/employment", "Employment History"),
    ("/member/contributions", "Contributions"),
    ("/member/loans", "Loans"),
    ("/member/documents", "Documents"),
)


def layout(spec: PortalSpec, title: str, body: str, persona: Persona | None, root: str) -> str:
    nav = ""
    if persona is not None:
        links = "".join(f'<li><a href="{esc(root + p)}">{esc(t)}</a></li>' for p, t in _NAV)
        nav = f'<nav class="sidebar"><ul>{links}</ul><a href="{esc(root)}/logout">Log out</a></nav>'
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{esc(title)}</title></head>
<body class="sss">
<header class="banner"><img src="#" alt="SSS"> <span>Social Security System</span></header>
<div class="container">{nav}<main>{body}</main></div>
<footer>&copy; Social Security System. All rights reserved.</footer>
</body></html>"""


async def home(view: MemberView) -> str:
    p = view.persona
    return (
        f"<h1>Welcome, {esc(p.first_name.upper())}!</h1>"
        f"<p>SS Number: {esc(p.member_number(Agency.SSS))}</p>"
        "<p>Membership status: ACTIVE</p>"
    )


async def member_info(view: MemberView) -> str:
    p, s = view.persona, view.spec
    pairs = [
        ("SS Number", p.member_number(Agency.SSS)),
        ("Common Reference Number (CRN)", p.crn()),
        ("Last Name", p.last_name.upper()),
        ("First Name", p.first_name.upper()),
        ("Middle Name", p.middle_name.upper()),
        ("Suffix", (p.suffix or "").upper()),
        ("Date of Birth", s.fmt_date(p.born)),
        ("Sex", p.gender.upper()),
        ("Civil Status", p.civil_status),
        ("Mobile Number", "0" + p.mobile[3:]),
        ("E-mail Address", p.email),
        ("Address", p.address.full.upper()),
    ]
    return "<h1>Member Information</h1>" + field_rows(pairs, variant=view.variant)


async def employment(view: MemberView) -> str:
    s = view.spec
    rows = []
    for stint in view.persona.stints(Agency.SSS):
        if stint.employer is None:
            continue
        rows.append(
            [
                esc(stint.employer.number(Agency.SSS)),
                esc(stint.employer.name.upper()),
                esc(s.fmt_date(stint.reported)),
                esc(s.fmt_date(stint.start)),
                esc(s.fmt_date(stint.end) if stint.end else ""),
            ]
        )
    headers = (
        "Employer ID",
        "Employer Name",
        "Date Reported",
        "Date of Employment",
        "Date of Separation",
    )
    return "<h1>Employment History</h1>" + table(headers, rows, variant=view.variant)


async def contributions(view: MemberView) -> str:
    s = view.spec
    shown, years, year = contributions_in_chosen_year(view, Agency.SSS)
    rows = []
    for c in shown:
        b = c.breakdown
        employer = c.stint.employer
        rows.append(
            [
                esc(s.fmt_month(c.month)),
                esc(employer.number(Agency.SSS) if employer else "-"),
                esc(c.stint.payor_name().upper()),
                esc(s.fmt_money(b.salary_base)),
                esc(s.fmt_money(b.employee)),
                esc(s.fmt_money(b.employer)),
                esc(s.fmt_money(b.ec)),
                esc(s.fmt_money(b.total)),
                esc(s.fmt_date(c.paid_on)),
                esc(c.reference),
            ]
        )
    headers = (
        "Applicable Month",
        "Employer ID",
        "Employer / Payor",
        "Monthly Salary Credit",
        "EE Share",
        "ER Share",
        "EC",
        "Total Contribution",
        "Date Paid",
        "Transaction No.",
    )
    filter_form = year_links(view, "/member/contributions", years, year)
    return (
        "<h1>Contributions</h1>"
        + filter_form
        + table(headers, rows, variant=view.variant, empty="No posted contributions.")
        + "<p class='note'>Contributions before 2014 are available at any SSS branch.</p>"
    )


def _loans(view: MemberView) -> tuple[LoanState, ...]:
    return view.persona.loan_states(Agency.SSS, view.today)


async def loans(view: MemberView) -> str:
    s = view.spec
    rows = []
    for loan in _loans(view):
        link = view.href(f"/member/loans/{loan.reference}")
        rows.append(
            [
                esc(loan.program.name.upper()),
                f'<a href="{esc(link)}">{esc(loan.reference)}</a>',
                esc(s.fmt_date(loan.released)),
                esc(s.fmt_money(loan.amount)),
                esc(loan.status),
            ]
        )
    headers = ("Loan Type", "Loan No.", "Date Granted", "Loan Amount", "Status")
    return "<h1>Loan Information</h1>" + table(
        headers, rows, variant=view.variant, empty="You have no loan records."
    )


async def loan_detail(view: MemberView) -> str:
    s = view.spec
    wanted = view.request.path_params.get("ref")
    loan = next((x for x in _loans(view) if x.reference == wanted), None)
    if loan is None:
        raise NotFound
    summary = [
        ("Loan Type", loan.program.name.upper()),
        ("Loan No.", loan.reference),
        ("Date Granted", s.fmt_date(loan.released)),
        ("Loan Amount", s.fmt_money(loan.amount)),
        ("Monthly Amortization", s.fmt_money(loan.amortization)),
        ("Term", f"{loan.program.term_months} months"),
        ("Interest Rate", f"{loan.program.annual_rate * 100:.2f}% per annum"),
        ("Outstanding Balance", s.fmt_money(loan.outstanding)),
        ("Amount Due", s.fmt_money(loan.next_payment)),
        ("Amount Past Due", s.fmt_money(loan.overdue)),
        ("Next Due Date", s.fmt_date(loan.next_due)),
    ]
    rows = [
        [
            str(i.number),
            esc(s.fmt_date(i.due)),
            esc(s.fmt_money(i.amount)),
            esc(s.fmt_money(i.principal)),
            esc(s.fmt_money(i.interest)),
            esc(s.fmt_money(i.balance_after)),
            esc(i.status.value),
        ]
        for i in loan.schedule
    ]
    headers = ("No.", "Due Date", "Amortization", "Principal", "Interest", "Balance", "Status")
    return (
        f"<h1>{esc(loan.program.name)} {esc(loan.reference)}</h1>"
        + field_rows(summary, variant=view.variant, css="loan-summary")
        + "<h2>Amortization Schedule</h2>"
        + table(headers, rows, variant=view.variant, css="schedule")
    )


async def documents(view: MemberView) -> str:
    return documents_page(
        view,
        Agency.SSS,
        "Documents",
        ("Document", "Document No.", "Category", "Date Issued", "Valid Until", "Remarks"),
    )


def create_app(clock: Clock, faults: PortalFaults) -> Starlette:
    return Portal(
        spec=SPEC,
        clock=clock,
        faults=faults,
        layout=layout,
        home=home,
        member_pages=(
            ("/member/info", member_info),
            ("/member/employment", employment),
            ("/member/contributions", contributions),
            ("/member/loans", loans),
            ("/member/loans/{ref}", loan_detail),
            ("/member/documents", documents),
        ),
    ).app()
