"""The sandbox portals' members: who they are and what the portals know about them.

A persona is a definition (identity, career, loans, how their portal behaves); everything a
portal shows is computed from that definition and the sandbox clock's "today", through the
agencies' real contribution schedules (``sahod.agencies.schedules``) and a real
amortization formula. Nothing is random: numbers that look arbitrary (receipt numbers,
employer numbers) are digests of the persona and the record, so every run and every
process agrees on them.

Because loans and contributions are computed against "today", a portal moved forward a
month by the clock shows one more posted contribution and one more paid installment, the
way the real portals do between two monthly syncs.
"""

# The passwords below are the sandbox's published test credentials, not secrets.
# ruff: noqa: S105, S106

from __future__ import annotations

import calendar
import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from functools import lru_cache

from sahod.agencies.schedules import Agency, ContributionBreakdown, contribution_for, schedule_for
from sahod.kit.clock import PHILIPPINE_TIME

CENT = Decimal("0.01")

ERROR_CODES: tuple[str, ...] = (
    "ACCOUNT_DISABLED",
    "ACCOUNT_INACCESSIBLE",
    "ACCOUNT_INCOMPLETE",
    "ACCOUNT_LOCKED",
    "AUTH_REQUIRED",
    "EXPIRED_CREDENTIALS",
    "INVALID_ACCOUNT_TYPE",
    "INVALID_AUTH",
    "INVALID_CREDENTIALS",
    "INVALID_MFA",
    "MFA_TIMEOUT",
    "SERVICE_UNAVAILABLE",
    "SYSTEM_ERROR",
    "TOS_REQUIRED",
    "UNSUPPORTED_AUTH_TYPE",
    "UNSUPPORTED_MFA_METHOD",
)
"""The contract's account error codes; ``error_<CODE>`` as a password acts each one out."""

ERROR_PASSWORD_PREFIX = "error_"
SANDBOX_OTP = "1234"


def today_in_manila(now: datetime) -> date:
    return now.astimezone(PHILIPPINE_TIME).date()


def digest_digits(*parts: object, length: int) -> str:
    """Stable pseudo-random digits for ``parts``: same inputs, same number, any process."""
    seed = "|".join(str(p) for p in parts).encode()
    value = int.from_bytes(hashlib.sha256(seed).digest()[:12], "big")
    return str(value % 10**length).zfill(length)


def month_end(month: date) -> date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def first_of_month(day: date) -> date:
    return day.replace(day=1)


# ---------------------------------------------------------------------------------------
# Careers
# ---------------------------------------------------------------------------------------


class Sector(StrEnum):
    PRIVATE = "private"
    GOVERNMENT = "government"
    VOLUNTARY = "voluntary"
    """Paying SSS on one's own (a side business) while employed elsewhere."""


# Private employees are SSS members, government employees GSIS members; both are covered by
# PhilHealth and Pag-IBIG through the employer. A voluntary SSS member's PhilHealth and
# Pag-IBIG already come through their main job, so that stint reports to SSS alone.
_AGENCIES: Mapping[Sector, frozenset[Agency]] = {
    Sector.PRIVATE: frozenset({Agency.SSS, Agency.PHILHEALTH, Agency.PAGIBIG}),
    Sector.GOVERNMENT: frozenset({Agency.GSIS, Agency.PHILHEALTH, Agency.PAGIBIG}),
    Sector.VOLUNTARY: frozenset({Agency.SSS}),
}

_NUMBER_SHAPES: Mapping[Agency, tuple[int, ...]] = {
    Agency.SSS: (2, 7, 1),
    Agency.GSIS: (7,),
    Agency.PHILHEALTH: (2, 9, 1),
    Agency.PAGIBIG: (4, 4, 4),
}


def shaped(number: str, shape: tuple[int, ...]) -> str:
    parts, start = [], 0
    for size in shape:
        parts.append(number[start : start + size])
        start += size
    return "-".join(parts)


@dataclass(frozen=True)
class Employer:
    name: str
    code: str
    """Seed for the numbers each agency gives this employer."""
    city: str

    def number(self, agency: Agency) -> str:
        shape = _NUMBER_SHAPES[agency]
        return shaped(digest_digits("employer", self.code, agency, length=sum(shape)), shape)


