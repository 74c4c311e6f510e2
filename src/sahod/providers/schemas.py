from __future__ import annotations

from sahod.datapoints.kinds import DataPointKind
from sahod.kit.envelope import WireModel


class ProviderOut(WireModel):
    id: str
    name: str
    long_name: str
    logo_url: str
    type: str
    type_label: str
    sub_type: str
    sub_type_label: str
    active: bool
    enabled: bool
    mfa: bool
    account_connection: bool
    supported: list[DataPointKind]
    monitor_supported: bool
