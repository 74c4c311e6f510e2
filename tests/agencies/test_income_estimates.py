"""Estimated incomes read back from contributions, and their wire shape."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sahod.agencies.income_estimates import (
    IncomeEstimate,
    Share,
    eincome_payload,
    estimate_income,
    estimate_incomes,
)
from sahod.agencies.schedules import (
    SCHEDULES,
    Agency,
    ContributionBreakdown,
    Schedule,
    breakdown,
    contribution_for,
)
from tests.contract.smile import contract

D = Decimal


def est(agency: Agency, month: date, paid: str, share: Share = "total") -> IncomeEstimate:
    return estimate_income(agency, month, D(paid), share=share)


def brackets(estimate: IncomeEstimate, income: Decimal) -> bool:
    return estimate.low <= income and (estimate.high is None or income <= estimate.high)


# --- worked examples -------------------------------------------------------------------


def test_sss_2025_total_maps_to_its_msc_bracket() -> None:
    # SSS Circular 2024-006: 19,750-20,249.99 → MSC 20,000, EE 1,000 + ER 2,000 = 3,000.
    got = est(Agency.SSS, date(2025, 3, 1), "3000")
    assert (got.amount, got.low, got.high, got.capped) == (
        D(20000),
        D(19750),
        D("20249.99"),
        False,
    )
    assert got.schedule_id == "sss-2025-01"
    assert got.month == date(2025, 3, 1)


def test_sss_totals_that_include_the_ec_premium_read_the_same() -> None:
    # The same row with its 30-peso EC premium (3,030), and the minimum row's 760.
    assert est(Agency.SSS, date(2025, 3, 1), "3030").amount == D(20000)
    assert est(Agency.SSS, date(2025, 3, 1), "760").amount == D(5000)


def test_sss_employee_share() -> None:
    assert est(Agency.SSS, date(2025, 3, 1), "1000", "employee").amount == D(20000)
    # 2014 table: the employee's 581.30 is the top row, MSC 16,000.
    top = est(Agency.SSS, date(2015, 3, 1), "581.30", "employee")
    assert (top.amount, top.capped, top.low, top.high) == (D(16000), True, D(15750), None)


def test_sss_capped_contribution_reports_the_cap() -> None:
    got = est(Agency.SSS, date(2025, 1, 1), "5250")
    assert (got.amount, got.capped, got.low, got.high) == (D(35000), True, D(34750), None)


def test_sss_odd_amount_maps_to_the_bracket_not_above_it() -> None:
    # 3,050 lies between the 20,000 row (3,000) and the 20,500 row (3,075).
    assert est(Agency.SSS, date(2025, 1, 1), "3050").amount == D(20000)
    # Below the minimum row (750) reads as the minimum.
    low = est(Agency.SSS, date(2025, 1, 1), "100")
    assert (low.amount, low.low) == (D(5000), D(0))


def test_sss_same_amount_reads_differently_under_each_schedule() -> None:
    # 1,200 total: MSC 10,000 at 12% (2019), about 9,230 → 9,000 row at 13% (1,170).
    assert est(Agency.SSS, date(2020, 12, 1), "1200").amount == D(10000)
    assert est(Agency.SSS, date(2021, 1, 1), "1200").amount == D(9000)


def test_philhealth_premium_over_rate() -> None:
    # 5% (2024): a 1,250 premium is a 25,000 basic salary.
    got = est(Agency.PHILHEALTH, date(2024, 7, 1), "1250")
    assert got.amount == D(25000) and not got.capped
    assert brackets(got, D(25000))


def test_philhealth_floor_premium() -> None:
    # 500 is owed by anyone earning 10,000 or less in 2024.
    got = est(Agency.PHILHEALTH, date(2024, 7, 1), "500")
    assert (got.amount, got.low, got.capped) == (D(10000), D(0), False)


def test_philhealth_ceiling_premium_is_capped() -> None:
    got = est(Agency.PHILHEALTH, date(2025, 7, 1), "5000")
    assert (got.amount, got.capped, got.high) == (D(100000), True, None)
    # 2019-11 was still on the 40,000 ceiling: 1,100 is capped there.
    old = est(Agency.PHILHEALTH, date(2019, 11, 1), "1100")
    assert (old.amount, old.capped) == (D(40000), True)


def test_philhealth_employee_share_with_the_odd_centavo() -> None:
    # Advisory 2018-0003: 22,500 → 618.75, the employee pays 309.37.
    got = est(Agency.PHILHEALTH, date(2018, 9, 1), "309.37", "employee")
    assert got.amount == D(22500)
    assert brackets(got, D(22500))


def test_philhealth_2014_bracket() -> None:
    # Circular 27 s.2013: a 625 premium is bracket 18, 25,000.00-25,999.99.
    got = est(Agency.PHILHEALTH, date(2016, 1, 1), "625")
    assert (got.amount, got.low, got.high) == (D(25000), D(25000), D("25999.99"))


def test_pagibig() -> None:
    # Before Circular 460, 100 + 100 is the cap on a 5,000 fund salary.
    capped = est(Agency.PAGIBIG, date(2024, 1, 1), "200")
    assert (capped.amount, capped.capped) == (D(5000), True)
    # From February 2024 the same 200 is a 5,000 fund salary below the new 10,000 cap.
    uncapped = est(Agency.PAGIBIG, date(2024, 2, 1), "200")
    assert (uncapped.amount, uncapped.capped) == (D(5000), False)
    assert est(Agency.PAGIBIG, date(2024, 2, 1), "400").capped
    # Employee 80 = 2% of 4,000; employee 15 = 1% of 1,500.
    assert est(Agency.PAGIBIG, date(2019, 1, 1), "80", "employee").amount == D(4000)
    assert est(Agency.PAGIBIG, date(2019, 1, 1), "15", "employee").amount == D(1500)
    # A voluntary employee share above the mandatory 100 says only "at least the cap".
    assert est(Agency.PAGIBIG, date(2019, 1, 1), "500", "employee").capped


def test_pagibig_amount_between_the_two_tiers() -> None:
    # 45 (1,500 x 3%) and 60 (just over 1,500 x 4%) bound a gap no income owes.
    got = est(Agency.PAGIBIG, date(2019, 1, 1), "50")
    assert got.amount == D(1500) and got.high == D(1500)


def test_gsis() -> None:
    personal = est(Agency.GSIS, date(2024, 1, 1), "2250", "employee")
    assert (personal.amount, personal.capped) == (D(25000), False)
    assert est(Agency.GSIS, date(2024, 1, 1), "5250").amount == D(25000)


@pytest.mark.parametrize("paid", ["0", "-10", "0.001"])
def test_zero_or_negative_contribution_raises(paid: str) -> None:
    with pytest.raises(ValueError):
        est(Agency.SSS, date(2025, 1, 1), paid)


def test_unknown_share_and_early_month_raise() -> None:
    with pytest.raises(ValueError):
        estimate_income(Agency.SSS, date(2025, 1, 1), D(100), share="employer")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        est(Agency.SSS, date(2013, 6, 1), "1000")


# --- per month -------------------------------------------------------------------------


def test_estimate_incomes_sums_a_month_and_sorts() -> None:
    # PhilHealth 2022: January first paid at 3% of 25,000 (750), then the 1% differential
    # (250) in June; together the 4% premium of a 25,000 salary.
    got = estimate_incomes(
        Agency.PHILHEALTH,
        [
            (date(2022, 2, 10), D(1000)),
            (date(2022, 1, 31), D(750)),
            (date(2022, 1, 15), D(250)),
        ],
    )
    assert [e.month for e in got] == [date(2022, 1, 1), date(2022, 2, 1)]
    assert [e.amount for e in got] == [D(25000), D(25000)]


def test_estimate_incomes_employee_share_and_empty() -> None:
    got = estimate_incomes(Agency.GSIS, [(date(2023, 5, 5), D("1800"))], share="employee")
    assert got[0].amount == D(20000)
    assert estimate_incomes(Agency.SSS, []) == []


# --- wire ------------------------------------------------------------------------------


def test_payload_shape() -> None:
    payload = eincome_payload(est(Agency.SSS, date(2025, 3, 9), "3000"))
    assert payload == {
        "month": "2025-03",
        "currency": "PHP",
        "baseAmount": 20000.0,
        "amount": 20000.0,
    }
    assert all(type(payload[k]) is float for k in ("amount", "baseAmount"))


def test_capped_payload_carries_the_cap() -> None:
    payload = eincome_payload(est(Agency.PHILHEALTH, date(2024, 1, 1), "9999"))
    assert payload["amount"] == payload["baseAmount"] == 100000.0


def test_payload_has_the_contract_fields() -> None:
    schema = contract()["components"]["schemas"]["EincomePayload"]
    payload = eincome_payload(est(Agency.GSIS, date(2021, 6, 1), "1234.56", "employee"))
    assert set(payload) | {"id"} == set(schema["properties"])
    assert set(schema["required"]) <= set(payload) | {"id"}
    assert payload["amount"] == 13717.33


# --- round trips and properties --------------------------------------------------------

ALL_SCHEDULES: list[Schedule] = [s for group in SCHEDULES.values() for s in group]
SHARES: list[Share] = ["total", "employee"]


def _paid(b: ContributionBreakdown, share: Share) -> Decimal:
    return b.employee if share == "employee" else b.total


def _last_month(schedule: Schedule) -> date:
    return (schedule.effective_to or date(2026, 12, 31)).replace(day=1)


@pytest.mark.parametrize("schedule", ALL_SCHEDULES, ids=lambda s: s.id)
def test_round_trip_recovers_the_salary_base(schedule: Schedule) -> None:
    for income in (D(0), D("7777.77"), D(15000), D("21234.50"), D(45000), D(250000)):
        owed = breakdown(schedule, income)
        for share in SHARES:
            paid = _paid(owed, share)
            if paid <= 0:
                continue
            got = estimate_income(schedule.agency, schedule.effective_from, paid, share=share)
            assert got.schedule_id == schedule.id
            assert brackets(got, income), (income, share, got)
            assert got.capped == (got.high is None)
            # The estimate owes exactly what was paid: it is the same step of the table.
            assert _paid(breakdown(schedule, got.amount), share) == paid
            if got.high is not None:
                assert got.low <= got.amount <= got.high


def test_sss_round_trip_gives_back_the_msc() -> None:
    for income in ("3000", "12345.67", "20250", "27000", "99999"):
        owed = contribution_for(Agency.SSS, date(2023, 8, 1), D(income))
        got = est(Agency.SSS, date(2023, 8, 1), str(owed.total))
        assert got.amount == owed.salary_base


@st.composite
def _cases(draw: st.DrawFn) -> tuple[Schedule, date, Decimal, Share]:
    schedule = draw(st.sampled_from(ALL_SCHEDULES))
    first, last = schedule.effective_from, _last_month(schedule)
    month = draw(st.dates(min_value=first, max_value=last + timedelta(days=27)))
    # Most draws below 40,000 pesos, where every table still has steps; some far above.
    cents = draw(st.one_of(st.integers(0, 4_000_000), st.integers(0, 30_000_000)))
    share = draw(st.sampled_from(SHARES))
    return schedule, month, D(cents) / 100, share


@settings(max_examples=400, deadline=None)
@given(_cases())
def test_estimate_brackets_the_income_for_every_schedule(
    case: tuple[Schedule, date, Decimal, Share],
) -> None:
    schedule, month, income, share = case
    owed = contribution_for(schedule.agency, month, income)
    assert owed.schedule_id == schedule.id
    paid = _paid(owed, share)
    if paid <= 0:
        return
    got = estimate_income(schedule.agency, month, paid, share=share)
    assert brackets(got, income)
    assert got.capped == owed.capped or (got.capped and income >= got.low)
    assert got.low <= got.amount
    if got.high is not None:
        assert got.amount <= got.high


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(ALL_SCHEDULES),
    st.integers(min_value=1, max_value=2_000_000),
    st.integers(min_value=0, max_value=2_000_000),
    st.sampled_from(SHARES),
)
def test_a_larger_contribution_never_reads_as_a_smaller_income(
    schedule: Schedule, cents: int, more: int, share: Share
) -> None:
    smaller = estimate_income(schedule.agency, schedule.effective_from, D(cents) / 100, share=share)
    larger = estimate_income(
        schedule.agency, schedule.effective_from, D(cents + more) / 100, share=share
    )
    assert smaller.amount <= larger.amount
    assert smaller.low <= larger.low
