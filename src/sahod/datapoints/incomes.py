from __future__ import annotations

from datetime import date
from typing import Literal

from sahod.datapoints.kinds import DataPointKind
from sahod.datapoints.schemas import DataPointMetadata, KindSpec
from sahod.kit.envelope import WireModel

PayPeriod = Literal[
    "Hourly",
    "Daily",
    "Weekly",
    "Semimonthly",
    "Monthly",
    "Bimonthly",
    "Quarterly",
    "Annually",
    "Variable",
    "Unspecified",
]


class IncomePayload(WireModel):
    work_item: str | None = None
    employer: str | None = None
    start_date: date
    end_date: date | None = None
    currency: str
    frequency: PayPeriod | None = None
    base_amount: float | None = None
    gross_amount: float | None = None
    net_amount: float | None = None


class Income(IncomePayload):
    id: str
    metadata: DataPointMetadata


SPEC = KindSpec(
    kind=DataPointKind.INCOMES,
    model=Income,
    payload_model=IncomePayload,
    date_field="startDate",
    filter_style="date",
    tag="Incomes",
    singular="income",
)