@dataclass(frozen=True)
class Stint:
    employer: Employer | None
    """``None`` for a self-employed or voluntary member paying their own contributions."""
    sector: Sector
    start: date
    end: date | None
    job_title: str
    monthly_salary: Decimal
    """Basic monthly pay in the first year; raised by ``annual_raise`` each anniversary."""
    department: str | None = None
    status: str = "Permanent"
    annual_raise: Decimal = Decimal("0.05")

    @property
    def agencies(self) -> frozenset[Agency]:
        return _AGENCIES[self.sector]

    @property
    def reported(self) -> date:
        # Employers have 30 days to report a new hire; the sandbox's report within two weeks.
        return self.start + timedelta(days=12)

    def employee_number(self, persona_key: str) -> str:
        return "EMP-" + digest_digits(persona_key, self.start, length=6)

    def payor_name(self) -> str:
        return self.employer.name if self.employer else "SELF-EMPLOYED / VOLUNTARY"

    def covers(self, month: date) -> bool:
        return self.start <= month_end(month) and (self.end is None or self.end >= month)

    def salary_for(self, month: date) -> Decimal:
        years = month.year - self.start.year - ((month.month, 1) < (self.start.month, 1))
        raw = self.monthly_salary * (1 + self.annual_raise) ** max(years, 0)
        return (raw / 10).quantize(Decimal(1), rounding=ROUND_HALF_UP) * 10

    def months(self, until: date) -> Iterator[date]:
        month = first_of_month(self.start)
        last = first_of_month(min(self.end, until) if self.end else until)
        while month <= last:
            yield month
            month = add_months(month, 1)


# ---------------------------------------------------------------------------------------
# Loans
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoanProgram:
    agency: Agency
    name: str
    prefix: str
    annual_rate: Decimal
    term_months: int
    deferral_months: int
    """Months from release to the first amortization."""
    source: str


# SSS Salary Loan: 10% a year on the diminishing principal, 24 monthly amortizations,
# the first due on the second month after release. Figures as described at
# https://www.sssmaternitybenefitscalculator.com/sss-salary-loan/how-is-the-sss-salary-loan-amortization-calculated/
# (SSS cut the rate to 8% in 2025, per the same site's newer pages; the sandbox keeps 10%.)
SSS_SALARY_LOAN = LoanProgram(
    Agency.SSS,
    "Salary Loan",
    "SL",
    Decimal("0.10"),
    24,
    2,
    "SSS Salary Loan: 10% p.a. diminishing, 24 months",
)
# SSS Calamity Loan Assistance Program: same rate and term, first due on the third month.
SSS_CALAMITY_LOAN = LoanProgram(
    Agency.SSS,
    "Calamity Loan",
    "CL",
    Decimal("0.10"),
    24,
    3,
    "SSS Calamity Loan Assistance Program: 10% p.a., 24 months, 2-month grace",
)
# Pag-IBIG Multi-Purpose Loan: 10.5% a year, 24 or 36 monthly amortizations, deferred
# first payment (https://fastloans.ph/pag-ibig-loan/, https://newspapers.ph/?p=201283).
PAGIBIG_MPL_36 = LoanProgram(
    Agency.PAGIBIG,
    "Multi-Purpose Loan",
    "MPL",
    Decimal("0.105"),
    36,
    2,
    "Pag-IBIG MPL: 10.5% p.a., 36 months",
)
PAGIBIG_MPL_24 = LoanProgram(
    Agency.PAGIBIG,
    "Multi-Purpose Loan",
    "MPL",
    Decimal("0.105"),
    24,
    2,
    "Pag-IBIG MPL: 10.5% p.a., 24 months",
)
# Pag-IBIG Housing Loan: 30 years; 6.375% is the Fund's 10-year repricing rate of the
# early 2020s (an assumption of the sandbox, not checked against a circular).
PAGIBIG_HOUSING_LOAN = LoanProgram(
    Agency.PAGIBIG,
    "Housing Loan",
    "HL",
    Decimal("0.06375"),
    360,
    1,
    "Pag-IBIG Housing Loan: 6.375% p.a., 30 years",
)


@dataclass(frozen=True)
class Loan:
    program: LoanProgram
    amount: Decimal
    released: date
    renews_every_months: int | None = None
    """A member who takes the same loan again this many months after each release: the
    portal always shows a loan being paid down, whatever the clock says."""
    stopped_paying_after: int | None = None
    """Installments paid before the member stopped paying (the loan falls into arrears)."""


class InstallmentStatus(StrEnum):
    PAID = "PAID"
    OVERDUE = "OVERDUE"
    DUE = "DUE"
    UPCOMING = "NOT YET DUE"


