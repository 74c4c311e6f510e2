"""The sandbox Virtual Pag-IBIG: sign-in by e-mail, OTP by e-mail.

Membership savings are listed a year at a time. Loans are not a table: each loan is a
card of labelled values on one page (no detail page, no schedule), the way Virtual
Pag-IBIG's loan inquiry shows them.
"""

from __future__ import annotations

from starlette.applications import Starlette

from sahod.agencies.schedules import Agency
from sahod.kit.clock import Clock
from sahod.sandbox.faults import PortalFaults
from sahod.sandbox.personas import Persona
from sahod.sandbox.portals.common import (
    MemberView,
    Portal,
    PortalSpec,
    contributions_in_chosen_year,
    definition_list,
    documents_page,
    esc,
    table,
    year_links,
)

SPEC = PortalSpec(
    agency=Agency.PAGIBIG,
    title="Virtual Pag-IBIG",
    session_cookie="VPSESSION",
    device_cookie="vp_device",
    csrf_field="authenticity_token",
    login_path="/vp/login",
    otp_path="/vp/login/otp",
    home_path="/vp/dashboard",
    logout_path="/vp/logout",
    interstitials={
        "ACCOUNT_INCOMPLETE": (
            "/vp/register/finish",
            "Finish your registration",
            "Your Virtual Pag-IBIG registration is incomplete. Verify your MID number to continue.",
        ),
        "EXPIRED_CREDENTIALS": (
            "/vp/password/renew",
            "Renew your password",
            "For your security, please renew your password.",
        ),
        "TOS_REQUIRED": (
            "/vp/terms",
            "Terms and Conditions",
            "You need to accept the Virtual Pag-IBIG Terms and Conditions.",
        ),
        "UNSUPPORTED_AUTH_TYPE": (
            "/vp/login/qr",
            "Scan to log in",
            "Log in by scanning the QR code with the Pag-IBIG Fund mobile app.",
        ),
    },
    user_field="email",
    user_input_type="email",
    user_label="Email",
    pin_input="password",
    otp_field="otp_code",
    otp_input_type="text",
    trust_field="trust_device",
    otp_channel="email",
    alert_class="notice notice-error",
    messages={
        "ACCOUNT_DISABLED": "This Virtual Pag-IBIG account has been deactivated.",
        "ACCOUNT_INACCESSIBLE": "We cannot open your account right now. Please visit a "
        "Pag-IBIG branch to update your membership record.",
        "ACCOUNT_LOCKED": "Your account is locked. Reset your password to unlock it.",
        "AUTH_REQUIRED": "Email and password can't be blank.",
        "INVALID_ACCOUNT_TYPE": "Employer accounts are not allowed on the member portal.",
        "INVALID_CREDENTIALS": "Invalid email or password.",
        "otp_wrong": "Wrong OTP. {left} attempt(s) remaining.",
        "otp_expired": "This OTP has expired. Please log in again.",
        "otp_locked": "Too many wrong OTP attempts. Please log in again.",
        "forbidden": "Invalid authenticity token.",
        "expired_session": "Your session expired. Please log in again.",
    },
    date_format="%Y-%m-%d",
    month_format="%m/%Y",
    money_prefix="₱",
)

_NAV = (
    ("/vp/profile", "Profile"),
    ("/vp/employment", "Employment"),
    ("/vp/savings", "Savings"),
    ("/vp/loans", "Loans"),
    ("/vp/documents", "Documents"),
)


