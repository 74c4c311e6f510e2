"""Every kind's spec, by kind."""

from __future__ import annotations

from sahod.datapoints import (
    contributions,
    documents,
    eincomes,
    employments,
    identities,
    incomes,
    liabilities,
)
from sahod.datapoints.kinds import DataPointKind
from sahod.datapoints.schemas import KindSpec

SPECS: dict[DataPointKind, KindSpec] = {
    spec.kind: spec
    for spec in (
        identities.SPEC,
        employments.SPEC,
        incomes.SPEC,
        eincomes.SPEC,
        contributions.SPEC,
        documents.SPEC,
        liabilities.SPEC,
    )
}