@dataclass(frozen=True)
class Installment:
    number: int
    due: date
    amount: Decimal
    principal: Decimal
    interest: Decimal
    balance_after: Decimal
    status: InstallmentStatus


@dataclass(frozen=True)
class LoanState:
    program: LoanProgram
    reference: str
    released: date
    amount: Decimal
    amortization: Decimal
    schedule: tuple[Installment, ...]
    outstanding: Decimal
    overdue: Decimal
    next_payment: Decimal
    next_due: date | None

    @property
    def first_due(self) -> date:
        return self.schedule[0].due

    @property
    def last_due(self) -> date:
        return self.schedule[-1].due

    @property
    def status(self) -> str:
        if self.outstanding == 0:
            return "FULLY PAID"
        return "PAST DUE" if self.overdue > 0 else "ACTIVE"


def amortization(principal: Decimal, annual_rate: Decimal, months: int) -> Decimal:
    """The level monthly payment of a loan amortized on the diminishing balance."""
    rate = annual_rate / 12
    factor = (1 + rate) ** months
    return (principal * rate * factor / (factor - 1)).quantize(CENT, rounding=ROUND_HALF_UP)


def loan_state(
    persona_key: str, loan: Loan, today: date, *, released: date | None = None
) -> LoanState:
    """The loan as the portal shows it on ``today``; ``released`` picks one renewal."""
    released = released or loan.released
    program = loan.program
    rate = program.annual_rate / 12
    principal_amount = loan.amount.quantize(CENT)
    payment = amortization(principal_amount, program.annual_rate, program.term_months)
    first_due = add_months(released, program.deferral_months)
    balance = principal_amount
    paid_limit = loan.stopped_paying_after
    rows: list[Installment] = []
    outstanding = principal_amount
    overdue = Decimal("0.00")
    next_amount: Decimal | None = None
    next_due: date | None = None
    for number in range(1, program.term_months + 1):
        due = add_months(first_due, number - 1)
        interest = (balance * rate).quantize(CENT, rounding=ROUND_HALF_UP)
        principal = payment - interest if number < program.term_months else balance
        amount = principal + interest
        balance -= principal
        paying = paid_limit is None or number <= paid_limit
        if due <= today and paying:
            status = InstallmentStatus.PAID
            outstanding = balance
        elif due < today:
            status = InstallmentStatus.OVERDUE
            overdue += amount
        else:
            status = InstallmentStatus.DUE if next_amount is None else InstallmentStatus.UPCOMING
            if next_amount is None:
                next_amount, next_due = amount, due
        rows.append(Installment(number, due, amount, principal, interest, balance, status))
    reference = _loan_reference(persona_key, program, released)
    return LoanState(
        program=program,
        reference=reference,
        released=released,
        amount=principal_amount,
        amortization=payment,
        schedule=tuple(rows),
        outstanding=outstanding,
        overdue=overdue,
        next_payment=(next_amount or Decimal("0.00")) + overdue,
        next_due=next_due,
    )


def _loan_reference(persona_key: str, program: LoanProgram, released: date) -> str:
    if program.agency is Agency.SSS:
        # The seed's example, SL201601011234567: prefix, release date, seven digits.
        tail = digest_digits(persona_key, program.prefix, released, length=7)
        return f"{program.prefix}{released:%Y%m%d}{tail}"
    return f"{program.prefix}-{released:%y%m}-" + digest_digits(
        persona_key, program.prefix, released, length=8
    )


# ---------------------------------------------------------------------------------------
# Documents
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Document:
    agency: Agency
    name: str
    category: str
    """How the portal files it: ``ID Card`` or ``Certificate``."""
    number: str
    issued: date | None
    valid_until: date | None
    remarks: str | None = None


# ---------------------------------------------------------------------------------------
# Personas
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Address:
    line1: str
    line2: str
    city: str
    province: str
    zip: str

    @property
    def full(self) -> str:
        return f"{self.line1}, {self.line2}, {self.city}, {self.province} {self.zip}"


@dataclass(frozen=True)
class Behaviour:
    mfa: bool = True
    """The portal asks for a one-time code after the password."""
    always_mfa: bool = False
    """"Remember this device" is ignored: every sign-in asks for a code."""
    otp_ttl_seconds: int = 300
    slow: bool = False
    """Every page of this member's session waits ``FaultSettings.slow_persona_ms``."""
    flaky: bool = False
    """Every ``FaultSettings.flaky_every``-th page of this member's session is a 502."""
    new_password: str | None = None
    """After the first successful sign-in the member changes their password to this."""
    error: str | None = None
    """An error code this member's sign-in acts out (the ``error_<CODE>`` personas)."""


