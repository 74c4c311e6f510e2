"""The agencies' contribution schedules, as data, and the contribution they prescribe.

Every schedule below is a frozen record with the month it took effect, the last day it was
in force, its figures and the public source they were checked against. The functions at
the bottom hold no figure of their own: they read whatever schedule is in force on a month.

Two shapes cover the four agencies:

* ``BracketSchedule``: a published table of compensation ranges, each mapped to a salary
  base (SSS's monthly salary credit, PhilHealth's salary base before 2018) and to fixed
  employee / employer amounts.
* ``RateSchedule``: a straight percentage of the income, optionally held between a floor
  and a ceiling (PhilHealth from 2018, Pag-IBIG, GSIS).

``ContributionBreakdown.total`` is employee + employer share. SSS's employees' compensation
(EC) premium is paid by the employer on top and kept apart in ``ec``, because the SSS
tables print it apart and because it follows a different rule (a flat 10 or 30 pesos).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from itertools import pairwise
from typing import TypeAlias

CENTAVO = Decimal("0.01")
ZERO = Decimal("0.00")


def round_centavos(value: Decimal | int | str) -> Decimal:
    """Round to centavos the way the agencies' tables and advisories do (half up)."""
    return Decimal(value).quantize(CENTAVO, rounding=ROUND_HALF_UP)


def month_start(day: date) -> date:
    """The first of ``day``'s month; contributions are owed per *applicable month*."""
    return date(day.year, day.month, 1)


class Agency(StrEnum):
    SSS = "sss"
    GSIS = "gsis"
    PHILHEALTH = "philhealth"
    PAGIBIG = "pagibig"


@dataclass(frozen=True, slots=True)
class Source:
    citation: str
    """The circular, law or advisory that sets the figures."""
    url: str
    """A public page carrying the figures (official where one could be found)."""


@dataclass(frozen=True, slots=True)
class Bracket:
    low: Decimal
    """Lowest monthly compensation in the bracket."""
    high: Decimal | None
    """Highest compensation, centavo-inclusive; ``None`` for the open-ended top bracket."""
    salary_base: Decimal
    """SSS: the monthly salary credit (regular + provident part). PhilHealth: salary base."""
    employee: Decimal
    employer: Decimal
    ec: Decimal = ZERO
    provident: Decimal = ZERO
    """The part of employee + employer that goes to SSS's WISP / MPF provident fund."""

    @property
    def total(self) -> Decimal:
        return self.employee + self.employer


@dataclass(frozen=True, slots=True)
class BracketSchedule:
    id: str
    agency: Agency
    effective_from: date
    effective_to: date | None
    """Last day in force; ``None`` while still in force."""
    total_rate: Decimal
    """The headline rate; documentary, since the table rows are what the agency collects."""
    brackets: tuple[Bracket, ...]
    source: Source
    note: str = ""

    def __hash__(self) -> int:
        # By id alone: estimates are cached per (schedule, amount), and the generated hash
        # walked every bracket on each lookup (about 6% of a portal fetch's CPU).
        return hash(self.id)

    @property
    def ceiling(self) -> Decimal:
        """The largest salary base: income above it no longer raises the contribution."""
        return self.brackets[-1].salary_base


class Split(StrEnum):
    EACH_SHARE = "each_share"
    """Each share is its own rate times the base, rounded (GSIS, Pag-IBIG)."""
    EQUAL_HALVES = "equal_halves"
    """The premium is rounded first, then halved; the employee absorbs an odd centavo
    (PhilHealth Advisory 2018-0003's sample computation)."""


@dataclass(frozen=True, slots=True)
class RateTier:
    up_to: Decimal | None
    """Inclusive top of the (floored / capped) base this tier applies to; ``None``: no top."""
    employee_rate: Decimal
    employer_rate: Decimal


