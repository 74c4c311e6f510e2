from __future__ import annotations

from datetime import date
from typing import Literal

from sahod.datapoints.kinds import DataPointKind
from sahod.datapoints.schemas import DataPointMetadata, KindSpec
from sahod.kit.envelope import WireModel


class DocumentPayload(WireModel):
    name: str
    doc_id: str | None = None
    status: str | None = None
    document_type: Literal["IDENTIFICATION", "PAYSLIP", "CLEARANCE", "CERTIFICATE"] | None = None
    issue_date: date | None = None
    expiry_date: date | None = None
    file_url: str | None = None
    remarks: str | None = None


class Document(DocumentPayload):
    id: str
    metadata: DataPointMetadata


SPEC = KindSpec(
    kind=DataPointKind.DOCUMENTS,
    model=Document,
    payload_model=DocumentPayload,
    date_field=None,
    filter_style="none",
    tag="Documents",
    singular="document",
)
