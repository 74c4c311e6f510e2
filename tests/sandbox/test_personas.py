"""Persona histories: deterministic, on the real schedules, loans amortized for real."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from sahod.agencies.schedules import Agency, contribution_for
from sahod.providers.base import ErrorCode
from sahod.sandbox.personas import (
    ERROR_CODES,
    PAGIBIG_MPL_36,
    PERSONAS,
    PERSONAS_BY_KEY,
    SSS_SALARY_LOAN,
    InstallmentStatus,
    Loan,
    add_months,
    amortization,
    error_persona,
    find_persona,
    loan_state,
)

TODAY = date(2025, 11, 20)


def test_every_error_code_has_a_persona() -> None:
    assert set(ERROR_CODES) == {c.value for c in ErrorCode}
    for code in ERROR_CODES:
        assert error_persona(code, "anyone@example.ph").behaviour.error == code


def test_the_four_documented_sandbox_users() -> None:
    documented = {p.email: p.password for p in PERSONAS if p.documented}
    assert documented == {
        "gpalomero1234@smileapi.io": "123456",
        "ryan1234@smileapi.io": "654321",
        "christina4321@smileapi.io": "YGUS1",
        "anisha98765@smileapi.io": "123456",
    }
    george = PERSONAS_BY_KEY["george"]
    assert george.member_number(Agency.SSS) == "33-0000000-8"
    assert find_persona(Agency.SSS, "3300000008") is george
    assert find_persona(Agency.GSIS, "3300000008") is None, "GSIS signs in by e-mail only"


def test_histories_are_deterministic_and_cover_every_portal() -> None:
    for persona in PERSONAS:
        for agency in Agency:
            first = persona.contributions(agency, TODAY)
            assert first, f"{persona.key} has no history on {agency}"
            again = persona.contributions(agency, TODAY)
            assert [(c.reference, c.breakdown) for c in first] == [
                (c.reference, c.breakdown) for c in again
            ]
            assert len({c.reference for c in first}) == len(first)
            assert len({c.month for c in first}) == len(first), "one row per month"


def test_contributions_are_what_the_schedule_prescribes() -> None:
    for persona in PERSONAS:
        for agency in Agency:
            for c in persona.contributions(agency, TODAY):
                assert c.breakdown == contribution_for(agency, c.month, c.salary)
                assert c.paid_on > c.month and c.paid_on <= TODAY


def test_a_month_is_posted_only_once_it_is_paid() -> None:
    george = PERSONAS_BY_KEY["george"]
    months = [c.month for c in george.contributions(Agency.SSS, TODAY)]
    assert months[-1] < TODAY.replace(day=1), "this month's contribution is paid next month"


def test_hundreds_of_rows() -> None:
    longtime = PERSONAS_BY_KEY["longtime"]
    assert len(longtime.contributions(Agency.GSIS, TODAY)) > 300


def test_the_amortization_formula_reproduces_the_seed_sample() -> None:
    # seeds/003: loanAmount 16000, amortizationAmount 738.32 (SSS salary loan, 24 months).
    assert amortization(Decimal(16000), SSS_SALARY_LOAN.annual_rate, 24) == Decimal("738.32")


def test_a_schedule_pays_off_exactly() -> None:
    state = loan_state("t", Loan(PAGIBIG_MPL_36, Decimal(45000), date(2020, 1, 15)), TODAY)
    assert state.schedule[-1].balance_after == 0
    assert sum(i.principal for i in state.schedule) == Decimal("45000.00")
    assert state.outstanding == 0 and state.next_payment == 0 and state.status == "FULLY PAID"


def test_balances_fall_month_by_month_and_arrears_accumulate() -> None:
    loan = Loan(SSS_SALARY_LOAN, Decimal(30000), date(2025, 1, 6))
    balances = [
        loan_state("t", loan, add_months(date(2025, 3, 20), m)).outstanding for m in range(10)
    ]
    assert balances == sorted(balances, reverse=True) and len(set(balances)) == 10

    late = Loan(SSS_SALARY_LOAN, Decimal(30000), date(2025, 1, 6), stopped_paying_after=2)
    state = loan_state("t", late, date(2025, 8, 20))
    overdue = [i for i in state.schedule if i.status is InstallmentStatus.OVERDUE]
    # First due 6 March; March and April paid, then May to August went unpaid.
    assert [i.due.month for i in overdue] == [5, 6, 7, 8]
    assert state.overdue == sum(i.amount for i in overdue)
    assert state.next_payment == state.overdue + state.schedule[6].amount
    assert state.outstanding == state.schedule[1].balance_after


@pytest.mark.parametrize("key", ["george", "ryan", "christina", "anisha", "longtime"])
def test_renewing_loans_always_show_one_being_paid(key: str) -> None:
    persona = PERSONAS_BY_KEY[key]
    for year in range(2026, 2040, 3):
        today = date(year, 6, 1)
        states = [
            s for agency in (Agency.SSS, Agency.PAGIBIG) for s in persona.loan_states(agency, today)
        ]
        assert any(s.outstanding > 0 for s in states), f"{key} in {year}"


def test_someone_is_in_arrears() -> None:
    calamity = [
        s
        for s in PERSONAS_BY_KEY["ryan"].loan_states(Agency.SSS, TODAY)
        if s.program.name == "Calamity Loan"
    ]
    assert calamity and calamity[0].overdue > 0