@dataclass(frozen=True, slots=True)
class RateSchedule:
    id: str
    agency: Agency
    effective_from: date
    effective_to: date | None
    """Last day in force; ``None`` while still in force."""
    tiers: tuple[RateTier, ...]
    floor: Decimal | None
    """Income below it pays as if it earned the floor."""
    ceiling: Decimal | None
    """Income above it pays as if it earned the ceiling."""
    split: Split
    source: Source
    note: str = ""

    def __hash__(self) -> int:
        # By id alone: estimates are cached per (schedule, amount), and the generated hash
        # walked every bracket on each lookup (about 6% of a portal fetch's CPU).
        return hash(self.id)


Schedule: TypeAlias = BracketSchedule | RateSchedule


@dataclass(frozen=True, slots=True)
class ContributionBreakdown:
    employee: Decimal
    employer: Decimal
    total: Decimal
    """employee + employer; SSS's EC premium is not included (see ``ec``)."""
    salary_base: Decimal
    """MSC (SSS), premium base (PhilHealth), fund salary (Pag-IBIG), basic salary (GSIS)."""
    capped: bool
    """The income was above the schedule's ceiling, so the contribution hides part of it."""
    schedule_id: str
    ec: Decimal = ZERO
    """SSS employees' compensation premium, employer-paid, outside ``total``."""
    provident: Decimal = ZERO
    """SSS: the part of ``total`` credited to the WISP / MPF provident fund."""


# --- building tables from their published parameters ---------------------------------
#
# The SSS and 2014 PhilHealth tables are regular ladders: each row's salary base is a fixed
# step above the previous one. Writing every row out by hand invites typos, so the rows are
# generated from the parameters the circulars state, and tests/providers/test_schedules.py
# compares rows against the agencies' printed tables.


def _d(text: str) -> tuple[Decimal, ...]:
    return tuple(Decimal(part) for part in text.split())


def _ladder(
    *,
    first_base: Decimal,
    last_base: Decimal,
    step: Decimal,
    starts_below_base: Decimal,
    employee_rate: Decimal,
    employer_rate: Decimal,
    regular_cap: Decimal | None = None,
    ec_below: Decimal = ZERO,
    ec_from: Decimal = ZERO,
    ec_threshold: Decimal | None = None,
    employee_shares: tuple[Decimal, ...] | None = None,
) -> tuple[Bracket, ...]:
    """Rows of a bracket table.

    ``starts_below_base``: how far below its salary base a row's range begins (SSS centres
    each range on the MSC; PhilHealth 2014 started each range at its base). The first row
    always starts at zero: every table applies its minimum to any lower income.
    ``regular_cap``: SSS's regular-program MSC cap; the MSC above it is provident fund.
    ``employee_shares``: the printed employee column, where it is not a plain percentage.
    """
    count = int((last_base - first_base) / step) + 1
    bases = [first_base + step * i for i in range(count)]
    if employee_shares is not None and len(employee_shares) != count:
        raise ValueError("employee_shares must have one entry per row")
    total_rate = employee_rate + employer_rate
    rows: list[Bracket] = []
    for i, base in enumerate(bases):
        low = ZERO if i == 0 else round_centavos(base - starts_below_base)
        high = (
            None if i == count - 1 else round_centavos(bases[i + 1] - starts_below_base - CENTAVO)
        )
        if employee_shares is None:
            employee = round_centavos(base * employee_rate)
            employer = round_centavos(base * employer_rate)
        else:
            employee = round_centavos(employee_shares[i])
            employer = round_centavos(base * total_rate) - employee
        provident = ZERO
        if regular_cap is not None and base > regular_cap:
            provident = round_centavos((base - regular_cap) * total_rate)
        ec = ZERO
        if ec_threshold is not None:
            ec = ec_from if base >= ec_threshold else ec_below
        rows.append(
            Bracket(
                low, high, round_centavos(base), employee, employer, round_centavos(ec), provident
            )
        )
    return tuple(rows)


# --- SSS -------------------------------------------------------------------------------
#
# Business employers and employees. Every SSS table since 2014 has MSC rows 500 pesos apart,
# each covering compensation from 250 below to 250 above the MSC, and an EC premium of 10
# pesos below an MSC of 15,000 and 30 from 15,000 up.

