"""The sandbox My PhilHealth Portal: sign-in by e-mail, OTP by SMS.

PhilHealth shows the Member Data Record, the employers that remitted for the member, and
premium payments a year at a time (one amount per month, employee and employer halves
together). No loans: PhilHealth lends nothing.
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
    documents_page,
    esc,
    field_rows,
    table,
    year_links,
)

SPEC = PortalSpec(
    agency=Agency.PHILHEALTH,
    title="My PhilHealth Portal",
    session_cookie="phic_session",
    device_cookie="phic_trusted",
    csrf_field="csrfmiddlewaretoken",
    login_path="/member/login",
    otp_path="/member/login/verify",
    home_path="/member/home",
    logout_path="/member/logout",
    interstitials={
        "ACCOUNT_INCOMPLETE": (
            "/member/registration/complete",
            "Complete your registration",
            "Your registration is incomplete. Upload a valid ID to finish registering.",
        ),
        "EXPIRED_CREDENTIALS": (
            "/member/password/expired",
            "Update your password",
            "Your password has expired. Please update it to continue.",
        ),
        "TOS_REQUIRED": (
            "/member/privacy-consent",
            "Privacy Notice and Consent",
            "Please read and agree to the PhilHealth Privacy Notice to continue.",
        ),
        "UNSUPPORTED_AUTH_TYPE": (
            "/member/login/philsys",
            "Verify with PhilSys",
            "This account signs in through PhilSys face verification (eVerify).",
        ),
    },
    user_field="username",
    user_input_type="email",
    user_label="Email address",
    pin_input="password",
    otp_field="code",
    otp_input_type="tel",
    trust_field="remember_device",
    otp_channel="sms",
    alert_class="message-error",
    messages={
        "ACCOUNT_DISABLED": "Your portal account is disabled.",
        "ACCOUNT_INACCESSIBLE": "Your membership record is under review and cannot be "
        "accessed online.",
        "ACCOUNT_LOCKED": "Your account is temporarily locked.",
        "AUTH_REQUIRED": "Email address and password are required.",
        "INVALID_ACCOUNT_TYPE": "Employer accounts must use the Electronic Premium "
        "Remittance System (EPRS).",
        "INVALID_CREDENTIALS": "Incorrect email address or password.",
        "otp_wrong": "The code you entered is incorrect ({left} tries left).",
        "otp_expired": "The code has expired. Please log in again.",
        "otp_locked": "You have entered an incorrect code too many times. Please log in again.",
        "forbidden": "CSRF verification failed. Request aborted.",
        "expired_session": "You have been logged out due to inactivity.",
    },
    date_format="%B %d, %Y",
    month_format="%B %Y",
    money_prefix="PHP ",
)

_NAV = (
    ("/member/mdr", "Member Data Record"),
    ("/member/employers", "Employers"),
    ("/member/premiums", "Premium Contributions"),
    ("/member/documents", "Documents"),
)


def layout(spec: PortalSpec, title: str, body: str, persona: Persona | None, root: str) -> str:
    tabs = ""
    if persona is not None:
        tabs = "".join(f'<a class="tab" href="{esc(root + p)}">{esc(t)}</a>' for p, t in _NAV)
        tabs = f'<div class="tabs">{tabs}<a href="{esc(root)}/member/logout">Logout</a></div>'
    return f"""<!doctype html>
<html><head><title>{esc(title)}</title></head>
<body class="philhealth">
<div class="topbar"><strong>PhilHealth</strong> <em>Your Partner in Health</em></div>
{tabs}
<section class="page">{body}</section>
</body></html>"""


async def home(view: MemberView) -> str:
    return f"<h1>Hello, {esc(view.persona.first_name)}</h1><p>Membership: Employed / Active</p>"


async def mdr(view: MemberView) -> str:
    p, s = view.persona, view.spec
    a = p.address
    pairs = [
        ("PhilHealth Identification Number (PIN)", p.member_number(Agency.PHILHEALTH)),
        ("Last Name", p.last_name),
        ("First Name", p.first_name),
        ("Middle Name", p.middle_name),
        ("Name Extension", p.suffix or "N/A"),
        ("Date of Birth", s.fmt_date(p.born)),
        ("Sex", p.gender),
        ("Civil Status", p.civil_status.title()),
        ("Mobile Number", "+63 " + p.mobile[3:6] + " " + p.mobile[6:9] + " " + p.mobile[9:]),
        ("Email Address", p.email),
        ("Street", a.line1),
        ("Barangay", a.line2),
        ("City/Municipality", a.city),
        ("Province", a.province),
        ("ZIP Code", a.zip),
        ("Member Type", "Employed"),
    ]
    return "<h1>Member Data Record</h1>" + field_rows(pairs, variant=view.variant, css="mdr")


async def employers(view: MemberView) -> str:
    s = view.spec
    rows = []
    for stint in view.persona.stints(Agency.PHILHEALTH):
        if stint.employer is None:
            continue
        rows.append(
            [
                esc(stint.employer.number(Agency.PHILHEALTH)),
                esc(stint.employer.name),
                esc(s.fmt_date(stint.start)),
                esc(s.fmt_date(stint.end) if stint.end else "-"),
                "Active" if stint.end is None else "Separated",
            ]
        )
    headers = ("PEN", "Employer Name", "Date Hired", "Date Separated", "Status")
    return "<h1>Employers</h1>" + table(headers, rows, variant=view.variant)


async def premiums(view: MemberView) -> str:
    s = view.spec
    shown, years, year = contributions_in_chosen_year(view, Agency.PHILHEALTH)
    rows = []
    for c in shown:
        employer = c.stint.employer
        rows.append(
            [
                esc(s.fmt_month(c.month)),
                esc(employer.name if employer else "Individual Payor"),
                esc(employer.number(Agency.PHILHEALTH) if employer else "-"),
                esc(s.fmt_money(c.breakdown.total)),
                esc(c.reference),
                esc(s.fmt_date(c.paid_on)),
            ]
        )
    headers = (
        "Applicable Period",
        "Employer",
        "PEN",
        "Amount Paid",
        "Receipt No.",
        "Date Paid",
    )
    return (
        "<h1>Premium Contributions</h1>"
        + year_links(view, "/member/premiums", years, year)
        + table(headers, rows, variant=view.variant, empty="No contributions found.")
    )


async def documents(view: MemberView) -> str:
    return documents_page(
        view,
        Agency.PHILHEALTH,
        "Documents",
        ("Document", "Number", "Category", "Date Issued", "Valid Until", "Remarks"),
    )


def create_app(clock: Clock, faults: PortalFaults) -> Starlette:
    return Portal(
        spec=SPEC,
        clock=clock,
        faults=faults,
        layout=layout,
        home=home,
        member_pages=(
            ("/member/mdr", mdr),
            ("/member/employers", employers),
            ("/member/premiums", premiums),
            ("/member/documents", documents),
        ),
    ).app()