def layout(spec: PortalSpec, title: str, body: str, persona: Persona | None, root: str) -> str:
    nav = ""
    if persona is not None:
        nav = "".join(f'<a href="{esc(root + p)}">{esc(t)}</a>' for p, t in _NAV)
        nav = f'<nav class="navbar">{nav}<a href="{esc(root)}/vp/logout">Log out</a></nav>'
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{esc(title)}</title></head>
<body>
<header><span class="logo">Pag-IBIG Fund</span></header>
{nav}
<main class="content">{body}</main>
<footer>Home Development Mutual Fund</footer>
</body></html>"""


async def home(view: MemberView) -> str:
    p = view.persona
    return f"<h1>Hi {esc(p.first_name)}!</h1><p>MID No.: {esc(p.member_number(Agency.PAGIBIG))}</p>"


async def profile(view: MemberView) -> str:
    p, s = view.persona, view.spec
    pairs = [
        ("Pag-IBIG MID No.", p.member_number(Agency.PAGIBIG)),
        ("Last Name", p.last_name),
        ("First Name", p.first_name),
        ("Middle Name", p.middle_name),
        ("Extension Name", p.suffix or ""),
        ("Birthdate", s.fmt_date(p.born)),
        ("Sex", p.gender),
        ("Marital Status", p.civil_status.title()),
        ("Cellphone No.", "0" + p.mobile[3:]),
        ("Email Address", p.email),
        ("Present Address", p.address.full),
    ]
    return "<h1>Member Profile</h1>" + definition_list(pairs, variant=view.variant)


async def employment(view: MemberView) -> str:
    s = view.spec
    rows = []
    for stint in view.persona.stints(Agency.PAGIBIG):
        if stint.employer is None:
            continue
        rows.append(
            [
                esc(stint.employer.number(Agency.PAGIBIG)),
                esc(stint.employer.name),
                esc(stint.job_title),
                esc(s.fmt_date(stint.start)),
                esc(s.fmt_date(stint.end) if stint.end else "Present"),
            ]
        )
    headers = ("Employer ID", "Employer Name", "Designation", "Period From", "Period To")
    return "<h1>Employment History</h1>" + table(headers, rows, variant=view.variant)


async def savings(view: MemberView) -> str:
    s = view.spec
    shown, years, year = contributions_in_chosen_year(view, Agency.PAGIBIG)
    rows = []
    for c in shown:
        b = c.breakdown
        rows.append(
            [
                esc(s.fmt_month(c.month)),
                esc(c.stint.payor_name()),
                esc(s.fmt_money(b.employee)),
                esc(s.fmt_money(b.employer)),
                esc(s.fmt_money(b.total)),
                esc(s.fmt_date(c.paid_on)),
                esc(c.reference),
            ]
        )
    headers = (
        "Period Covered",
        "Employer",
        "Employee Share",
        "Employer Share",
        "Total",
        "Posting Date",
        "Reference No.",
    )
    return (
        "<h1>Membership Savings</h1>"
        + year_links(view, "/vp/savings", years, year)
        + table(headers, rows, variant=view.variant, empty="No savings posted.")
    )


async def loans(view: MemberView) -> str:
    s = view.spec
    cards = []
    for loan in view.persona.loan_states(Agency.PAGIBIG, view.today):
        pairs = [
            ("Loan Account No.", loan.reference),
            ("Date Released", s.fmt_date(loan.released)),
            ("Loan Amount", s.fmt_money(loan.amount)),
            ("Loan Term", f"{loan.program.term_months} months"),
            ("Monthly Amortization", s.fmt_money(loan.amortization)),
            ("First Amortization", s.fmt_date(loan.first_due)),
            ("Maturity Date", s.fmt_date(loan.last_due)),
            ("Outstanding Balance", s.fmt_money(loan.outstanding)),
            ("Total Amount Due", s.fmt_money(loan.next_payment)),
            ("Past Due Amount", s.fmt_money(loan.overdue)),
            ("Status", loan.status.title()),
        ]
        cards.append(
            f'<section class="loan-card"><h3>{esc(loan.program.name)}</h3>'
            f"{definition_list(pairs, variant=view.variant)}</section>"
        )
    if not cards:
        return "<h1>My Loans</h1><p class='empty'>You have no existing loans.</p>"
    return "<h1>My Loans</h1>" + "".join(cards)


async def documents(view: MemberView) -> str:
    return documents_page(
        view,
        Agency.PAGIBIG,
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
            ("/vp/profile", profile),
            ("/vp/employment", employment),
            ("/vp/savings", savings),
            ("/vp/loans", loans),
            ("/vp/documents", documents),
        ),
    ).app()