_SSS_STEP = Decimal(500)
_SSS_HALF_STEP = Decimal(250)

# The 2014 table's employee column is not a clean 3.63%: it is the 2013 column (MSC / 30,
# printed to 10 centavos) plus the 0.3% increase. These are the printed figures, MSC
# 1,000 → 16,000. Checked against the employed-member table reproduced at sssguides.com
# for MSC 1,000-15,000 and against a worked example for 16,000 (581.30); the 15,500 row
# (563.20) follows the same rule but no copy of that row was found to check it against.
_SSS_2014_EMPLOYEE = _d(
    "36.30 54.50 72.70 90.80 109.00 127.20 145.30 163.50 181.70 199.80 218.00 236.20"
    " 254.30 272.50 290.70 308.80 327.00 345.20 363.30 381.50 399.70 417.80 436.00"
    " 454.20 472.30 490.50 508.70 526.80 545.00 563.20 581.30"
)

SSS_SCHEDULES: tuple[BracketSchedule, ...] = (
    BracketSchedule(
        id="sss-2014-01",
        agency=Agency.SSS,
        effective_from=date(2014, 1, 1),
        effective_to=date(2019, 3, 31),
        total_rate=Decimal("0.11"),
        brackets=_ladder(
            first_base=Decimal(1000),
            last_base=Decimal(16000),
            step=_SSS_STEP,
            starts_below_base=_SSS_HALF_STEP,
            employee_rate=Decimal("0.0363"),
            employer_rate=Decimal("0.0737"),
            ec_below=Decimal(10),
            ec_from=Decimal(30),
            ec_threshold=Decimal(15000),
            employee_shares=_SSS_2014_EMPLOYEE,
        ),
        source=Source(
            "SSS Circular No. 2013-010 (SSC Res. 262-s.2013, 711-s.2013): 11% (ER 7.37%, "
            "EE 3.63%), MSC 1,000-16,000, applicable month January 2014",
            "http://el-services.blogspot.com/2013/12/sss-new-contribution-bracket-effective.html",
        ),
        note="The printed table's first row reads 1,000-1,249.99; lower pay still owes it.",
    ),
    BracketSchedule(
        id="sss-2019-04",
        agency=Agency.SSS,
        effective_from=date(2019, 4, 1),
        effective_to=date(2020, 12, 31),
        total_rate=Decimal("0.12"),
        brackets=_ladder(
            first_base=Decimal(2000),
            last_base=Decimal(20000),
            step=_SSS_STEP,
            starts_below_base=_SSS_HALF_STEP,
            employee_rate=Decimal("0.04"),
            employer_rate=Decimal("0.08"),
            ec_below=Decimal(10),
            ec_from=Decimal(30),
            ec_threshold=Decimal(15000),
        ),
        source=Source(
            "SSS Circular No. 2019-005 (RA 11199, SSC Res. 16-s.2019): 12% (ER 8%, EE 4%), "
            "MSC 2,000-20,000, applicable month April 2019",
            "https://www.sss.gov.ph/sss/DownloadContent?fileName=2019_Contribution_Schedule.pdf",
        ),
    ),
    BracketSchedule(
        id="sss-2021-01",
        agency=Agency.SSS,
        effective_from=date(2021, 1, 1),
        effective_to=date(2022, 12, 31),
        total_rate=Decimal("0.13"),
        brackets=_ladder(
            first_base=Decimal(3000),
            last_base=Decimal(25000),
            step=_SSS_STEP,
            starts_below_base=_SSS_HALF_STEP,
            employee_rate=Decimal("0.045"),
            employer_rate=Decimal("0.085"),
            regular_cap=Decimal(20000),
            ec_below=Decimal(10),
            ec_from=Decimal(30),
            ec_threshold=Decimal(15000),
        ),
        source=Source(
            "SSS Circular No. 2020-033-b (RA 11199), as of 22 December 2020: 13% (ER 8.5%, "
            "EE 4.5%), MSC 3,000-25,000 of which above 20,000 goes to WISP, January 2021",
            "https://www.scribd.com/document/573024635/2021-Contribution-Schedule",
        ),
    ),
    BracketSchedule(
        id="sss-2023-01",
        agency=Agency.SSS,
        effective_from=date(2023, 1, 1),
        effective_to=date(2024, 12, 31),
        total_rate=Decimal("0.14"),
        brackets=_ladder(
            first_base=Decimal(4000),
            last_base=Decimal(30000),
            step=_SSS_STEP,
            starts_below_base=_SSS_HALF_STEP,
            employee_rate=Decimal("0.045"),
            employer_rate=Decimal("0.095"),
            regular_cap=Decimal(20000),
            ec_below=Decimal(10),
            ec_from=Decimal(30),
            ec_threshold=Decimal(15000),
        ),
        source=Source(
            "SSS Circular No. 2022-033 (RA 11199, SSC Res. 751-s.2022): 14% (ER 9.5%, "
            "EE 4.5%), MSC 4,000-30,000 of which above 20,000 goes to MPF, January 2023",
            "https://accountaholicsph.com/attention-changes-in-sss-contributions-this-2023/",
        ),
    ),
    BracketSchedule(
        id="sss-2025-01",
        agency=Agency.SSS,
        effective_from=date(2025, 1, 1),
        effective_to=None,
        total_rate=Decimal("0.15"),
        brackets=_ladder(
            first_base=Decimal(5000),
            last_base=Decimal(35000),
            step=_SSS_STEP,
            starts_below_base=_SSS_HALF_STEP,
            employee_rate=Decimal("0.05"),
            employer_rate=Decimal("0.10"),
            regular_cap=Decimal(20000),
            ec_below=Decimal(10),
            ec_from=Decimal(30),
            ec_threshold=Decimal(15000),
        ),
        source=Source(
            "SSS Circular No. 2024-006 (RA 11199's last step): 15% (ER 10%, EE 5%), "
            "MSC 5,000-35,000 of which above 20,000 goes to MPF, January 2025",
            "https://www.sss.gov.ph/sss-contribution-table/",
        ),
    ),
)


