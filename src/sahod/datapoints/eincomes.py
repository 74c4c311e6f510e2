from __future__ import annotations

from pydantic import Field

from sahod.datapoints.kinds import DataPointKind
from sahod.datapoints.schemas import DataPointMetadata, KindSpec
from sahod.kit.envelope import WireModel


class EincomePayload(WireModel):
    month: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM")
    currency: str
    base_amount: float | None = Field(default=None, deprecated=True)
    amount: float | None


class Eincome(EincomePayload):
    id: str
    metadata: DataPointMetadata


SPEC = KindSpec(
    kind=DataPointKind.EINCOMES,
    model=Eincome,
    payload_model=EincomePayload,
    date_field="month",
    filter_style="month",
    tag="Estimated Incomes",
    singular="estimated income",
)
