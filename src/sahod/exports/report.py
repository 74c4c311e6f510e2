"""What an export says, gathered once from the account and its data points, so the PDF and
the CSV tell the same story from the same rows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sahod.agencies.schedules import Agency, schedule_for
from sahod.datapoints.kinds import DataPointKind


@dataclass(frozen=True, slots=True)
class Point:
    id: str
    kind: DataPointKind
    payload: dict[str, Any]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class MonthlyTotal:
    month: date
    """First day of the month."""
    amount: Decimal
    record_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AccountReport:
    account_id: str
    user_id: str
    provider_id: str
    provider_name: str
    provider_long_name: str
    connected_at: datetime
    generated_at: datetime
    points: Sequence[Point]
    by_kind: dict[DataPointKind, list[Point]] = field(default_factory=dict)

    def of(self, kind: DataPointKind) -> list[Point]:
        return self.by_kind.get(kind, [])

    @property
    def identity(self) -> Point | None:
        identities = self.of(DataPointKind.IDENTITIES)
        return identities[-1] if identities else None

    @property
    def agency(self) -> Agency | None:
        try:
            return Agency(self.provider_id)
        except ValueError:
            return None

    def monthly_contributions(self) -> list[MonthlyTotal]:
        """Contributions summed per month (a month's remittance and a later differential
        are one month's figure), oldest first."""
        months: dict[date, tuple[Decimal, list[str]]] = {}
        for point in self.of(DataPointKind.CONTRIBUTIONS):
            when = point.payload.get("date")
            amount = point.payload.get("amount")
            if not when or amount is None:
                continue
            day = date.fromisoformat(str(when)[:10])
            month = day.replace(day=1)
            total, ids = months.get(month, (Decimal(0), []))
            months[month] = (total + Decimal(str(amount)), [*ids, point.id])
        return [
            MonthlyTotal(month, total, tuple(ids)) for month, (total, ids) in sorted(months.items())
        ]

    def schedule_of(self, month: str) -> tuple[str, str] | None:
        """The schedule (id, citation) an estimated income of ``month`` (YYYY-MM) was read
        back through."""
        agency = self.agency
        if agency is None:
            return None
        try:
            schedule = schedule_for(agency, date.fromisoformat(f"{month}-01"))
        except (ValueError, LookupError):
            return None
        return schedule.id, schedule.source.citation


def build_report(
    *,
    account_id: str,
    user_id: str,
    provider_id: str,
    provider_name: str,
    provider_long_name: str,
    connected_at: datetime,
    generated_at: datetime,
    rows: Sequence[Any],
) -> AccountReport:
    points = [
        Point(row.id, DataPointKind(row.kind), row.payload, row.created_at, row.updated_at)
        for row in rows
    ]
    by_kind: dict[DataPointKind, list[Point]] = {}
    for point in points:
        by_kind.setdefault(point.kind, []).append(point)
    return AccountReport(
        account_id=account_id,
        user_id=user_id,
        provider_id=provider_id,
        provider_name=provider_name,
        provider_long_name=provider_long_name,
        connected_at=connected_at,
        generated_at=generated_at,
        points=points,
        by_kind=by_kind,
    )