# eq=False: a persona is its own identity. The portals look histories up by persona on
# every page; hashing a whole career for each lookup costs more than the lookup saves.
@dataclass(frozen=True, eq=False)
class Persona:
    key: str
    summary: str
    email: str
    password: str
    first_name: str
    middle_name: str
    last_name: str
    suffix: str | None
    gender: str
    """``Male`` or ``Female``."""
    born: date
    civil_status: str
    """As the portals print it: SINGLE, MARRIED, WIDOWED, LEGALLY SEPARATED."""
    mobile: str
    """E.164."""
    address: Address
    career: tuple[Stint, ...]
    loans: tuple[Loan, ...] = ()
    member_numbers: Mapping[Agency, str] = field(default_factory=dict)
    behaviour: Behaviour = Behaviour()
    documented: bool = False
    """One of Smile's four published sandbox users."""

    @property
    def full_name(self) -> str:
        name = f"{self.first_name} {self.middle_name} {self.last_name}".replace("  ", " ")
        return f"{name}, {self.suffix}" if self.suffix else name

    def member_number(self, agency: Agency) -> str:
        if agency in self.member_numbers:
            return self.member_numbers[agency]
        shape = {Agency.GSIS: (11,)}.get(agency, _NUMBER_SHAPES[agency])
        number = digest_digits("member", self.key, agency, length=sum(shape))
        return shaped(number, shape)

    def crn(self) -> str:
        """The UMID common reference number (shared by SSS and GSIS)."""
        return shaped(digest_digits("crn", self.key, length=12), (4, 7, 1))

    def stints(self, agency: Agency) -> tuple[Stint, ...]:
        return tuple(s for s in self.career if agency in s.agencies)

    def member_since(self, agency: Agency) -> date:
        stints = self.stints(agency)
        return (
            min(s.start for s in stints) if stints else self.born.replace(year=self.born.year + 21)
        )

    def documents(self, agency: Agency) -> tuple[Document, ...]:
        return _documents(self, agency)

    def loan_states(self, agency: Agency, today: date) -> tuple[LoanState, ...]:
        return _loan_states(self, agency, today)

    def contributions(self, agency: Agency, today: date) -> tuple[Contribution, ...]:
        return _contributions(self, agency, today)


@dataclass(frozen=True)
class Contribution:
    month: date
    """The applicable month (its first day)."""
    stint: Stint
    salary: Decimal
    """The member's basic pay that month."""
    breakdown: ContributionBreakdown
    paid_on: date
    reference: str


@lru_cache(maxsize=8)
def earliest_online_month(agency: Agency) -> date:
    """Months before the first schedule Sahod knows are not shown (see schedules.py)."""
    probe = date(1990, 1, 1)
    while True:
        try:
            schedule_for(agency, probe)
        except ValueError:
            probe = add_months(probe, 1)
            continue
        return probe


_REFERENCE_PREFIX = {
    Agency.SSS: "SBR",
    Agency.GSIS: "GP",
    Agency.PHILHEALTH: "PR",
    Agency.PAGIBIG: "PA",
}


@lru_cache(maxsize=512)
def _contributions(persona: Persona, agency: Agency, today: date) -> tuple[Contribution, ...]:
    earliest = earliest_online_month(agency)
    rows: list[Contribution] = []
    for stint in persona.stints(agency):
        for month in stint.months(today):
            if month < earliest:
                continue
            # Remittances for a month are due, and arrive, in the following month.
            day = 10 + int(digest_digits(persona.key, agency, month, length=2)) % 15
            paid_on = add_months(month, 1).replace(day=day)
            if paid_on > today:
                continue
            salary = stint.salary_for(month)
            number = digest_digits("receipt", persona.key, agency, month, length=9)
            rows.append(
                Contribution(
                    month=month,
                    stint=stint,
                    salary=salary,
                    breakdown=contribution_for(agency, month, salary),
                    paid_on=paid_on,
                    reference=f"{_REFERENCE_PREFIX[agency]}{number}",
                )
            )
    rows.sort(key=lambda r: r.month)
    return tuple(rows)


