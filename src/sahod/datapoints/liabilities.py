from __future__ import annotations

from datetime import date

from sahod.datapoints.incomes import PayPeriod
from sahod.datapoints.kinds import DataPointKind
from sahod.datapoints.schemas import DataPointMetadata, KindSpec
from sahod.kit.envelope import WireModel


class LiabilityPayload(WireModel):
    """A loan, as the Liabilities seed document describes it."""

    type: str
    reference_id: str | None = None
    start_date: date
    end_date: date | None = None
    first_amortization_date: date | None = None
    amortization_frequency: PayPeriod
    currency: str
    loan_amount: float
    amortization_amount: float | None = None
    outstanding_balance: float | None = None
    next_payment_amount: float | None = None
    overdue_payment_amount: float | None = None


class Liability(LiabilityPayload):
    id: str
    metadata: DataPointMetadata


SPEC = KindSpec(
    kind=DataPointKind.LIABILITIES,
    model=Liability,
    payload_model=LiabilityPayload,
    date_field="startDate",
    filter_style="date",
    tag="Liabilities",
    singular="liability",
)
