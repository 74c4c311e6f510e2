from __future__ import annotations

from datetime import date

from sahod.datapoints.kinds import DataPointKind
from sahod.datapoints.schemas import DataPointMetadata, KindSpec
from sahod.kit.envelope import WireModel


class ContributionPayload(WireModel):
    date: date
    currency: str
    amount: float
    reference_id: str | None = None


class Contribution(ContributionPayload):
    id: str
    metadata: DataPointMetadata


SPEC = KindSpec(
    kind=DataPointKind.CONTRIBUTIONS,
    model=Contribution,
    payload_model=ContributionPayload,
    date_field="date",
    filter_style="date",
    tag="Contributions",
    singular="contribution",
)