@lru_cache(maxsize=512)
def _loan_states(persona: Persona, agency: Agency, today: date) -> tuple[LoanState, ...]:
    states: list[LoanState] = []
    for loan in persona.loans:
        if loan.program.agency is not agency:
            continue
        releases = [loan.released]
        if loan.renews_every_months:
            while (nxt := add_months(releases[-1], loan.renews_every_months)) <= today:
                releases.append(nxt)
        # Portals list the current loan and the two before it.
        for released in releases[-3:]:
            if released <= today:
                states.append(loan_state(persona.key, loan, today, released=released))
    states.sort(key=lambda s: s.released, reverse=True)
    return tuple(states)


def _documents(persona: Persona, agency: Agency) -> tuple[Document, ...]:
    since = persona.member_since(agency)
    key = persona.key
    if agency is Agency.SSS:
        return (
            Document(
                agency,
                "UMID Card",
                "ID Card",
                persona.crn(),
                since + timedelta(days=200),
                None,
                "Released",
            ),
            Document(
                agency,
                "SS Number Verification Slip (E-1)",
                "Certificate",
                "E1-" + digest_digits(key, "e1", length=8),
                since,
                None,
            ),
        )
    if agency is Agency.GSIS:
        return (
            Document(
                agency,
                "GSIS UMID eCard",
                "ID Card",
                persona.crn(),
                since + timedelta(days=150),
                since + timedelta(days=150 + 365 * 10),
                "Active",
            ),
            Document(
                agency,
                "Certificate of Membership",
                "Certificate",
                "COM-" + digest_digits(key, "com", length=8),
                since + timedelta(days=30),
                None,
            ),
        )
    if agency is Agency.PHILHEALTH:
        return (
            Document(
                agency,
                "PhilHealth ID Card",
                "ID Card",
                persona.member_number(agency),
                since + timedelta(days=60),
                None,
                "Claimed",
            ),
            Document(
                agency,
                "Member Data Record (MDR)",
                "Certificate",
                "MDR-" + digest_digits(key, "mdr", length=10),
                since + timedelta(days=20),
                None,
            ),
        )
    card_issued = since + timedelta(days=120)
    return (
        Document(
            agency,
            "Pag-IBIG Loyalty Card Plus",
            "ID Card",
            "LCP-" + digest_digits(key, "lcp", length=10),
            card_issued,
            card_issued.replace(year=card_issued.year + 5),
        ),
        Document(
            agency,
            "Member's Data Form (MDF)",
            "Certificate",
            "MDF-" + digest_digits(key, "mdf", length=10),
            since,
            None,
        ),
    )


# ---------------------------------------------------------------------------------------
# The catalogue
# ---------------------------------------------------------------------------------------

_D = Decimal

DOST = Employer("Department of Science and Technology", "dost", "Taguig City")
GLOBE = Employer("Globe Telecom, Inc.", "globe", "Taguig City")
ACCENTURE = Employer("Accenture Inc.", "accenture", "Quezon City")
CONCENTRIX = Employer("Concentrix CVG Philippines, Inc.", "concentrix", "Pasay City")
SM = Employer("SM Supermalls (Shopping Center Management Corp.)", "sm", "Pasay City")
DEPED_QC = Employer(
    "Department of Education - Schools Division of Quezon City", "deped-qc", "Quezon City"
)
PSA = Employer("Philippine Statistics Authority", "psa", "Quezon City")
BDO = Employer("BDO Unibank, Inc.", "bdo", "Makati City")
ST_LUKES = Employer("St. Luke's Medical Center, Inc.", "st-lukes", "Taguig City")
PGH = Employer("Philippine General Hospital (UP Manila)", "pgh", "Manila")
JOLLIBEE = Employer("Jollibee Foods Corporation", "jollibee", "Pasig City")
DPWH = Employer("Department of Public Works and Highways", "dpwh", "Manila")
CEBU_PACIFIC = Employer("Cebu Air, Inc.", "cebu-pacific", "Pasay City")
DEPED_CEBU = Employer(
    "Department of Education - Schools Division of Cebu City", "deped-cebu", "Cebu City"
)
ABOITIZ = Employer("Aboitiz Power Corporation", "aboitiz", "Taguig City")