# --- PhilHealth ------------------------------------------------------------------------
#
# Employed members. From 2018 the premium is a straight percentage of the monthly basic
# salary between a floor and a ceiling, split equally. The UHC Act (RA 11223) scheduled
# yearly steps that were twice suspended, so the years below are what was collected.


def _philhealth_rate(
    *,
    id: str,
    effective_from: date,
    effective_to: date | None,
    rate: str,
    floor: int,
    ceiling: int,
    source: Source,
    note: str = "",
) -> RateSchedule:
    half = Decimal(rate) / 2
    return RateSchedule(
        id=id,
        agency=Agency.PHILHEALTH,
        effective_from=effective_from,
        effective_to=effective_to,
        tiers=(RateTier(None, half, half),),
        floor=Decimal(floor),
        ceiling=Decimal(ceiling),
        split=Split.EQUAL_HALVES,
        source=source,
        note=note,
    )


_UHC_2019_0009 = (
    "PhilHealth Circular No. 2019-0009 (UHC Act, RA 11223 s.10), revised by Circular No. 2020-0005"
)

PHILHEALTH_SCHEDULES: tuple[Schedule, ...] = (
    BracketSchedule(
        id="philhealth-2014-01",
        agency=Agency.PHILHEALTH,
        effective_from=date(2014, 1, 1),
        effective_to=date(2017, 12, 31),
        total_rate=Decimal("0.025"),
        brackets=_ladder(
            first_base=Decimal(8000),
            last_base=Decimal(35000),
            step=Decimal(1000),
            starts_below_base=ZERO,
            employee_rate=Decimal("0.0125"),
            employer_rate=Decimal("0.0125"),
        ),
        source=Source(
            "PhilHealth Circular No. 27 s.2013: 2.5% of a bracketed salary base, "
            "8,000 (pay below 9,000) to 35,000 (pay of 35,000 and up), CY 2014 onwards",
            "https://www.slideshare.net/slideshow/pc-27-on-employed-sector-premium-schedule-for-cag/28622772",
        ),
    ),
    _philhealth_rate(
        id="philhealth-2018-01",
        effective_from=date(2018, 1, 1),
        effective_to=date(2019, 11, 30),
        rate="0.0275",
        floor=10000,
        ceiling=40000,
        source=Source(
            "PhilHealth Circular No. 2017-0024 and Advisory No. 2018-0003: 2.75% straight "
            "on basic salary, floor 10,000, ceiling 40,000, applicable month January 2018",
            "https://www.scribd.com/document/430416217/PremiumContributionTable-pdf",
        ),
        note="Still in force for January-November 2019: Circular 2019-0009 began in December.",
    ),
    _philhealth_rate(
        id="philhealth-2019-12",
        effective_from=date(2019, 12, 1),
        effective_to=date(2019, 12, 31),
        rate="0.0275",
        floor=10000,
        ceiling=50000,
        source=Source(
            f"{_UHC_2019_0009}: 2019 row, 2.75%, 10,000-50,000, applicable month December 2019",
            "https://www.philstar.com/headlines/2019/12/03/1973778/new-philhealth-premium-rates-take-effect-december-7",
        ),
    ),
    _philhealth_rate(
        id="philhealth-2020-01",
        effective_from=date(2020, 1, 1),
        effective_to=date(2020, 12, 31),
        rate="0.03",
        floor=10000,
        ceiling=60000,
        source=Source(
            f"{_UHC_2019_0009}: 2020 row, 3%, 10,000-60,000",
            "https://www.scribd.com/document/447103479/SIGNED-MEMORANDUM-CIRCULAR-No-2020-02-PHIC-3-2020-pdf",
        ),
    ),
    _philhealth_rate(
        id="philhealth-2021-01",
        effective_from=date(2021, 1, 1),
        effective_to=date(2021, 12, 31),
        rate="0.03",
        floor=10000,
        ceiling=60000,
        source=Source(
            "PhilHealth interim arrangement of 5 January 2021 (President's deferral): the "
            "scheduled 3.5% / 70,000 step was not collected; 2020's 3% / 60,000 stayed",
            "https://www.scribd.com/document/557941037/Philhealth-Schedule-of-Fees",
        ),
    ),
    _philhealth_rate(
        id="philhealth-2022-01",
        effective_from=date(2022, 1, 1),
        effective_to=date(2022, 12, 31),
        rate="0.04",
        floor=10000,
        ceiling=80000,
        source=Source(
            "PhilHealth Circular No. 2020-0005, collected from June 2022 retroactive to "
            "January (PhilHealth Advisory No. 2022-0010): 4%, 10,000-80,000",
            "https://cebudailynews.inquirer.net/440963/philhealth-contribution-hike-starting-june-retroactive-from-january",
        ),
        note=(
            "January-May 2022 were first paid at 3% and topped up later; a portal may show "
            "the differential as a separate payment for the same month, which "
            "eincomes.estimate_incomes sums."
        ),
    ),
    _philhealth_rate(
        id="philhealth-2023-01",
        effective_from=date(2023, 1, 1),
        effective_to=date(2023, 12, 31),
        rate="0.04",
        floor=10000,
        ceiling=80000,
        source=Source(
            "Office of the President memorandum of 2 January 2023 suspending the 4.5% / "
            "90,000 step: 2022's 4% / 80,000 stayed",
            "https://mb.com.ph/2023/1/2/palace-orders-philhealth-to-suspend-2023-rate-hike",
        ),
    ),
    _philhealth_rate(
        id="philhealth-2024-01",
        effective_from=date(2024, 1, 1),
        effective_to=None,
        rate="0.05",
        floor=10000,
        ceiling=100000,
        source=Source(
            f"{_UHC_2019_0009}: 2024-2025 rows, 5%, 10,000-100,000 (implemented from January 2024)",
            "https://www.philstar.com/headlines/2024/01/12/2325332/philhealths-premium-rate-soars-5-2024",
        ),
        note="The UHC Act's last step; no later change was found, so it runs open-ended.",
    ),
)


