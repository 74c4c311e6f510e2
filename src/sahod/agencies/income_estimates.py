"""Estimated monthly incomes, read back from contributions through the schedule in force.

Wire: the contract has no cap flag and Smile documents ``baseAmount`` as the deprecated old
name of ``amount``, so both carry the same figure. Where a ceiling hides the income that
figure is the ceiling, a floor on the true income (never an invented higher number); the
``capped`` flag and the ``low``/``high`` range stay on IncomeEstimate for Sahod's own use.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Literal

from sahod.agencies.schedules import (
    CENTAVO,
    ZERO,
    Agency,
    Bracket,
    BracketSchedule,
    ContributionBreakdown,
    RateSchedule,
    breakdown,
    month_start,
    rate_tier_for,
    round_centavos,
    schedule_for,
)

Share = Literal["total", "employee"]
"""Which figure the contribution is: employee + employer, or the employee's share alone."""

CURRENCY = "PHP"

# The search for the incomes behind a contribution doubles its upper bound; this many
# doublings from one peso passes any income a person could have.
_MAX_DOUBLINGS = 64


@dataclass(frozen=True, slots=True)
class IncomeEstimate:
    month: date
    """First day of the applicable month."""
    amount: Decimal
    """Best estimate: the MSC / salary base, or income = contribution / rate; the ceiling
    when ``capped``."""
    capped: bool
    """A ceiling hides the income: it is at least ``low``, possibly far more."""
    low: Decimal
    """Lowest monthly income that owes this contribution."""
    high: Decimal | None
    """Highest monthly income that owes this contribution; ``None`` when capped."""
    schedule_id: str


def estimate_income(
    agency: Agency,
    month: date,
    contribution: Decimal,
    *,
    share: Share = "total",
) -> IncomeEstimate:
    """The monthly income that the schedule in force on ``month`` maps ``contribution`` to.

    A contribution that no income owes exactly (voluntary or odd amounts, an SSS total that
    includes the EC premium) is read as the largest one owed that does not exceed it; one
    below the schedule's minimum reads as the minimum. Raises ValueError for a zero or
    negative contribution and for a month before the agency's earliest schedule.
    """
    if share not in ("total", "employee"):
        raise ValueError(f"share must be 'total' or 'employee', not {share!r}")
    paid = round_centavos(contribution)
    if paid <= 0:
        raise ValueError(f"a contribution must be positive, got {paid}")
    applicable = month_start(month)
    found = _estimate(schedule_for(agency, applicable), paid, share)
    # Built directly: dataclasses.replace introspects the fields on every call, and this
    # runs for every contribution a portal fetch reads.
    return IncomeEstimate(
        month=applicable,
        amount=found.amount,
        capped=found.capped,
        low=found.low,
        high=found.high,
        schedule_id=found.schedule_id,
    )


_UNLABELLED = date(1, 1, 1)


@lru_cache(maxsize=8192)
def _estimate(
    schedule: BracketSchedule | RateSchedule, paid: Decimal, share: Share
) -> IncomeEstimate:
    # The month only labels an estimate; its figures depend on the schedule, the amount and
    # the share, and a member pays the same amount month after month, so this is cached
    # (reading a rate schedule back searches the incomes that owe the amount).
    if isinstance(schedule, BracketSchedule):
        return _from_brackets(schedule, _UNLABELLED, paid, share)
    return _from_rates(schedule, _UNLABELLED, paid, share)


def estimate_incomes(
    agency: Agency,
    contributions: Iterable[tuple[date, Decimal]],
    *,
    share: Share = "total",
) -> list[IncomeEstimate]:
    """One estimate per applicable month, sorted by month.

    Payments for the same month (an employer's remittance plus a later differential, a
    split payment) are summed first, because the schedule prices the month, not each
    payment. A month whose payments sum to zero or less raises ValueError.
    """
    per_month: dict[date, Decimal] = {}
    for day, amount in contributions:
        applicable = month_start(day)
        per_month[applicable] = per_month.get(applicable, ZERO) + round_centavos(amount)
    return [
        estimate_income(agency, applicable, per_month[applicable], share=share)
        for applicable in sorted(per_month)
    ]


