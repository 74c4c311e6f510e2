"""What every data point shares: its metadata, and how a kind is described."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sahod.datapoints.kinds import DataPointKind
from sahod.kit.envelope import WireModel


class DataPointMetadata(WireModel):
    created_at: datetime
    item_created_at: datetime
    account_id: str
    source_id: str
    source_type: Literal["ACCOUNT", "UPLOAD", "ARCHIVE", "SOCIAL_SECURITY"]
    provider_id: str
    user_id: str


@dataclass(frozen=True, slots=True)
class KindSpec:
    """How one kind is served: its wire model and the field its date filters compare."""

    kind: DataPointKind
    model: type[WireModel]
    payload_model: type[WireModel]
    date_field: str | None
    """The payload field stored as ``effective_date`` (None: the kind has no date filter)."""
    filter_style: Literal["none", "date", "month"]
    tag: str
    singular: str