# --- Pag-IBIG (HDMF) -------------------------------------------------------------------
#
# Employee 1% of a fund salary up to 1,500 and 2% above; employer 2%; the fund salary is
# capped. Members may save more than the mandatory share, which reads as "capped" here.

_PAGIBIG_TIERS = (
    RateTier(Decimal(1500), Decimal("0.01"), Decimal("0.02")),
    RateTier(None, Decimal("0.02"), Decimal("0.02")),
)

PAGIBIG_SCHEDULES: tuple[RateSchedule, ...] = (
    RateSchedule(
        id="pagibig-2009-08",
        agency=Agency.PAGIBIG,
        effective_from=date(2009, 8, 1),
        effective_to=date(2024, 1, 31),
        tiers=_PAGIBIG_TIERS,
        floor=None,
        ceiling=Decimal(5000),
        split=Split.EACH_SHARE,
        source=Source(
            "RA 9679 (Home Development Mutual Fund Law of 2009) and its IRR, Rule VI s.1: "
            "EE 1% (<= 1,500) / 2%, ER 2%, maximum monthly compensation 5,000",
            "https://www.scribd.com/document/264729626/PAGIBIG-Contributions-Dipatuan-docx",
        ),
        note=(
            "RA 9679 was approved 21 July 2009; its first applicable month is approximate. "
            "The same figures were collected earlier, but that was not verified here."
        ),
    ),
    RateSchedule(
        id="pagibig-2024-02",
        agency=Agency.PAGIBIG,
        effective_from=date(2024, 2, 1),
        effective_to=None,
        tiers=_PAGIBIG_TIERS,
        floor=None,
        ceiling=Decimal(10000),
        split=Split.EACH_SHARE,
        source=Source(
            "HDMF Circular No. 460: maximum fund salary raised from 5,000 to 10,000, "
            "effective February 2024; rates unchanged",
            "https://forvismazars.com/ph/en/insights/hr-payroll-alerts/pag-ibig-circular-460",
        ),
    ),
)