def eincome_payload(estimate: IncomeEstimate) -> dict[str, object]:
    """The contract's EincomePayload without ``id`` and ``metadata``."""
    amount = float(round_centavos(estimate.amount))
    return {
        "month": f"{estimate.month.year:04d}-{estimate.month.month:02d}",
        "currency": CURRENCY,
        "baseAmount": amount,
        "amount": amount,
    }


# --- bracket tables --------------------------------------------------------------------


def _row_share(row: Bracket, share: Share) -> Decimal:
    return row.employee if share == "employee" else row.total


def _from_brackets(
    schedule: BracketSchedule, month: date, paid: Decimal, share: Share
) -> IncomeEstimate:
    owed = [_row_share(row, share) for row in schedule.brackets]
    index = max(bisect_right(owed, paid) - 1, 0)
    row = schedule.brackets[index]
    return IncomeEstimate(
        month=month,
        amount=row.salary_base,
        capped=row.high is None,
        low=row.low,
        high=row.high,
        schedule_id=schedule.id,
    )


# --- straight rates --------------------------------------------------------------------
#
# Rounding makes a rate schedule a step function over centavo incomes: many incomes owe the
# same contribution. Searching that function, rather than dividing, gives the exact range
# of incomes behind a contribution, floors, ceilings and tiers included.

_Owed = Callable[[int], Decimal]


def _pesos(cents: int) -> Decimal:
    return (Decimal(cents) * CENTAVO).quantize(CENTAVO)


def _cents(amount: Decimal) -> int:
    return int(round_centavos(amount) / CENTAVO)


def _share_of(owed: ContributionBreakdown, share: Share) -> Decimal:
    return owed.employee if share == "employee" else owed.total


def _last_within(owed: _Owed, limit: Decimal, lo: int, hi: int) -> int:
    """Largest income in [lo, hi] (centavos) owing at most ``limit``; owed(lo) must."""
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if owed(mid) <= limit:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _first_reaching(owed: _Owed, target: Decimal, lo: int, hi: int) -> int:
    """Smallest income in [lo, hi] (centavos) owing at least ``target``; owed(hi) must."""
    while lo < hi:
        mid = (lo + hi) // 2
        if owed(mid) >= target:
            hi = mid
        else:
            lo = mid + 1
    return lo


def _beyond(owed: _Owed, paid: Decimal) -> int:
    """Some income (centavos) owing more than ``paid``, for a schedule with no ceiling."""
    cents = 100
    for _ in range(_MAX_DOUBLINGS):
        if owed(cents) > paid:
            return cents
        cents *= 2
    raise ValueError(f"no income owes more than {paid}")


def _from_rates(schedule: RateSchedule, month: date, paid: Decimal, share: Share) -> IncomeEstimate:
    def owed(cents: int) -> Decimal:
        return _share_of(breakdown(schedule, _pesos(cents)), share)

    if schedule.ceiling is not None:
        ceiling = _cents(schedule.ceiling)
        at_ceiling = owed(ceiling)
        if at_ceiling <= paid:
            low = _first_reaching(owed, at_ceiling, 0, ceiling)
            return IncomeEstimate(
                month=month,
                amount=round_centavos(schedule.ceiling),
                capped=True,
                low=_pesos(low),
                high=None,
                schedule_id=schedule.id,
            )
        top = ceiling
    else:
        top = _beyond(owed, paid)

    # Below the minimum (PhilHealth's floor premium), read the floor's own step.
    limit = max(paid, owed(0))
    high = _last_within(owed, limit, 0, top)
    matched = owed(high)
    low = _first_reaching(owed, matched, 0, high)

    # Dividing the rounded total premium by the total rate lands on the round salary the
    # agency's own tables start from (22,500 for PhilHealth's 309.37 employee share), where
    # dividing a rounded half-share by a half-rate would not.
    middle = breakdown(schedule, _pesos((low + high) // 2))
    tier = rate_tier_for(schedule, middle.salary_base)
    guess = round_centavos(middle.total / (tier.employee_rate + tier.employer_rate))
    amount = min(max(guess, _pesos(low)), _pesos(high))
    return IncomeEstimate(
        month=month,
        amount=amount,
        capped=False,
        low=_pesos(low),
        high=_pesos(high),
        schedule_id=schedule.id,
    )