def _generic(
    key: str,
    summary: str,
    email: str,
    password: str,
    names: tuple[str, str, str],
    *,
    gender: str,
    born: date,
    behaviour: Behaviour = Behaviour(),
    loans: tuple[Loan, ...] | None = None,
) -> Persona:
    """A member with a short, ordinary career on all four portals (the behaviour differs)."""
    first, middle, last = names
    return Persona(
        key=key,
        summary=summary,
        email=email,
        password=password,
        first_name=first,
        middle_name=middle,
        last_name=last,
        suffix=None,
        gender=gender,
        born=born,
        civil_status="SINGLE",
        mobile="+63917" + digest_digits("mobile", key, length=7),
        address=Address("45 Rizal Avenue", "Brgy. 310", "Manila", "Metro Manila", "1003"),
        career=(
            Stint(
                DPWH,
                Sector.GOVERNMENT,
                date(2019, 1, 2),
                date(2020, 12, 31),
                "Engineer I",
                _D(27000),
            ),
            Stint(
                JOLLIBEE,
                Sector.PRIVATE,
                date(2021, 2, 1),
                None,
                "Area Operations Analyst",
                _D(31000),
            ),
        ),
        loans=(
            (
                Loan(SSS_SALARY_LOAN, _D(20000), date(2022, 4, 11), renews_every_months=27),
                Loan(PAGIBIG_MPL_24, _D(30000), date(2023, 9, 4), renews_every_months=26),
            )
            if loans is None
            else loans
        ),
        behaviour=behaviour,
    )