# --- GSIS ------------------------------------------------------------------------------

GSIS_SCHEDULES: tuple[RateSchedule, ...] = (
    RateSchedule(
        id="gsis-1997-06",
        agency=Agency.GSIS,
        effective_from=date(1997, 6, 1),
        effective_to=None,
        tiers=(RateTier(None, Decimal("0.09"), Decimal("0.12")),),
        floor=None,
        ceiling=None,
        split=Split.EACH_SHARE,
        source=Source(
            "RA 8291 (GSIS Act of 1997) s.5(a): personal share 9%, government share 12% of "
            "the monthly compensation (basic pay), below and above the AMC limit alike",
            "http://www.gsis.gov.ph/agencies/remittances2/premium-payments/",
        ),
        note=(
            "RA 8291 was approved 30 May 1997; its first applicable month is approximate. "
            "Judiciary members and constitutional commissioners pay 3% / 3% (life insurance "
            "only) and are not modelled."
        ),
    ),
)


SCHEDULES: Mapping[Agency, tuple[Schedule, ...]] = {
    Agency.SSS: SSS_SCHEDULES,
    Agency.PHILHEALTH: PHILHEALTH_SCHEDULES,
    Agency.PAGIBIG: PAGIBIG_SCHEDULES,
    Agency.GSIS: GSIS_SCHEDULES,
}


