"""The sandbox eGSIS Member Online: sign-in by e-mail, verification code by e-mail.

GSIS knows government service only: a service record (position, status, salary per
assignment) and the monthly premium history with the basic salary each premium was
computed on. The seed lists no liabilities for GSIS, so no loan pages are modelled.
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
    agency=Agency.GSIS,
    title="eGSIS Member Online",
    session_cookie="ASP.NET_SessionId",
    device_cookie="egsis_device",
    csrf_field="__RequestVerificationToken",
    login_path="/mo/signin",
    otp_path="/mo/signin/verify",
    home_path="/mo/home",
    logout_path="/mo/signout",
    interstitials={
        "ACCOUNT_INCOMPLETE": (
            "/mo/account/activate",
            "Activate your account",
            "Your Member Online account is not yet activated. Confirm your membership "
            "details with your agency's HR officer to complete activation.",
        ),
        "EXPIRED_CREDENTIALS": (
            "/mo/account/password-expired",
            "Password expired",
            "Your password is more than 90 days old. Please create a new password.",
        ),
        "TOS_REQUIRED": (
            "/mo/account/consent",
            "Data Privacy Consent",
            "You must give your consent under the Data Privacy Act before continuing.",
        ),
        "UNSUPPORTED_AUTH_TYPE": (
            "/mo/signin/ecard",
            "Sign in with your UMID eCard",
            "This account signs in with the UMID eCard and PIN at a GWAPS kiosk.",
        ),
    },
    user_field="Email",
    user_input_type="email",
    user_label="E-mail address",
    pin_input="Password",
    otp_field="VerificationCode",
    otp_input_type="tel",
    trust_field="RememberBrowser",
    otp_channel="email",
    alert_class="validation-summary-errors",
    messages={
        "ACCOUNT_DISABLED": "This membership account has been disabled.",
        "ACCOUNT_INACCESSIBLE": "Access to this account is restricted. Please coordinate "
        "with your GSIS Branch Office.",
        "ACCOUNT_LOCKED": "Account locked: too many failed sign-in attempts. Try again "
        "after 30 minutes.",
        "AUTH_REQUIRED": "The E-mail and Password fields are required.",
        "INVALID_ACCOUNT_TYPE": "Agency (employer) accounts cannot sign in to Member Online.",
        "INVALID_CREDENTIALS": "The e-mail address or password is incorrect.",
        "otp_wrong": "Incorrect verification code. {left} attempt(s) left.",
        "otp_expired": "The verification code has expired. Please sign in again.",
        "otp_locked": "Verification failed too many times. Please sign in again.",
        "forbidden": "The anti-forgery token could not be validated.",
        "expired_session": "Your session timed out. Please sign in again.",
    },
    date_format="%d-%b-%Y",
    month_format="%Y-%m",
    money_prefix="",
)

_NAV = (
    ("/mo/member/profile", "My Profile"),
    ("/mo/member/service-record", "Service Record"),
    ("/mo/member/premiums", "Premium History"),
    ("/mo/member/documents", "My Documents"),
)


def layout(spec: PortalSpec, title: str, body: str, persona: Persona | None, root: str) -> str:
    menu = ""
    if persona is not None:
        items = " | ".join(f'<a href="{esc(root + p)}">{esc(t)}</a>' for p, t in _NAV)
        menu = f'<div class="menu">{items} | <a href="{esc(root)}/mo/signout">Sign out</a></div>'
    return f"""<!DOCTYPE html>
<html><head><title>{esc(title)}</title></head>
<body>
<div id="header"><h2 class="brand">GSIS</h2>{menu}</div>
<div id="content" class="body-content">{body}</div>
<div id="footer">Government Service Insurance System</div>
</body></html>"""


async def home(view: MemberView) -> str:
    p = view.persona
    return (
        f"<h1>Good day, {esc(p.first_name)}!</h1>"
        f"<p>BP Number: {esc(p.member_number(Agency.GSIS))}</p>"
    )


async def profile(view: MemberView) -> str:
    p, s = view.persona, view.spec
    pairs = [
        ("BP Number", p.member_number(Agency.GSIS)),
        ("CRN", p.crn()),
        ("Surname", p.last_name),
        ("First Name", p.first_name),
        ("Middle Name", p.middle_name),
        ("Name Extension", p.suffix or ""),
        ("Birth Date", s.fmt_date(p.born)),
        ("Sex", p.gender[0]),
        ("Civil Status", p.civil_status.title()),
        ("Mobile No.", p.mobile),
        ("E-mail", p.email),
        ("Mailing Address", p.address.full),
    ]
    return "<h1>My Profile</h1>" + definition_list(pairs, variant=view.variant, css="profile")


async def service_record(view: MemberView) -> str:
    s = view.spec
    rows = []
    for stint in view.persona.stints(Agency.GSIS):
        if stint.employer is None:
            continue
        rows.append(
            [
                esc(stint.employer.number(Agency.GSIS)),
                esc(stint.employer.name),
                esc(stint.department or ""),
                esc(stint.job_title),
                esc(stint.status),
                esc(s.fmt_money(stint.monthly_salary)),
                esc(s.fmt_date(stint.start)),
                esc(s.fmt_date(stint.end) if stint.end else "Present"),
            ]
        )
    headers = (
        "Agency Code",
        "Agency",
        "Office / Station",
        "Position",
        "Status",
        "Monthly Salary",
        "From",
        "To",
    )
    return "<h1>Service Record</h1>" + table(headers, rows, variant=view.variant)


async def premiums(view: MemberView) -> str:
    s = view.spec
    shown, years, year = contributions_in_chosen_year(view, Agency.GSIS)
    rows = []
    for c in shown:
        b = c.breakdown
        rows.append(
            [
                esc(s.fmt_month(c.month)),
                esc(c.stint.payor_name()),
                esc(s.fmt_money(c.salary)),
                esc(s.fmt_money(b.employee)),
                esc(s.fmt_money(b.employer)),
                esc(s.fmt_money(b.total)),
                esc(s.fmt_date(c.paid_on)),
                esc(c.reference),
            ]
        )
    headers = (
        "Period",
        "Agency",
        "Basic Monthly Salary",
        "Personal Share",
        "Government Share",
        "Total Premium",
        "Date Posted",
        "Reference No.",
    )
    return (
        "<h1>Premium History</h1>"
        + year_links(view, "/mo/member/premiums", years, year)
        + table(headers, rows, variant=view.variant, empty="No premium records.")
    )


async def documents(view: MemberView) -> str:
    return documents_page(
        view,
        Agency.GSIS,
        "My Documents",
        ("Document", "Reference No.", "Type", "Issued", "Expiry", "Remarks"),
    )


def create_app(clock: Clock, faults: PortalFaults) -> Starlette:
    return Portal(
        spec=SPEC,
        clock=clock,
        faults=faults,
        layout=layout,
        home=home,
        member_pages=(
            ("/mo/member/profile", profile),
            ("/mo/member/service-record", service_record),
            ("/mo/member/premiums", premiums),
            ("/mo/member/documents", documents),
        ),
    ).app()