PERSONAS: tuple[Persona, ...] = (
    Persona(
        key="george",
        summary="Smile sandbox user: private-sector engineer, earlier in government; SSS "
        "salary loan and Pag-IBIG MPL being paid down",
        email="gpalomero1234@smileapi.io",
        password="123456",
        first_name="George",
        middle_name="Cimafranca",
        last_name="Palomero",
        suffix="Jr",
        gender="Male",
        born=date(1990, 4, 12),
        civil_status="MARRIED",
        mobile="+639175551234",
        address=Address(
            "123 Mabini Street", "Brgy. San Antonio", "Pasig City", "Metro Manila", "1605"
        ),
        member_numbers={Agency.SSS: "33-0000000-8"},
        career=(
            Stint(
                DOST,
                Sector.GOVERNMENT,
                date(2014, 6, 2),
                date(2017, 3, 31),
                "Science Research Specialist I",
                _D(18549),
                department="ICT Office",
                annual_raise=_D("0.03"),
            ),
            Stint(
                GLOBE,
                Sector.PRIVATE,
                date(2017, 5, 2),
                date(2021, 8, 15),
                "Network Engineer",
                _D(32000),
                department="Network Operations",
                annual_raise=_D("0.06"),
            ),
            Stint(
                ACCENTURE,
                Sector.PRIVATE,
                date(2021, 9, 1),
                None,
                "Senior Software Engineer",
                _D(58000),
                department="Technology",
                annual_raise=_D("0.07"),
            ),
        ),
        loans=(
            Loan(SSS_SALARY_LOAN, _D(30000), date(2018, 2, 6), renews_every_months=27),
            Loan(PAGIBIG_MPL_36, _D(45000), date(2023, 6, 15), renews_every_months=38),
        ),
        documented=True,
    ),
    Persona(
        key="ryan",
        summary="Smile sandbox user: BPO and retail, now a public-school teacher; an SSS "
        "calamity loan left in arrears when he moved to government",
        email="ryan1234@smileapi.io",
        password="654321",
        first_name="Ryan",
        middle_name="Mendoza",
        last_name="Santos",
        suffix=None,
        gender="Male",
        born=date(1986, 9, 23),
        civil_status="SINGLE",
        mobile="+639285550187",
        address=Address(
            "8 Kalayaan Avenue", "Brgy. Pinyahan", "Quezon City", "Metro Manila", "1100"
        ),
        member_numbers={Agency.SSS: "34-1234567-2"},
        career=(
            Stint(
                CONCENTRIX,
                Sector.PRIVATE,
                date(2014, 2, 3),
                date(2017, 6, 30),
                "Customer Service Representative",
                _D(16000),
                department="Telco Account",
            ),
            Stint(
                SM,
                Sector.PRIVATE,
                date(2017, 7, 17),
                date(2019, 12, 31),
                "Operations Supervisor",
                _D(24000),
                department="Mall Operations",
            ),
            Stint(
                DEPED_QC,
                Sector.GOVERNMENT,
                date(2020, 2, 3),
                None,
                "Teacher I",
                _D(22316),
                department="Quezon City High School",
                annual_raise=_D("0.04"),
            ),
        ),
        loans=(
            Loan(SSS_SALARY_LOAN, _D(16000), date(2015, 8, 10)),
            Loan(SSS_CALAMITY_LOAN, _D(20000), date(2019, 9, 16), stopped_paying_after=3),
            Loan(PAGIBIG_MPL_24, _D(40000), date(2024, 4, 10), renews_every_months=25),
        ),
        documented=True,
    ),
    Persona(
        key="christina",
        summary="Smile sandbox user: statistician turned banker; a 30-year Pag-IBIG housing "
        "loan and a renewing SSS salary loan",
        email="christina4321@smileapi.io",
        password="YGUS1",
        first_name="Christina",
        middle_name="Reyes",
        last_name="Villanueva",
        suffix=None,
        gender="Female",
        born=date(1992, 1, 30),
        civil_status="MARRIED",
        mobile="+639178880142",
        address=Address(
            "Unit 1204 Avida Towers", "Brgy. Bel-Air", "Makati City", "Metro Manila", "1209"
        ),
        member_numbers={Agency.SSS: "33-4567890-1"},
        career=(
            Stint(
                PSA,
                Sector.GOVERNMENT,
                date(2014, 7, 1),
                date(2018, 5, 31),
                "Statistical Analyst",
                _D(21000),
                department="Census Planning",
                annual_raise=_D("0.04"),
            ),
            Stint(
                BDO,
                Sector.PRIVATE,
                date(2018, 7, 2),
                None,
                "Relationship Manager",
                _D(45000),
                department="Consumer Banking",
                annual_raise=_D("0.06"),
            ),
        ),
        loans=(
            Loan(SSS_SALARY_LOAN, _D(40000), date(2019, 10, 21), renews_every_months=30),
            Loan(PAGIBIG_HOUSING_LOAN, _D(1800000), date(2021, 3, 22)),
        ),
        documented=True,
    ),
    Persona(
        key="anisha",
        summary="Smile sandbox user: nurse, private hospital then the Philippine General "
        "Hospital; a renewing Pag-IBIG MPL, no SSS loan",
        email="anisha98765@smileapi.io",
        password="123456",
        first_name="Anisha",
        middle_name="Kapoor",
        last_name="Dizon",
        suffix=None,
        gender="Female",
        born=date(1995, 11, 5),
        civil_status="SINGLE",
        mobile="+639209990031",
        address=Address("17 Padre Faura Street", "Brgy. 669", "Manila", "Metro Manila", "1000"),
        member_numbers={Agency.SSS: "02-3456789-5"},
        career=(
            Stint(
                ST_LUKES,
                Sector.PRIVATE,
                date(2016, 6, 1),
                date(2019, 4, 30),
                "Staff Nurse",
                _D(20000),
                department="Emergency Room",
            ),
            Stint(
                PGH,
                Sector.GOVERNMENT,
                date(2019, 6, 3),
                None,
                "Nurse II",
                _D(36619),
                department="Department of Nursing",
                annual_raise=_D("0.04"),
            ),
        ),
        loans=(Loan(PAGIBIG_MPL_36, _D(60000), date(2021, 11, 8), renews_every_months=37),),
        documented=True,
    ),
    _generic(
        "nomfa",
        "No one-time code: the portal signs in on the password alone",
        "nomfa@sahod.test",
        "sandbox1",
        ("Maria", "Luz", "Fernandez"),
        gender="Female",
        born=date(1993, 3, 8),
        behaviour=Behaviour(mfa=False),
    ),
    _generic(
        "alwaysmfa",
        "Always asks for the code, even from a remembered device",
        "alwaysmfa@sahod.test",
        "sandbox1",
        ("Paolo", "Garcia", "Aquino"),
        gender="Male",
        born=date(1989, 12, 1),
        behaviour=Behaviour(always_mfa=True),
    ),
    _generic(
        "mfa-never",
        "Code never entered: the code expires 3 seconds (sandbox clock) after it is sent",
        "mfa.never@sahod.test",
        "sandbox1",
        ("Liza", "Torres", "Navarro"),
        gender="Female",
        born=date(1991, 6, 17),
        behaviour=Behaviour(otp_ttl_seconds=3),
    ),
    _generic(
        "slow",
        "Slow portal: every page of the session takes FaultSettings.slow_persona_ms",
        "slow@sahod.test",
        "sandbox1",
        ("Ramon", "Cruz", "Bautista"),
        gender="Male",
        born=date(1984, 2, 29),
        behaviour=Behaviour(slow=True),
    ),
    _generic(
        "flaky",
        "Flaky portal: every FaultSettings.flaky_every-th page of the session is a 502",
        "flaky@sahod.test",
        "sandbox1",
        ("Josefina", "Lim", "Ocampo"),
        gender="Female",
        born=date(1987, 8, 14),
        behaviour=Behaviour(flaky=True),
    ),
    _generic(
        "changed-password",
        "Changes the password after the first connection: the old one works once",
        "changed.password@sahod.test",
        "oldpass123",
        ("Andres", "Villareal", "Mercado"),
        gender="Male",
        born=date(1990, 10, 2),
        behaviour=Behaviour(new_password="newpass456"),
    ),
    _generic(
        "noloans",
        "Member with no loans on any portal",
        "noloans@sahod.test",
        "sandbox1",
        ("Grace", "Uy", "Tan"),
        gender="Female",
        born=date(1996, 4, 21),
        loans=(),
    ),
    Persona(
        key="longtime",
        summary="Hundreds of contribution rows: a teacher since 1997 with a private side job",
        email="longtime@sahod.test",
        password="sandbox1",
        first_name="Lorna",
        middle_name="Abad",
        last_name="Bautista",
        suffix=None,
        gender="Female",
        born=date(1972, 5, 9),
        civil_status="WIDOWED",
        mobile="+639189990777",
        address=Address("22 Osmeña Boulevard", "Brgy. Kalubihan", "Cebu City", "Cebu", "6000"),
        career=(
            Stint(
                DEPED_CEBU,
                Sector.GOVERNMENT,
                date(1997, 6, 16),
                None,
                "Master Teacher I",
                _D(8605),
                department="Abellana National School",
                annual_raise=_D("0.06"),
            ),
            Stint(
                None,
                Sector.VOLUNTARY,
                date(2014, 1, 1),
                None,
                "Tutor (voluntary member)",
                _D(9000),
                annual_raise=_D("0.05"),
            ),
        ),
        loans=(
            Loan(SSS_SALARY_LOAN, _D(18000), date(2016, 3, 14), renews_every_months=26),
            Loan(PAGIBIG_MPL_24, _D(50000), date(2012, 2, 20), renews_every_months=25),
        ),
    ),
)