def _check_timelines() -> None:
    # A gap or an overlap would make schedule_for silently pick a wrong table, so the
    # module refuses to load with one.
    for agency, schedules in SCHEDULES.items():
        for earlier, later in pairwise(schedules):
            if earlier.effective_to is None:
                raise RuntimeError(f"{earlier.id} is open-ended but {later.id} follows it")
            if later.effective_from != earlier.effective_to + timedelta(days=1):
                raise RuntimeError(f"{agency}: {earlier.id} and {later.id} do not meet")
        for schedule in schedules:
            if schedule.agency is not agency or schedule.effective_from.day != 1:
                raise RuntimeError(f"{schedule.id} is misfiled or does not start on the 1st")
        if schedules[-1].effective_to is not None:
            raise RuntimeError(f"{agency}: the latest schedule must be open-ended")


_check_timelines()


# --- lookups ---------------------------------------------------------------------------


def schedule_for(agency: Agency, month: date) -> Schedule:
    """The schedule in force on ``month``'s applicable month.

    Raises ValueError for a month before the earliest schedule Sahod knows.
    """
    applicable = month_start(month)
    for schedule in reversed(SCHEDULES[Agency(agency)]):
        if schedule.effective_from <= applicable:
            return schedule
    earliest = SCHEDULES[Agency(agency)][0].effective_from
    raise ValueError(f"no {agency} schedule before {earliest:%Y-%m}; asked for {applicable:%Y-%m}")


def contribution_for(agency: Agency, month: date, monthly_income: Decimal) -> ContributionBreakdown:
    """What ``agency``'s schedule for ``month`` prescribes for ``monthly_income``."""
    return breakdown(schedule_for(agency, month), monthly_income)


def breakdown(schedule: Schedule, monthly_income: Decimal) -> ContributionBreakdown:
    """The contribution ``schedule`` prescribes for ``monthly_income``."""
    income = round_centavos(monthly_income)
    if income < 0:
        raise ValueError("monthly income cannot be negative")
    if isinstance(schedule, BracketSchedule):
        return _bracket_breakdown(schedule, income)
    return _rate_breakdown(schedule, income)


def bracket_for(schedule: BracketSchedule, monthly_income: Decimal) -> Bracket:
    """The table row whose compensation range holds ``monthly_income``."""
    lows = [row.low for row in schedule.brackets]
    index = max(bisect_right(lows, round_centavos(monthly_income)) - 1, 0)
    return schedule.brackets[index]


def _bracket_breakdown(schedule: BracketSchedule, income: Decimal) -> ContributionBreakdown:
    row = bracket_for(schedule, income)
    return ContributionBreakdown(
        employee=row.employee,
        employer=row.employer,
        total=row.total,
        salary_base=row.salary_base,
        capped=income > schedule.ceiling,
        schedule_id=schedule.id,
        ec=row.ec,
        provident=row.provident,
    )


def rate_tier_for(schedule: RateSchedule, base: Decimal) -> RateTier:
    """The tier whose range holds the (already floored and capped) ``base``."""
    for tier in schedule.tiers:
        if tier.up_to is None or base <= tier.up_to:
            return tier
    raise ValueError(f"{schedule.id} has no tier for a base of {base}")


def rate_base(schedule: RateSchedule, income: Decimal) -> Decimal:
    """``income`` held between the schedule's floor and ceiling."""
    base = round_centavos(income)
    if schedule.floor is not None:
        base = max(base, schedule.floor)
    if schedule.ceiling is not None:
        base = min(base, schedule.ceiling)
    return round_centavos(base)


def _rate_breakdown(schedule: RateSchedule, income: Decimal) -> ContributionBreakdown:
    base = rate_base(schedule, income)
    tier = rate_tier_for(schedule, base)
    if schedule.split is Split.EQUAL_HALVES:
        total = round_centavos(base * (tier.employee_rate + tier.employer_rate))
        employer = round_centavos(total / 2)
        employee = total - employer
    else:
        employee = round_centavos(base * tier.employee_rate)
        employer = round_centavos(base * tier.employer_rate)
        total = employee + employer
    return ContributionBreakdown(
        employee=employee,
        employer=employer,
        total=total,
        salary_base=base,
        capped=schedule.ceiling is not None and income > schedule.ceiling,
        schedule_id=schedule.id,
    )
