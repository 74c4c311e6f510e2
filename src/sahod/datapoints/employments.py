from __future__ import annotations

from datetime import date

from sahod.datapoints.kinds import DataPointKind
from sahod.datapoints.schemas import DataPointMetadata, KindSpec
from sahod.kit.envelope import WireModel


class EmploymentPayload(WireModel):
    name: str | None = None
    job_title: str | None = None
    department: str | None = None
    employee_number: str | None = None
    employer_number: str | None = None
    employer: str | None = None
    status: str | None = None
    start_date: date
    end_date: date | None = None
    reported_date: date | None = None


class Employment(EmploymentPayload):
    id: str
    metadata: DataPointMetadata


SPEC = KindSpec(
    kind=DataPointKind.EMPLOYMENTS,
    model=Employment,
    payload_model=EmploymentPayload,
    date_field="startDate",
    filter_style="date",
    tag="Employments",
    singular="employment",
)