def _check() -> None:
    # Two stints reporting to one agency in the same month would double a month's
    # contribution and make (account, month) references collide.
    for persona in PERSONAS:
        for agency in Agency:
            seen: set[date] = set()
            for stint in persona.stints(agency):
                months = set(stint.months(date(2100, 1, 1) if stint.end is None else stint.end))
                if seen & months:
                    raise RuntimeError(f"{persona.key}: overlapping {agency} employments")
                seen |= months
    emails = [p.email for p in PERSONAS]
    if len(set(emails)) != len(emails):
        raise RuntimeError("two personas share an e-mail address")


_check()

PERSONAS_BY_KEY: Mapping[str, Persona] = {p.key: p for p in PERSONAS}


def find_persona(agency: Agency, login: str) -> Persona | None:
    """The persona a portal's username field names: the e-mail, or on SSS the SS number."""
    wanted = login.strip().lower()
    numeric = "".join(c for c in wanted if c.isdigit())
    for persona in PERSONAS:
        if persona.email == wanted:
            return persona
        if (
            agency is Agency.SSS
            and len(numeric) == 10
            and numeric == "".join(c for c in persona.member_number(Agency.SSS) if c.isdigit())
        ):
            return persona
    return None


def error_code_in(password: str) -> str | None:
    if not password.startswith(ERROR_PASSWORD_PREFIX):
        return None
    code = password[len(ERROR_PASSWORD_PREFIX) :]
    return code if code in ERROR_CODES else None


def error_persona(code: str, login: str) -> Persona:
    """The member an ``error_<CODE>`` sign-in impersonates (needed when the error comes
    after sign-in, like SYSTEM_ERROR on the member pages)."""
    key = "error-" + code.lower().replace("_", "-")
    return _generic(
        key,
        f"Any username with the password error_{code}",
        login.strip().lower() or key,
        ERROR_PASSWORD_PREFIX + code,
        ("Juan", "Santos", "Dela Cruz"),
        gender="Male",
        born=date(1985, 1, 1),
        behaviour=Behaviour(error=code),
    )
