"""Contribution schedules: the agencies' own printed figures, boundaries and table shape."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from itertools import pairwise

import pytest

from sahod.agencies.schedules import (
    PAGIBIG_SCHEDULES,
    SCHEDULES,
    SSS_SCHEDULES,
    Agency,
    BracketSchedule,
    ContributionBreakdown,
    RateSchedule,
    bracket_for,
    contribution_for,
    schedule_for,
)

D = Decimal


def sss(month: date, income: str) -> ContributionBreakdown:
    return contribution_for(Agency.SSS, month, D(income))


def shares(b: ContributionBreakdown) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    return (b.salary_base, b.employee, b.employer, b.ec)


# --- SSS: rows of the published tables -------------------------------------------------


@pytest.mark.parametrize(
    ("income", "msc", "ee", "er", "ec"),
    [
        # SSS Circular 2013-010 employed table (reproduced at sssguides.com): first rows,
        # the EC step at 15,000, and the worked example "basic salary 20,000: deduct 581.30,
        # employer 1,208.70 incl. EC" (eymisdomain.blogspot.com, January 2014).
        ("800", "1000", "36.30", "73.70", "10"),
        ("1250", "1500", "54.50", "110.50", "10"),
        ("1750", "2000", "72.70", "147.30", "10"),
        ("9800", "10000", "363.30", "736.70", "10"),
        ("14749.99", "14500", "526.80", "1068.20", "10"),
        ("14750", "15000", "545.00", "1105.00", "30"),
        ("20000", "16000", "581.30", "1178.70", "30"),
    ],
)
def test_sss_2014_published_rows(income: str, msc: str, ee: str, er: str, ec: str) -> None:
    got = sss(date(2016, 6, 1), income)
    assert shares(got) == (D(msc), D(ee), D(er), D(ec))
    assert got.total == D(msc) * D("0.11")


def test_sss_2014_self_employed_totals() -> None:
    # Same circular, SE/VM/OFW table: declared 6,300 falls in 6,250-6,749.99, MSC 6,500,
    # contribution 715; 15,750 and over is MSC 16,000, 1,760.
    assert sss(date(2014, 1, 1), "6300").total == D("715.00")
    assert sss(date(2014, 1, 1), "15750").total == D("1760.00")


@pytest.mark.parametrize(
    ("income", "msc", "ee", "er", "ec"),
    [
        # SSS Circular 2019-005, employed table (as reproduced at phil-id.com).
        ("1500", "2000", "80.00", "160.00", "10"),
        ("2250", "2500", "100.00", "200.00", "10"),
        ("10249.99", "10000", "400.00", "800.00", "10"),
        ("19750", "20000", "800.00", "1600.00", "30"),
        ("45000", "20000", "800.00", "1600.00", "30"),
    ],
)
def test_sss_2019_published_rows(income: str, msc: str, ee: str, er: str, ec: str) -> None:
    assert shares(sss(date(2019, 4, 1), income)) == (D(msc), D(ee), D(er), D(ec))


def test_sss_2021_minimum_and_maximum() -> None:
    # SSS 2021 contribution schedule (Circular 2020-033-b): minimum EE 135 at MSC 3,000;
    # at the maximum the employee pays 1,125 = 900 regular + 225 WISP; members at MSC
    # 25,000 put 650 into the provident fund (5,000 x 13%).
    low = sss(date(2021, 1, 1), "2000")
    assert shares(low) == (D(3000), D("135.00"), D("255.00"), D(10))
    top = sss(date(2022, 12, 31), "80000")
    assert shares(top) == (D(25000), D("1125.00"), D("2125.00"), D(30))
    assert top.provident == D("650.00")
    assert top.capped


@pytest.mark.parametrize(
    ("income", "msc", "ee", "er"),
    [
        # SSS Circular 2022-033 table (accountaholicsph.com): rows 1 and 2.
        ("0", "4000", "180.00", "380.00"),
        ("4250", "4500", "202.50", "427.50"),
        ("8000", "8000", "360.00", "760.00"),
        # At the 30,000 maximum the 2023 schedule adds 950 over 2021's: 225 EE, 725 ER.
        ("29750", "30000", "1350.00", "2850.00"),
    ],
)
def test_sss_2023_published_rows(income: str, msc: str, ee: str, er: str) -> None:
    got = sss(date(2023, 1, 1), income)
    assert (got.salary_base, got.employee, got.employer) == (D(msc), D(ee), D(er))


@pytest.mark.parametrize(
    ("income", "msc", "ee", "er", "ec", "provident"),
    [
        # SSS Circular 2024-006, business employers and employees (sss.gov.ph table, as
        # reproduced at taxcalculatorphilippines.org and iol.talinohr.com):
        # below 5,250: MSC 5,000, EE 250, ER 500 + EC 10 (760 with EC);
        ("5249.99", "5000", "250.00", "500.00", "10", "0"),
        # 9,750-10,249.99: MSC 10,000, ER 1,000 + EC 10, EE 500, total 1,510;
        ("10000", "10000", "500.00", "1000.00", "10", "0"),
        # 14,750-15,249.99: the EC premium steps up to 30;
        ("14750", "15000", "750.00", "1500.00", "30", "0"),
        # 19,750-20,249.99: MSC 20,000, EE 1,000, ER 2,000 (the brief's "20,250 → 20,000"
        # is one row off: the table puts 20,250 in the first MPF row, below);
        ("20000", "20000", "1000.00", "2000.00", "30", "0"),
        ("20249.99", "20000", "1000.00", "2000.00", "30", "0"),
        # 20,250-20,749.99: MSC 20,500, MPF EE 25 / ER 50;
        ("20250", "20500", "1025.00", "2050.00", "30", "75.00"),
        # 34,750 and over: MSC 35,000, EE 1,750, ER 3,500 + EC 30 (5,280 with EC).
        ("34750", "35000", "1750.00", "3500.00", "30", "2250.00"),
    ],
)
def test_sss_2025_published_rows(
    income: str, msc: str, ee: str, er: str, ec: str, provident: str
) -> None:
    got = sss(date(2025, 1, 1), income)
    assert shares(got) == (D(msc), D(ee), D(er), D(ec))
    assert got.total == got.employee + got.employer
    assert got.provident == D(provident)


def test_sss_2025_totals_with_ec_match_the_published_extremes() -> None:
    low, high = sss(date(2025, 2, 1), "3000"), sss(date(2025, 2, 1), "120000")
    assert low.total + low.ec == D(760)
    assert high.total + high.ec == D(5280)
    assert high.capped and not low.capped


# --- PhilHealth ------------------------------------------------------------------------


def ph(month: date, income: str) -> ContributionBreakdown:
    return contribution_for(Agency.PHILHEALTH, month, D(income))


@pytest.mark.parametrize(
    ("income", "base", "premium"),
    [
        # PhilHealth Circular 27 s.2013 table (worknetdine.blogspot.com, 2015): bracket 1
        # "8,999.99 and below" → 8,000 / 200; bracket 18 → 25,000 / 625; bracket 28
        # "35,000.00 and up" → 35,000 / 875.
        ("5000", "8000", "200.00"),
        ("8999.99", "8000", "200.00"),
        ("9000", "9000", "225.00"),
        ("25999.99", "25000", "625.00"),
        ("35000", "35000", "875.00"),
        ("90000", "35000", "875.00"),
    ],
)
def test_philhealth_2014_brackets(income: str, base: str, premium: str) -> None:
    got = ph(date(2017, 12, 1), income)
    assert (got.salary_base, got.total) == (D(base), D(premium))
    assert got.employee == got.employer == D(premium) / 2


@pytest.mark.parametrize(
    ("income", "premium", "ee", "er", "capped"),
    [
        # PhilHealth Advisory 2018-0003 sample computations (Circular 2017-0024, 2.75%):
        ("8999.99", "275.00", "137.50", "137.50", False),
        ("11250", "309.38", "154.69", "154.69", False),
        ("25410", "698.78", "349.39", "349.39", False),
        ("41999.99", "1100.00", "550.00", "550.00", True),
        # "deduct the excess centavo from the employee's share": 618.75 → 309.37 / 309.38.
        ("22500", "618.75", "309.37", "309.38", False),
    ],
)
def test_philhealth_2018_advisory_samples(
    income: str, premium: str, ee: str, er: str, capped: bool
) -> None:
    got = ph(date(2018, 1, 1), income)
    assert (got.total, got.employee, got.employer, got.capped) == (
        D(premium),
        D(ee),
        D(er),
        capped,
    )


@pytest.mark.parametrize(
    ("month", "income", "premium"),
    [
        # Circular 2019-0009 (UHC): 2019 row 2.75% up to 50,000, applicable December 2019.
        (date(2019, 12, 1), "50000", "1375.00"),
        (date(2019, 11, 1), "50000", "1100.00"),  # still 2017-0024's 40,000 ceiling
        # 2020 row: 3%; a 25,000 salary pays 750 (375 each), 60,000 and above 1,800.
        (date(2020, 6, 1), "25000", "750.00"),
        (date(2020, 6, 1), "75000", "1800.00"),
        # 2021: the 3.5% step was deferred, 2020's figures stayed.
        (date(2021, 6, 1), "75000", "1800.00"),
        # 2022: 4%, 400 at 10,000 and below, 3,200 at 80,000 and above.
        (date(2022, 1, 1), "9000", "400.00"),
        (date(2022, 6, 1), "80000", "3200.00"),
        # 2023: the 4.5% / 90,000 step was suspended.
        (date(2023, 6, 1), "95000", "3200.00"),
        # 2024 onwards: 5%, 500 at 10,000, 5,000 at 100,000.
        (date(2024, 1, 1), "10000", "500.00"),
        (date(2024, 1, 1), "100000", "5000.00"),
        (date(2026, 3, 1), "150000", "5000.00"),
    ],
)
def test_philhealth_rates_by_year(month: date, income: str, premium: str) -> None:
    assert ph(month, income).total == D(premium)


def test_philhealth_floor_is_not_capped_but_ceiling_is() -> None:
    floor = ph(date(2024, 5, 1), "6000")
    assert floor.salary_base == D(10000) and not floor.capped
    at_ceiling = ph(date(2024, 5, 1), "100000")
    assert not at_ceiling.capped  # exactly the ceiling hides nothing
    assert ph(date(2024, 5, 1), "100000.01").capped


# --- Pag-IBIG and GSIS -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("month", "income", "ee", "er", "capped"),
    [
        # RA 9679 IRR Rule VI s.1 worked examples: 1,500 x 1% = 15 and x 2% = 30;
        # 4,000 x 2% = 80 each; 20,000 is computed on the 5,000 maximum: 100 each.
        (date(2020, 1, 1), "1000", "10.00", "20.00", False),
        (date(2020, 1, 1), "1500", "15.00", "30.00", False),
        (date(2020, 1, 1), "4000", "80.00", "80.00", False),
        (date(2020, 1, 1), "20000", "100.00", "100.00", True),
        # HDMF Circular 460: from February 2024 the fund salary goes to 10,000: 200 each.
        (date(2024, 1, 1), "20000", "100.00", "100.00", True),
        (date(2024, 2, 1), "20000", "200.00", "200.00", True),
        (date(2024, 2, 1), "10000", "200.00", "200.00", False),
    ],
)
def test_pagibig(month: date, income: str, ee: str, er: str, capped: bool) -> None:
    got = contribution_for(Agency.PAGIBIG, month, D(income))
    assert (got.employee, got.employer, got.capped) == (D(ee), D(er), capped)


def test_gsis_personal_and_government_shares_have_no_cap() -> None:
    # RA 8291 s.5(a): 9% personal, 12% government share of the monthly compensation.
    got = contribution_for(Agency.GSIS, date(2025, 7, 1), D(25000))
    assert (got.employee, got.employer, got.total) == (D(2250), D(3000), D(5250))
    big = contribution_for(Agency.GSIS, date(2015, 7, 1), D("312345.67"))
    assert big.employee == D("28111.11") and not big.capped


# --- which schedule, when --------------------------------------------------------------


@pytest.mark.parametrize(
    ("agency", "before", "first_day", "old_id", "new_id"),
    [
        (Agency.SSS, date(2019, 3, 31), date(2019, 4, 1), "sss-2014-01", "sss-2019-04"),
        (Agency.SSS, date(2020, 12, 31), date(2021, 1, 1), "sss-2019-04", "sss-2021-01"),
        (Agency.SSS, date(2022, 12, 31), date(2023, 1, 1), "sss-2021-01", "sss-2023-01"),
        (Agency.SSS, date(2024, 12, 31), date(2025, 1, 1), "sss-2023-01", "sss-2025-01"),
        (
            Agency.PHILHEALTH,
            date(2017, 12, 31),
            date(2018, 1, 1),
            "philhealth-2014-01",
            "philhealth-2018-01",
        ),
        (
            Agency.PHILHEALTH,
            date(2019, 11, 30),
            date(2019, 12, 1),
            "philhealth-2018-01",
            "philhealth-2019-12",
        ),
        (
            Agency.PHILHEALTH,
            date(2023, 12, 31),
            date(2024, 1, 1),
            "philhealth-2023-01",
            "philhealth-2024-01",
        ),
        (Agency.PAGIBIG, date(2024, 1, 31), date(2024, 2, 1), "pagibig-2009-08", "pagibig-2024-02"),
    ],
)
def test_boundary_months(
    agency: Agency, before: date, first_day: date, old_id: str, new_id: str
) -> None:
    assert schedule_for(agency, before).id == old_id
    assert schedule_for(agency, before.replace(day=1)).id == old_id
    assert schedule_for(agency, first_day).id == new_id
    # Any day of a month is that month's applicable month.
    assert schedule_for(agency, first_day + timedelta(days=14)).id == new_id


def test_sss_minimum_moves_on_the_day_the_2019_table_takes_effect() -> None:
    assert sss(date(2019, 3, 1), "1000").salary_base == D(1000)
    assert sss(date(2019, 4, 1), "1000").salary_base == D(2000)


@pytest.mark.parametrize(
    ("agency", "too_early"),
    [
        (Agency.SSS, date(2013, 12, 31)),
        (Agency.PHILHEALTH, date(2013, 12, 1)),
        (Agency.PAGIBIG, date(2009, 7, 1)),
        (Agency.GSIS, date(1997, 5, 1)),
    ],
)
def test_before_the_earliest_schedule_raises(agency: Agency, too_early: date) -> None:
    with pytest.raises(ValueError):
        schedule_for(agency, too_early)
    with pytest.raises(ValueError):
        contribution_for(agency, too_early, D(10000))


def test_every_agency_is_covered_2014_to_2026_without_gaps() -> None:
    for agency in Agency:
        month = date(2014, 1, 1)
        while month <= date(2026, 12, 1):
            assert schedule_for(agency, month).agency is agency
            month = (month + timedelta(days=32)).replace(day=1)


def test_agency_accepts_its_wire_string() -> None:
    assert schedule_for(Agency("philhealth"), date(2024, 3, 1)).id == "philhealth-2024-01"


def test_negative_income_raises() -> None:
    with pytest.raises(ValueError):
        sss(date(2025, 1, 1), "-1")


# --- the tables' shape -----------------------------------------------------------------


def test_sss_tables_have_the_published_row_counts_and_ranges() -> None:
    # 2025: "Full 61-bracket SSS contribution schedule"; the others follow from min/max MSC.
    counts = {s.id: len(s.brackets) for s in SSS_SCHEDULES}
    assert counts == {
        "sss-2014-01": 31,
        "sss-2019-04": 37,
        "sss-2021-01": 45,
        "sss-2023-01": 53,
        "sss-2025-01": 61,
    }
    for schedule in SSS_SCHEDULES:
        rows = schedule.brackets
        assert rows[0].low == 0 and rows[-1].high is None
        for row, following in pairwise(rows):
            assert row.high is not None and row.high + D("0.01") == following.low
            assert row.low <= row.salary_base <= row.high or row is rows[0]
            assert following.employee > row.employee and following.total > row.total
        for row in rows:
            assert row.total == money_rate(row.salary_base, schedule.total_rate)


def money_rate(base: Decimal, rate: Decimal) -> Decimal:
    return (base * rate).quantize(D("0.01"))


def test_provident_part_is_the_msc_above_20000() -> None:
    schedule = schedule_for(Agency.SSS, date(2023, 5, 1))
    assert isinstance(schedule, BracketSchedule)
    row = bracket_for(schedule, D(25000))
    assert row.salary_base == D(25000)
    assert row.provident == D(5000) * D("0.14")


def test_every_schedule_cites_a_source() -> None:
    for schedules in SCHEDULES.values():
        for schedule in schedules:
            assert schedule.source.citation
            assert schedule.source.url.startswith(("http://", "https://"))
            assert isinstance(schedule, BracketSchedule | RateSchedule)


def test_pagibig_rates_are_the_same_before_and_after_circular_460() -> None:
    before, after = PAGIBIG_SCHEDULES
    assert before.tiers == after.tiers
    assert (before.ceiling, after.ceiling) == (D(5000), D(10000))
